/**
 * The page's MQTT connection, as the logged-in broker user. Commands go out at QoS 1 and are
 * matched to replies by id. The broker answers a PUBLISH it refuses by closing the connection
 * (MQTT 3.1.1 has no way to say no), so a command the broker did not acknowledge before the
 * connection closed was refused; the page then reconnects with a fresh client, whose empty
 * store cannot resend the refused command and be thrown out again. With several broker nodes (a
 * cluster), each new connection tries the next node, so a dead node costs one retry.
 */
import mqtt from '/vendor/mqtt.esm.js';

const RETRY_MS = 1000;
const LOGIN_REFUSED = new Set([4, 5]);

export function openConnection({ urls, username, password, topics, isReply, onMessage, onState }) {
  const pending = new Map();
  let client;
  let ended = false;
  let seq = 0;
  let attempt = 0;
  const prefix = `dashboard-${Math.random().toString(16).slice(2, 10)}`;

  const settle = (id, outcome) => {
    const p = pending.get(id);
    if (!p) return;
    pending.delete(id);
    clearTimeout(p.timer);
    p.resolve(outcome);
  };

  const start = () => {
    let refusedLogin;
    let lastError = '';
    const c = mqtt.connect(urls[attempt++ % urls.length], { username, password, protocolVersion: 4, clean: true, reconnectPeriod: 0, connectTimeout: 10_000, clientId: `${prefix}-${seq++}` });
    client = c;
    onState('connecting');
    c.on('connect', () => {
      onState('live');
      c.subscribe(topics, { qos: 1 });
    });
    c.on('message', (topic, payload, packet) => {
      if (isReply(topic)) return settleReply(payload);
      onMessage(topic, payload, packet.retain);
    });
    c.on('error', (err) => { if (LOGIN_REFUSED.has(err.code)) refusedLogin = err.message; else lastError = err.message; });
    c.on('close', () => {
      for (const [id, p] of pending) if (p.client === c && !p.acked) settle(id, { ok: false, refused: true });
      if (ended) return;
      if (refusedLogin) return onState('refused', refusedLogin);
      onState('connecting', lastError);
      setTimeout(() => { if (!ended) start(); }, RETRY_MS);
    });
  };

  const settleReply = (payload) => {
    let reply;
    try { reply = JSON.parse(new TextDecoder().decode(payload)); } catch { return; }
    if (reply?.v !== 1 || typeof reply.id !== 'string') return;
    settle(reply.id, reply.ok ? { ok: true, result: reply.result } : { ok: false, error: reply.error });
  };

  start();
  return {
    /** Sends one command; resolves with the reply, a refusal, or a timeout: never rejects. */
    command(cmdTopic, op, args, timeoutMs) {
      const c = client;
      if (!c.connected) return Promise.resolve({ ok: false, error: { code: 'offline', message: 'not connected to the broker' } });
      const id = `${prefix}-${seq++}`;
      return new Promise((resolve) => {
        const timer = setTimeout(() => settle(id, { ok: false, error: { code: 'timeout', message: `no reply within ${timeoutMs / 1000} s` } }), timeoutMs);
        pending.set(id, { client: c, acked: false, resolve, timer });
        c.publish(cmdTopic, JSON.stringify({ v: 1, id, op, ...(args ? { args } : {}) }), { qos: 1 }, (err) => {
          const p = pending.get(id);
          if (p && !err) p.acked = true;
        });
      });
    },
    end() {
      ended = true;
      for (const id of [...pending.keys()]) settle(id, { ok: false, error: { code: 'ended', message: 'logged out' } });
      client.end(true);
    },
  };
}
