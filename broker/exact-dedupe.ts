/**
 * aedes drops a delivery as a duplicate when its packet number (`brokerCounter`, given when the
 * publish began) is not above the highest one the client already got (lib/client.js `dedupe`,
 * there for overlapping subscriptions: `a/#` and `a/b` match one packet twice). But publishes
 * do not reach subscribers in the order they began: a retained one first waits for its store
 * write, so a packet begun after it, and delivered to the same client meanwhile (another
 * board's reply, a non-retained message on the same topic), made aedes drop the retained one
 * for every client that got both: a live view lost a board's status or sample without a trace
 * (upstream: moscajs/aedes issue 955).
 *
 * This keeps aedes' purpose and drops its assumption: a client gets every packet number once,
 * in whatever order. The second copy of an overlapping match comes during the same delivery,
 * so remembering a client's latest few numbers is enough; an older number that comes back
 * later is delivered again rather than lost (MQTT allows a copy per matching subscription).
 */
import type { Client } from 'aedes';

/** Packet numbers remembered per client: far more than the copies of one packet in flight at once. */
export const REMEMBERED_PACKETS = 256;

type Packet = { qos?: number; brokerId?: string | null; brokerCounter?: number };
type Deliver = (packet: Packet, done: () => void) => void;

interface Delivering {
  deliver0: Deliver;
  deliverQoS: Deliver;
  duplicates: Record<string, number>;
}

/** Call before aedes handles the client's CONNECT (preConnect): subscriptions take these functions when they are made. */
export function dedupeExactly(client: Client): void {
  const inner = client as unknown as Delivering;
  const seen = new Set<string>();
  /** Whether this is the first copy of the packet for this client; if so, aedes' own check is told to let it through. */
  const first = (packet: Packet): boolean => {
    // Retained copies sent on SUBSCRIBE carry no broker id: aedes never dedupes those.
    if (!packet.brokerId || !packet.brokerCounter) return true;
    const key = `${packet.brokerId}:${packet.brokerCounter}`;
    if (seen.has(key)) return false;
    seen.add(key);
    if (seen.size > REMEMBERED_PACKETS) seen.delete(seen.values().next().value!);
    inner.duplicates[packet.brokerId] = packet.brokerCounter - 1;
    return true;
  };
  const deliver0 = inner.deliver0;
  const deliverQoS = inner.deliverQoS;
  inner.deliver0 = (packet, done) => (first(packet) ? deliver0(packet, done) : setImmediate(done));
  // aedes' deliverQoS hands a QoS 0 packet to the client's deliver0: let that one judge it, once.
  inner.deliverQoS = (packet, done) => (packet.qos === 0 ? inner.deliver0(packet, done) : first(packet) ? deliverQoS(packet, done) : setImmediate(done));
}
