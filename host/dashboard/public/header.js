/** The desk's figures above the grid: boards online, power, guests, broker traffic, experiment. */
const $ = (id) => document.getElementById(id);

function experimentText(e) {
  const rep = e.repetitions > 1 ? ` (repetition ${e.repetition}/${e.repetitions})` : '';
  const phase = e.phase ? `${e.phase} ${e.done}/${e.total}` : `${e.done}/${e.total}`;
  return `${e.plan}: ${phase}, ${e.state}${rep}${e.error ? ` — ${e.error}` : ''}`;
}

export function createHeader(model) {
  const el = {
    online: $('sum-online'), power: $('sum-power'), guests: $('sum-guests'), broker: $('sum-broker'),
    bar: $('exp-bar'), text: $('exp-text'), box: $('exp-bar').parentElement,
  };
  return {
    render() {
      if (!model.summaryDirty) return;
      model.summaryDirty = false;
      const s = model.summary();
      el.online.textContent = `${s.online}/${s.total}`;
      el.power.textContent = `${s.powerW.toFixed(1)} W`;
      el.guests.textContent = String(s.guests);
      const st = model.stats;
      el.broker.textContent = st ? `${Math.round(st.received.perSec)} in · ${Math.round(st.sent.perSec)} out` : '-';
      el.broker.title = st ? `${st.clients} clients, ${st.subscriptions} subscriptions` : 'the broker publishes its figures every 10 s';
      const e = model.experiment;
      el.box.dataset.state = e?.state ?? 'none';
      el.bar.max = Math.max(1, e?.total ?? 1);
      el.bar.value = e ? (e.state === 'done' ? el.bar.max : e.done) : 0;
      el.text.textContent = e ? experimentText(e) : 'no experiment yet';
    },
  };
}

/** The connection badge: live, connecting, or out (with why). */
export function showConnection(state, detail = '') {
  const badge = $('live');
  badge.dataset.state = state;
  badge.textContent = { live: 'live', connecting: 'connecting…', out: 'not connected' }[state] + (detail ? `: ${detail}` : '');
}
