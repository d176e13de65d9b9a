/** What aedes stores per subscription of a persistent session (MQTT 5 fields optional). */
export interface SubscriptionOptions {
  qos: number;
  rh?: number | undefined;
  rap?: boolean | undefined;
  nl?: boolean | undefined;
  subscriptionIdentifier?: number | undefined;
}

export interface Subscription extends SubscriptionOptions {
  topic: string;
}

/** A QoS > 0 subscription matched by a published topic: the client to enqueue for. */
export interface OfflineSubscription {
  clientId: string;
  topic: string;
  qos: number;
  rh: number | undefined;
  rap: boolean | undefined;
  nl: boolean | undefined;
}

interface TrieNode {
  readonly children: Map<string, TrieNode>;
  readonly subs: Map<string, OfflineSubscription>;
}

const emptyNode = (): TrieNode => ({ children: new Map(), subs: new Map() });

/**
 * In-memory mirror of the subscriptions table. aedes asks subscriptionsByTopic for every QoS > 0
 * publish, so matching walks a topic trie instead of querying SQLite. The table stays the source
 * of truth: the mirror is rebuilt from it at open and after a failed commit.
 */
export class SubscriptionIndex {
  readonly #byClient = new Map<string, Map<string, SubscriptionOptions>>();
  #root = emptyNode();
  #offlineCount = 0;

  clear(): void {
    this.#byClient.clear();
    this.#root = emptyNode();
    this.#offlineCount = 0;
  }

  set(clientId: string, sub: Subscription): void {
    const { topic, qos, rh, rap, nl, subscriptionIdentifier } = sub;
    const options: SubscriptionOptions = { qos, rh, rap, nl };
    if (subscriptionIdentifier !== undefined) options.subscriptionIdentifier = subscriptionIdentifier;
    let stored = this.#byClient.get(clientId);
    if (!stored) this.#byClient.set(clientId, (stored = new Map()));
    this.#unmatch(clientId, topic, stored.get(topic));
    stored.set(topic, options);
    // QoS 0 subscriptions are restored on reconnect but never queue messages while offline.
    if (qos > 0) {
      let node = this.#root;
      for (const level of topic.split('/')) {
        let child = node.children.get(level);
        if (!child) node.children.set(level, (child = emptyNode()));
        node = child;
      }
      node.subs.set(clientId, { clientId, topic, qos, rh, rap, nl });
      this.#offlineCount++;
    }
  }

  delete(clientId: string, topic: string): void {
    const stored = this.#byClient.get(clientId);
    if (!stored) return;
    this.#unmatch(clientId, topic, stored.get(topic));
    stored.delete(topic);
    if (stored.size === 0) this.#byClient.delete(clientId);
  }

  deleteClient(clientId: string): void {
    for (const topic of [...(this.#byClient.get(clientId)?.keys() ?? [])]) {
      this.delete(clientId, topic);
    }
  }

  list(clientId: string): Subscription[] {
    return [...(this.#byClient.get(clientId) ?? [])].map(([topic, options]) => ({ topic, ...options }));
  }

  /** Order follows the trie walk: a '#' at a level before deeper matches, as the spec's trie does. */
  match(topic: string): OfflineSubscription[] {
    const levels = topic.split('/');
    const found: OfflineSubscription[] = [];
    // [MQTT-4.7.2-1]: wildcards in the first level never match topics starting with '$'.
    const dollar = topic.startsWith('$');
    const visit = (node: TrieNode, depth: number): void => {
      const wildcardAllowed = depth > 0 || !dollar;
      const rest = node.children.get('#');
      if (rest && wildcardAllowed) found.push(...rest.subs.values());
      const level = levels[depth];
      if (level === undefined) {
        found.push(...node.subs.values());
        return;
      }
      const one = node.children.get('+');
      if (one && wildcardAllowed) visit(one, depth + 1);
      const exact = node.children.get(level);
      if (exact) visit(exact, depth + 1);
    };
    visit(this.#root, 0);
    return found;
  }

  clientsWith(topic: string): string[] {
    return [...this.#byClient].filter(([, subs]) => subs.has(topic)).map(([clientId]) => clientId);
  }

  counts(): { subsCount: number; clientsCount: number } {
    return { subsCount: this.#offlineCount, clientsCount: this.#byClient.size };
  }

  #unmatch(clientId: string, topic: string, previous: SubscriptionOptions | undefined): void {
    if (!previous || previous.qos === 0) return;
    const path: Array<[TrieNode, string]> = [];
    let node = this.#root;
    for (const level of topic.split('/')) {
      const child = node.children.get(level);
      if (!child) return;
      path.push([node, level]);
      node = child;
    }
    if (node.subs.delete(clientId)) this.#offlineCount--;
    // Prune emptied branches so unsubscribed topics do not accumulate for the broker's lifetime.
    for (let i = path.length - 1; i >= 0; i--) {
      const [parent, level] = path[i]!;
      const child = parent.children.get(level)!;
      if (child.subs.size > 0 || child.children.size > 0) break;
      parent.children.delete(level);
    }
  }
}
