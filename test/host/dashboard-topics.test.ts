/**
 * The dashboard page takes its topics from the server (`/config.json`, built with the wire
 * contract) and holds none of its own: the page's topic module reads them as the broker
 * sends them, and no page file spells a topic.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { allBoardsFilter, boardTopic } from '../../broker/contract/topics.ts';
import { experimentTopic } from '../../broker/contract/experiment.ts';
import { STATS_TOPICS } from '../../broker/contract/stats.ts';
import { healthRequestTopic, verdictFilter, verdictTopic } from '../../broker/contract/health.ts';
import { publicDir } from '../../host/dashboard/assets.ts';
import { startDashboard } from '../../host/dashboard/server.ts';
import { memoryLogger } from '../../platform/log.ts';

type Topics = Record<'status' | 'telemetry' | 'cmd' | 'reply' | 'health' | 'experiment' | 'stats', string>;
interface PageTopics {
  watched: string[];
  cmd(board: string): string;
  isReply(topic: string): boolean;
  classify(topic: string): { kind: string; board?: string } | undefined;
}

test('/config.json gives the page its topics, built by the contract', async () => {
  const dash = await startDashboard({ host: '127.0.0.1', port: 0, desk: 'desk7', broker: { urls: ['ws://127.0.0.1:1/mqtt'] }, logger: memoryLogger() });
  try {
    const config = await (await fetch(`${dash.url}config.json`)).json() as { desk: string; topics: Topics };
    assert.is(config.desk, 'desk7');
    assert.equal(config.topics, {
      status: allBoardsFilter('desk7', 'status'),
      telemetry: allBoardsFilter('desk7', 'telemetry'),
      cmd: allBoardsFilter('desk7', 'cmd'),
      reply: allBoardsFilter('desk7', 'reply'),
      health: verdictFilter('desk7'),
      experiment: experimentTopic('desk7'),
      stats: STATS_TOPICS.stats,
    });
  } finally {
    await dash.close();
  }
});

test('the page reads topics as the broker sends them: board and channel, experiment, stats, replies', async () => {
  const dash = await startDashboard({ host: '127.0.0.1', port: 0, desk: 'desk7', broker: { urls: ['ws://127.0.0.1:1/mqtt'] }, logger: memoryLogger() });
  let topics: Topics;
  try {
    topics = (await (await fetch(`${dash.url}config.json`)).json() as { topics: Topics }).topics;
  } finally {
    await dash.close();
  }
  const { createTopics } = await import(pathToFileURL(join(publicDir(), 'topics.js')).href) as { createTopics(t: Topics): PageTopics };
  const page = createTopics(topics);
  assert.equal(page.watched, [topics.status, topics.telemetry, topics.health, topics.reply, topics.experiment, topics.stats]);
  assert.is(page.cmd('b07'), boardTopic('desk7', 'b07', 'cmd'));
  assert.equal(page.classify(boardTopic('desk7', 'b07', 'status')), { kind: 'status', board: 'b07' });
  assert.equal(page.classify(boardTopic('desk7', 'b07', 'telemetry')), { kind: 'telemetry', board: 'b07' });
  assert.equal(page.classify(verdictTopic('desk7', 'b07')), { kind: 'health', board: 'b07' });
  assert.equal(page.classify(experimentTopic('desk7')), { kind: 'experiment' });
  assert.equal(page.classify(STATS_TOPICS.stats), { kind: 'stats' });
  for (const other of [boardTopic('desk8', 'b07', 'status'), boardTopic('desk7', 'b07', 'events'), boardTopic('desk7', 'b07', 'reply'), `${boardTopic('desk7', 'b07', 'status')}/x`, STATS_TOPICS.uptime, verdictTopic('desk8', 'b07'), healthRequestTopic('desk7', 'b07')]) {
    assert.is(page.classify(other), undefined, other);
  }
  assert.ok(page.isReply(boardTopic('desk7', 'b07', 'reply')));
  assert.not.ok(page.isReply(boardTopic('desk8', 'b07', 'reply')));
  assert.not.ok(page.isReply(boardTopic('desk7', 'b07', 'status')));
});

test('no page file spells a topic of its own', async () => {
  const dir = publicDir();
  for (const name of (await readdir(dir)).filter((n) => n.endsWith('.js'))) {
    const code = await readFile(join(dir, name), 'utf8');
    assert.not.match(code, /deskbox\/|\$SYS|\/boards\/|homeassistant\//, name);
  }
});

test.run();
