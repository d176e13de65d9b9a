/**
 * The desk's figures above the grid: boards online and out of service, power (now and over the
 * last minutes), guests, broker traffic, experiment. Every figure has its room from the start,
 * so the grid does not move when the first ones arrive.
 */
import { experimentText, progressUnknown } from './board-text.js';
import { createSparkline } from './sparkline.js';

const $ = (id) => document.getElementById(id);

/** The reasons and the latest refused topics, for the count's tooltip (never the payloads). */
function rejectedText(r) {
  if (r.total === 0) return 'every message so far was well-formed and in order';
  const reasons = Object.entries(r.byReason).filter(([, n]) => n > 0).map(([reason, n]) => `${n} ${reason}`).join(', ');
  return `${reasons}\nlatest: ${r.recent.slice(0, 5).map((x) => `${x.topic} (${x.reason})`).join(', ')}`;
}

/** The boards out of service and why, for the count's tooltip. */
function outOfServiceText(verdicts) {
  if (verdicts.length === 0) return 'no board is quarantined, recovering or retired';
  return verdicts.map((v) => `${v.board} ${v.state}: ${v.reason}`).join('\n');
}

/** `contract`: /contract.js, which says when a running experiment has gone stale. */
export function createHeader(model, contract) {
  const el = {
    online: $('sum-online'), out: $('sum-out'), power: $('sum-power'), guests: $('sum-guests'), broker: $('sum-broker'), rejected: $('sum-rejected'),
    bar: $('exp-bar'), text: $('exp-text'), box: $('exp-bar').parentElement,
  };
  const plot = createSparkline($('desk-plot'), { label: 'desk power, last minutes' });
  return {
    /** The desk's power history, drawn whenever the model samples it (app.js). */
    plot(now) { plot.draw(model.deskPower, now); },
    render() {
      if (!model.summaryDirty) return;
      model.summaryDirty = false;
      const s = model.summary();
      el.online.textContent = `${s.online}/${s.total}`;
      el.out.textContent = String(s.outOfService.length);
      el.out.parentElement.title = outOfServiceText(s.outOfService);
      el.out.parentElement.dataset.any = String(s.outOfService.length > 0);
      el.power.textContent = `${s.powerW.toFixed(1)} W`;
      el.guests.textContent = String(s.guests);
      el.rejected.textContent = String(s.rejected.total);
      el.rejected.title = rejectedText(s.rejected);
      const st = model.stats;
      el.broker.textContent = st ? `${Math.round(st.received.perSec)} in · ${Math.round(st.sent.perSec)} out` : '-';
      el.broker.title = st ? `${st.clients} clients, ${st.subscriptions} subscriptions` : 'the broker publishes its figures every 10 s';
      const e = model.experiment;
      const stale = e !== undefined && contract.experimentIsStale(e, Date.now());
      el.box.dataset.state = stale ? 'stale' : e?.state ?? 'none';
      el.bar.max = Math.max(1, e?.total ?? 1);
      // A phase with no total yet is drawn as work going on, not as nothing done.
      if (e && progressUnknown(e) && !stale) el.bar.removeAttribute('value');
      else el.bar.value = e ? (e.state === 'done' ? el.bar.max : e.done) : 0;
      el.text.textContent = e ? experimentText(e, stale, Date.now()) : 'no experiment yet';
      el.text.title = el.text.textContent;
    },
  };
}

/** The connection badge: live, connecting, or out (with why). */
export function showConnection(state, detail = '') {
  const badge = $('live');
  badge.dataset.state = state;
  badge.textContent = { live: 'live', connecting: 'connecting…', out: 'not connected' }[state] + (detail ? `: ${detail}` : '');
}
