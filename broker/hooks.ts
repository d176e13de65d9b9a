/**
 * aedes' access hooks, backed by the user store and the pure rules in policy.ts. Each
 * connection's principal is kept here (keyed by aedes' client object) rather than on it.
 */
import type { AedesOptions, AuthenticateError, Client } from 'aedes';
import type { Clock } from '../platform/clock.ts';
import type { Logger } from '../platform/log.ts';
import { authorizeClientId, authorizeOrphanWill, authorizePublish, authorizeSubscribe, isSysTopic, type Decision, type Principal } from './policy.ts';
import { boardClientId } from './contract/topics.ts';
import { MAX_PAYLOAD_BYTES } from './contract/messages.ts';
import type { LoginThrottle } from './login-throttle.ts';
import { sourceAddress } from './source-address.ts';
import type { UserStore } from './users.ts';

export type AccessHooks = Required<
  Pick<AedesOptions, 'preConnect' | 'authenticate' | 'authorizePublish' | 'authorizeSubscribe' | 'authorizeForward'>
>;

export interface AccessHooksOptions {
  users: UserStore;
  logger: Logger;
  /** Failed logins back off per user name and source address (login-throttle.ts). */
  throttle: LoginThrottle;
  /** Holds back refusals the throttle delays. */
  clock: Clock;
  /** Told of every subscription the policy let through (for the broker's statistics). */
  onSubscribed?: (client: Client, filter: string) => void;
}

// aedes' CONNACK return codes (MQTT 3.1.1 table 3.1).
/** "Server unavailable": what a throttled login gets, unchecked; clients take it as "try later". */
const SERVER_UNAVAILABLE = 3;
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

const NOT_AUTHENTICATED: Decision = { allow: false, reason: 'not authenticated' };

function refusal(returnCode: number, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

export function createAccessHooks({ users, logger, throttle, clock, onSubscribed }: AccessHooksOptions): AccessHooks {
  const principals = new WeakMap<Client, Principal>();
  const willTopics = new WeakMap<Client, string>();

  return {
    // The will arrives with CONNECT but aedes only authorizes it when it fires; note it here so
    // authenticate can refuse a will its owner could not publish (a stored will may later be
    // published by a restarted broker with no client to check against).
    preConnect(client, packet, callback) {
      if (packet.will) willTopics.set(client, packet.will.topic);
      callback(null, true);
    },

    // Refusals may be held back (the connection waits): a guesser that got its answer at once
    // would simply ask again. aedes ignores an answer for a connection that closed meanwhile.
    authenticate(client, username, password, callback) {
      const address = sourceAddress(client);
      const answer = (holdMs: number, send: () => void) => {
        if (holdMs > 0) clock.setTimeout(send, holdMs);
        else send();
      };
      const admission = throttle.admit(username, address, () => users.isVerified(username, password));
      if (admission.kind === 'refused') {
        // Not a warning each: guessers make many; the checked failures before them were logged.
        logger.debug('login throttled', { clientId: client.id, username, address, by: admission.by });
        return answer(admission.holdMs, () => callback(refusal(SERVER_UNAVAILABLE, 'too many failed logins: try again later'), false));
      }
      users.authenticate(username, password).then(
        (principal) => {
          const refuse = (returnCode: number, reason: string, holdMs = 0, extra: Record<string, unknown> = {}) => {
            logger.warn('connect refused', { clientId: client.id, username, address, reason, ...extra });
            answer(holdMs, () => callback(refusal(returnCode, reason), false));
          };
          if (!principal) {
            const failure = admission.failed();
            return refuse(BAD_USERNAME_OR_PASSWORD, 'bad username or password', failure.holdMs, {
              userFailures: failure.userFailures,
              addressFailures: failure.addressFailures,
            });
          }
          admission.passed();
          const id = authorizeClientId(principal, client.id, users.list().find((u) => u.role === 'board' && boardClientId(u.desk, u.board) === client.id));
          if (!id.allow) return refuse(NOT_AUTHORIZED, id.reason);
          const willTopic = willTopics.get(client);
          willTopics.delete(client);
          if (willTopic !== undefined) {
            const will = authorizePublish(principal, willTopic);
            if (!will.allow) return refuse(NOT_AUTHORIZED, `last will on "${willTopic}": ${will.reason}`);
          }
          principals.set(client, principal);
          callback(null, true);
        },
        (err: unknown) => {
          admission.abandoned();
          logger.error('authentication failed', { clientId: client.id, username, error: String(err) });
          callback(refusal(NOT_AUTHORIZED, 'authentication failed'), false);
        },
      );
    },

    authorizePublish(client, packet, callback) {
      // aedes passes no client when it republishes a will stored by an earlier broker run.
      const principal = client ? principals.get(client) : undefined;
      const decision = packet.payload.length > MAX_PAYLOAD_BYTES
        ? { allow: false as const, reason: `payload of ${packet.payload.length} bytes exceeds ${MAX_PAYLOAD_BYTES}` }
        : !client
          ? authorizeOrphanWill(packet.topic)
          : principal ? authorizePublish(principal, packet.topic, { payload: packet.payload, retain: packet.retain }) : NOT_AUTHENTICATED;
      if (decision.allow) return callback(null);
      logger.warn('publish denied', {
        clientId: client?.id ?? null,
        username: principal?.username ?? null,
        topic: packet.topic,
        reason: decision.reason,
      });
      callback(new Error(`publish to "${packet.topic}" denied: ${decision.reason}`));
    },

    authorizeSubscribe(client, sub, callback) {
      const principal = principals.get(client);
      const decision = principal ? authorizeSubscribe(principal, sub.topic) : NOT_AUTHENTICATED;
      if (decision.allow) {
        onSubscribed?.(client, sub.topic);
        return callback(null, sub);
      }
      logger.warn('subscribe denied', {
        clientId: client.id,
        username: principal?.username ?? null,
        filter: sub.topic,
        reason: decision.reason,
      });
      // A null subscription answers SUBACK 0x80 and keeps the connection, as MQTT 3.1.1 intends.
      callback(null, null);
    },

    // aedes stores every filter of a SUBSCRIBE packet for a persistent session once any one
    // of them is allowed, refused ones included, and replays them on reconnect. So each
    // delivery is checked again: a client only receives what it may subscribe to.
    authorizeForward(client, packet) {
      const principal = principals.get(client);
      if (principal && authorizeSubscribe(principal, packet.topic).allow) return packet;
      // aedes' own $SYS/<broker id>/... (clients, subscriptions) meet every `$SYS/#` subscriber
      // here: withholding them is routine, not worth a warning each.
      const log = isSysTopic(packet.topic) ? logger.debug : logger.warn;
      log('delivery refused', { clientId: client.id, username: principal?.username ?? null, topic: packet.topic });
      return null;
    },
  };
}
