/**
 * Turns button presses (contract/press.ts) into commands: a press of `reboot` or `identify` on
 * `deskbox/<desk>/boards/<board>/press` is answered by the broker with a command on that board's
 * `cmd` topic, QoS 1, with an id of its own and a deadline. So a button with a fixed payload
 * works for every press, and each press is one command whose reply (on the board's `reply`)
 * can be told from the others'. The policy (policy.ts) already refused presses of other words
 * and retained ones; anything else arriving here is ignored.
 *
 * Only the node a press reached sees it ('publish' is local in a cluster), so a press is one
 * command whatever the number of broker nodes.
 */
import { randomUUID } from 'node:crypto';
import type { Aedes, PublishPacket } from 'aedes';
import { encode } from './contract/messages.ts';
import { pressCommand, pressOp } from './contract/press.ts';
import { boardTopic, parseBoardTopic } from './contract/topics.ts';
import type { Clock } from '../platform/clock.ts';
import type { Logger } from '../platform/log.ts';

/** The command publish a press calls for, if any. Pure: the id and time are given. */
export function pressStep(topic: string, payload: Uint8Array, retained: boolean, id: string, now: number): { topic: string; payload: string } | undefined {
  const t = parseBoardTopic(topic);
  const op = t?.channel === 'press' && !retained ? pressOp(payload) : undefined;
  if (!t || !op) return undefined;
  return { topic: boardTopic(t.desk, t.board, 'cmd'), payload: encode('cmd', pressCommand(op, id, now)) };
}

export function bridgePresses(broker: Aedes, clock: Clock, logger: Logger): void {
  broker.on('publish', (packet: PublishPacket, client) => {
    // The broker's own publishes are never presses; a client's went through the policy.
    if (!client) return;
    const step = pressStep(packet.topic, packet.payload as Uint8Array, packet.retain, `press-${randomUUID()}`, clock.now());
    if (!step) return;
    logger.info('button pressed', { topic: packet.topic, clientId: client.id, command: step.topic });
    broker.publish({ cmd: 'publish', topic: step.topic, payload: Buffer.from(step.payload), qos: 1, retain: false, dup: false }, (err) => {
      if (err) logger.warn('press not turned into a command', { topic: step.topic, error: err.message });
    });
  });
}
