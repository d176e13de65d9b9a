/**
 * The desk's topics as the server gives them in /config.json (built by the wire contract,
 * broker/contract/topics.ts): a board channel is a filter whose `+` level is the board id.
 */

/** The board id a topic of `filter` is about, or undefined when the topic is not one of it. */
function boardIn(filter, topic) {
  const want = filter.split('/');
  const got = topic.split('/');
  if (want.length !== got.length) return undefined;
  let board;
  for (let i = 0; i < want.length; i++) {
    if (want[i] === '+') board = got[i];
    else if (want[i] !== got[i]) return undefined;
  }
  return board;
}

export function createTopics(topics) {
  return {
    /** What the page subscribes to. */
    watched: [topics.status, topics.telemetry, topics.health, topics.reply, topics.experiment, topics.stats],
    /** Where a command for `board` goes. */
    cmd: (board) => topics.cmd.replace('+', board),
    isReply: (topic) => boardIn(topics.reply, topic) !== undefined,
    /** What a message is about: `{ kind: 'experiment' | 'stats' }`, `{ kind: 'status' | 'telemetry' | 'health', board }`, or undefined. */
    classify(topic) {
      if (topic === topics.experiment) return { kind: 'experiment' };
      if (topic === topics.stats) return { kind: 'stats' };
      for (const kind of ['status', 'telemetry', 'health']) {
        const board = boardIn(topics[kind], topic);
        if (board !== undefined) return { kind, board };
      }
      return undefined;
    },
  };
}
