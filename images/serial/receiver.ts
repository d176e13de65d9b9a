/**
 * Board side of the agent protocol (docs/serial-protocol.md): listens to every byte of the
 * console and lets frames find themselves among the text. A valid HELLO opens a session on a
 * target from `openTarget`; a HELLO with a new session id replaces the current session (the
 * host restarted, e.g. to resume), a repeated one is answered again. Frames of a session the
 * board does not have get ERROR "session", so a host that outlived a board reboot learns it.
 */
import type { SerialLink } from '../../platform/hal/serial.ts';
import type { Clock } from '../../platform/clock.ts';
import type { Logger } from '../../platform/log.ts';
import { FrameChannel } from './frame-channel.ts';
import { PROTOCOL_VERSION, type Message, type MessageOf } from './messages.ts';
import { ReceiveSession } from './receive-session.ts';
import { DEFAULT_RECEIVER_LIMITS, type ReceiverLimits } from './receiver-limits.ts';
import type { FlashTarget, HelloInfo } from './target.ts';

export type { ReceiverLimits };

export interface FlashReceiverOptions {
  link: Pick<SerialLink, 'write' | 'onData'>;
  openTarget(hello: HelloInfo): Promise<FlashTarget>;
  clock: Clock;
  logger: Logger;
  onSession?(e: { state: 'start' | 'end'; ok?: boolean; error?: string }): void;
  limits?: Partial<ReceiverLimits>;
}

export interface FlashReceiver {
  /** A session is open: the console carries frames, not text (the agent should not print). */
  readonly active: boolean;
  close(): void;
}

/** At most one ERROR "session" a second per unknown session: stale frames come in bursts. */
const UNKNOWN_SESSION_ERROR_MS = 1000;

export function createFlashReceiver(opts: FlashReceiverOptions): FlashReceiver {
  const limits: ReceiverLimits = { ...DEFAULT_RECEIVER_LIMITS, ...opts.limits };
  const log = opts.logger;
  let current: ReceiveSession | undefined;
  let opening: number | undefined;
  let turn: Promise<void> = Promise.resolve();
  let lastUnknown = { session: -1, at: -Infinity };
  let closed = false;

  const send = (m: Message) => {
    // Toward the host the line is nearly idle: a delimiter in front of every frame costs
    // nothing and cuts it loose from any text the board printed before it.
    channel.send(m, { lead: true }).catch((e: Error) => log.warn('flash: write failed', { error: e.message }));
  };

  const start = (hello: MessageOf<'hello'>) => {
    const previous = current;
    current = undefined;
    opening = hello.session;
    const info: HelloInfo = { session: hello.session, payloadSha256: hello.payloadSha256, headLength: hello.headLength, payloadSize: hello.payloadSize };
    turn = turn.then(async () => {
      if (previous) await previous.stop(`replaced by session ${hello.session}`);
      if (hello.headLength > limits.maxHeadBytes) throw new Error(`a ${hello.headLength}-byte head is larger than this board takes (${limits.maxHeadBytes})`);
      const target = await opts.openTarget(info);
      if (opening !== hello.session || closed) return void (await target.abandon());
      const session: ReceiveSession = new ReceiveSession({
        hello: info, target, clock: opts.clock, logger: log, limits, send,
        onEnd: (outcome) => opts.onSession?.({ state: 'end', ...outcome }),
        onGone: () => { if (current === session) current = undefined; },
      });
      current = session;
      opening = undefined;
      log.info('flash: session start', { session: hello.session, payloadSize: hello.payloadSize });
      opts.onSession?.({ state: 'start' });
      send(session.readyMessage());
    }).catch((e: Error) => {
      if (opening === hello.session) opening = undefined;
      log.warn('flash: session refused', { session: hello.session, error: e.message });
      send({ kind: 'error', session: hello.session, code: 'refused', message: e.message });
    });
  };

  const route = (m: Message) => {
    if (m.kind === 'hello-other-version') {
      return send({ kind: 'error', session: m.session, code: 'version', message: `this board speaks flash protocol v${PROTOCOL_VERSION}, not v${m.version}` });
    }
    if (current && m.session === current.id) return current.handle(m);
    if (m.kind === 'hello') return m.session === opening ? undefined : start(m);
    if (m.session === opening || m.kind === 'error' || m.kind === 'bye') return;
    const now = opts.clock.monotonic();
    if (lastUnknown.session === m.session && now - lastUnknown.at < UNKNOWN_SESSION_ERROR_MS) return;
    lastUnknown = { session: m.session, at: now };
    send({ kind: 'error', session: m.session, code: 'session', message: `no flash session ${m.session} here (the board restarted, or the session ended)` });
  };

  const channel = new FrameChannel({
    link: opts.link,
    onMessages: (batch) => {
      if (closed) return;
      for (const m of batch) route(m);
      current?.flush();
    },
    onUndecodable: (e) => log.debug('flash: undecodable frame', { error: e.message }),
  });

  return {
    get active() {
      return opening !== undefined || (current?.active ?? false);
    },
    close() {
      if (closed) return;
      closed = true;
      channel.close();
      const last = current;
      current = undefined;
      opening = undefined;
      if (last) void last.stop('the receiver closed');
    },
  };
}
