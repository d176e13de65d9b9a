/**
 * What `/config.json` tells the page: the desk, its boards and its topics (built by the wire
 * contract, so the page holds none of its own), and the broker's WebSocket URL, which depends on
 * how the browser reached the page. A page served over HTTPS may only open wss:// (a ws:// one is
 * blocked as mixed content); a page over plain HTTP takes the plain WebSocket where there is one
 * (its browser need not trust the desk's CA). A broker listening on one address is reached there
 * (its certificate names it); one listening on every address (0.0.0.0, ::) at the address the
 * browser used for the page, as the dashboard runs on the broker's machine: 127.0.0.1 or
 * localhost there, the desk computer's name from another machine, which the certificate covers.
 * A cluster's page gets every node's URL, the first tried first: it moves on to the next when
 * its connection closes (connection.js), as the boards and the host's tools do.
 */
import type { IncomingMessage } from 'node:http';
import { allBoardsFilter, WS_PATH } from '../../broker/contract/topics.ts';
import { experimentTopic } from '../../broker/contract/experiment.ts';
import { STATS_TOPICS } from '../../broker/contract/stats.ts';
import { verdictFilter } from '../../broker/contract/health.ts';
import { reachableHost, urlHost } from '../locations/broker-urls.ts';

/** One broker node's WebSocket listeners (null: not running). */
export interface WsListeners {
  wsPort: number | null;
  wssPort: number | null;
}

export type PageBroker =
  /** Fixed WebSocket URLs (a real desk's `deskbox dashboard --broker ws(s)://a[,ws(s)://b]`). */
  | { urls: string[] }
  /** The desk broker's listeners on `host`: one entry per broker node (a cluster has several). */
  | { host: string; nodes: WsListeners[] };

export interface PageDesk {
  desk: string;
  boards: string[];
  /** Board to its tags, from the desk file; a board's status may carry its own. */
  tags: Record<string, string[]>;
  flashCommand: string | null;
  flash: boolean;
  /** Whether `/api/me` answers (the server has the broker's users file). */
  account: boolean;
  /** Whether `/api/console/<board>` can read the boards' consoles. */
  consoles: boolean;
}

/**
 * The topics the page uses: per board channel the filter over every board of the desk (its `+`
 * is the board id), the desk's health verdicts (its `+` is the board id too), the experiment's
 * topic and the broker's statistics.
 */
export function pageTopics(desk: string) {
  return {
    status: allBoardsFilter(desk, 'status'),
    telemetry: allBoardsFilter(desk, 'telemetry'),
    cmd: allBoardsFilter(desk, 'cmd'),
    reply: allBoardsFilter(desk, 'reply'),
    health: verdictFilter(desk),
    experiment: experimentTopic(desk),
    stats: STATS_TOPICS.stats,
  };
}

/** The host name in a request's Host header (`[::1]` for IPv6), or undefined for none or nonsense. */
function pageHost(req: IncomingMessage): string | undefined {
  try {
    return req.headers.host ? new URL(`http://${req.headers.host}`).hostname || undefined : undefined;
  } catch {
    return undefined;
  }
}

export function pageBrokerUrls(broker: PageBroker, req: IncomingMessage, secure: boolean): string[] {
  if ('urls' in broker) return broker.urls;
  const wildcard = reachableHost(broker.host) !== broker.host;
  const host = (wildcard ? pageHost(req) : undefined) ?? urlHost(reachableHost(broker.host));
  return broker.nodes.flatMap((node) => {
    const wss = node.wssPort === null ? null : `wss://${host}:${node.wssPort}${WS_PATH}`;
    const ws = node.wsPort === null ? null : `ws://${host}:${node.wsPort}${WS_PATH}`;
    const url = secure ? wss ?? ws : ws ?? wss;
    return url ? [url] : [];
  });
}

/** `/config.json` for one request. */
export function pageConfig(desk: PageDesk, broker: PageBroker, req: IncomingMessage, secure: boolean): Buffer {
  return Buffer.from(JSON.stringify({ ...desk, wsUrls: pageBrokerUrls(broker, req, secure), topics: pageTopics(desk.desk) }));
}
