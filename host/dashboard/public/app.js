/**
 * The dashboard page: asks for a broker user, then watches the desk over MQTT-over-WebSocket
 * and redraws what changed once per animation frame, however fast messages come.
 */
import { createModel, DESK_SAMPLE_MS } from './model.js';
import { createGrid } from './grid.js';
import { createHeader, showConnection } from './header.js';
import { createActions } from './actions.js';
import { createDetail } from './detail.js';
import { openConnection } from './connection.js';
import { createTopics } from './topics.js';
import { api } from './http-api.js';
import * as contract from '/contract.js';

const $ = (id) => document.getElementById(id);

const config = await (await fetch('/config.json')).json();
$('desk-name').textContent = config.desk;
document.title = `deskbox ${config.desk}`;

const topics = createTopics(config.topics);
const model = createModel({ desk: config.desk, topics, expected: config.boards, tags: config.tags, contract });
// The logged-in user, kept in memory only: the server's API asks for the same credentials.
let user;
let connection;
const detail = createDetail({ model, consoles: config.consoles, credentials: () => user });
const grid = createGrid($('grid'), model, {
  onSelection: (n) => { $('selected-count').textContent = `${n} selected`; },
  onOpen: (id) => detail.show(id),
  onShown: (shown, all) => { $('shown-count').textContent = shown === all ? `${all} boards` : `${shown} of ${all} shown`; },
});
const header = createHeader(model, contract);
const actions = createActions({ topics, grid, connection: () => connection, flash: config.flash, flashCommand: config.flashCommand, credentials: () => user });

let frame = 0;
const redraw = () => {
  frame = 0;
  detail.changed(model.dirty);
  grid.render();
  header.render();
};
const schedule = () => { if (!frame) frame = requestAnimationFrame(redraw); };
schedule();
// A running experiment turns stale with no message at all: look again now and then.
setInterval(() => { if (model.experiment?.state === 'running') { model.summaryDirty = true; schedule(); } }, 5000);
setInterval(() => { model.sampleDesk(); header.plot(Date.now()); }, DESK_SAMPLE_MS);
header.plot(Date.now());

/** What the user's role may do, from the server; without an answer everything stays offered. */
async function askRole(who) {
  if (!config.account) return;
  try {
    const { status, json } = await api('/api/me', who);
    if (status === 200 && user === who) actions.allow(json);
  } catch { /* the broker still decides */ }
}

function login(username, password) {
  connection?.end();
  const who = { username, password };
  user = who;
  let asked = false;
  $('login-error').textContent = '';
  connection = openConnection({
    urls: config.wsUrls, username, password, topics: topics.watched, isReply: topics.isReply,
    onMessage: (topic, payload, retained) => { if (model.apply(topic, payload, retained)) schedule(); },
    onState: (state, detailText) => {
      if (state === 'connecting') model.newConnection();
      if (state === 'refused') return logout(`the broker refused the login: ${detailText}`);
      showConnection(state, detailText);
      if (state !== 'live') return;
      if (!asked) { asked = true; void askRole(who); }
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
  // What one user chose or read is not left for the next one to act on.
  actions.clear();
  detail.close();
  showConnection('out');
  $('login-error').textContent = why;
  $('login').hidden = false;
  $('desk').hidden = true;
  $('logout').hidden = true;
  $('who').textContent = '';
}

const applyFilter = () => {
  const problem = grid.setFilter(`${$('filter').value}${$('only-out').checked ? ' out' : ''}`);
  $('filter-problem').textContent = problem ?? '';
  $('filter').setAttribute('aria-invalid', String(problem !== undefined));
};

$('login').addEventListener('submit', (e) => {
  e.preventDefault();
  const form = new FormData(e.target);
  login(String(form.get('username')), String(form.get('password')));
});
$('logout').addEventListener('click', () => logout());
$('filter').addEventListener('input', applyFilter);
$('only-out').addEventListener('change', applyFilter);
$('order').addEventListener('change', (e) => grid.setOrder(e.target.value));
