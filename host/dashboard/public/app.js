/**
 * The dashboard page: asks for a broker user, then watches the desk over MQTT-over-WebSocket
 * and redraws what changed once per animation frame, however fast messages come.
 */
import { createModel } from './model.js';
import { createGrid } from './grid.js';
import { createHeader, showConnection } from './header.js';
import { createActions } from './actions.js';
import { openConnection } from './connection.js';
import { createTopics } from './topics.js';
import * as contract from '/contract.js';

const $ = (id) => document.getElementById(id);

const config = await (await fetch('/config.json')).json();
$('desk-name').textContent = config.desk;
document.title = `deskbox ${config.desk}`;

const topics = createTopics(config.topics);
const model = createModel({ desk: config.desk, topics, expected: config.boards, contract });
const grid = createGrid($('grid'), model, (n) => { $('selected-count').textContent = `${n} selected`; });
const header = createHeader(model, contract);
let connection;
// The logged-in user, kept in memory only: the flash API asks for the same credentials.
let user;
createActions({ topics, grid, connection: () => connection, flash: config.flash, flashCommand: config.flashCommand, credentials: () => user });

let frame = 0;
const redraw = () => {
  frame = 0;
  grid.render();
  header.render();
};
const schedule = () => { if (!frame) frame = requestAnimationFrame(redraw); };
schedule();
// A running experiment turns stale with no message at all: look again now and then.
setInterval(() => { if (model.experiment?.state === 'running') { model.summaryDirty = true; schedule(); } }, 5000);

function login(username, password) {
  connection?.end();
  user = { username, password };
  $('login-error').textContent = '';
  connection = openConnection({
    urls: config.wsUrls, username, password, topics: topics.watched, isReply: topics.isReply,
    onMessage: (topic, payload, retained) => { if (model.apply(topic, payload, retained)) schedule(); },
    onState: (state, detail) => {
      if (state === 'connecting') model.newConnection();
      if (state === 'refused') return logout(`the broker refused the login: ${detail}`);
      showConnection(state, detail);
      if (state !== 'live') return;
      $('login').hidden = true;
      $('desk').hidden = false;
      $('logout').hidden = false;
      $('who').textContent = `logged in as ${username}`;
    },
  });
}

function logout(why = '') {
  connection?.end();
  connection = undefined;
  user = undefined;
  showConnection('out');
  $('login-error').textContent = why;
  $('login').hidden = false;
  $('desk').hidden = true;
  $('logout').hidden = true;
  $('who').textContent = '';
}

$('login').addEventListener('submit', (e) => {
  e.preventDefault();
  const form = new FormData(e.target);
  login(String(form.get('username')), String(form.get('password')));
});
$('logout').addEventListener('click', () => logout());
$('only-out').addEventListener('change', (e) => $('grid').classList.toggle('out-only', e.target.checked));
