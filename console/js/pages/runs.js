// Execution monitor: runs table (status, workflow, started, duration) with
// filters, kept live by the /api/v1/events SSE feed.
import { api } from '../api.js';
import { h, clear, pageHead, statusBadge, fmtTime, fmtDuration, shortId, empty, loading, errorState } from '../ui.js';
import { LiveStream, runUpdate } from '../stream.js';
import { setQuery } from '../app.js';

export const RUN_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out'];
const PAGE_SIZE = 50;
const TICK_MS = 1000;

export async function render(main, _params, query) {
  const statusSel = h('select#run-status-filter', { 'aria-label': 'Status' }, h('option', { value: '' }, 'Any status'), RUN_STATUSES.map(s => h('option', { value: s }, s.replace('_', ' '))));
  statusSel.value = query.status || '';
  const wfSel = h('select#run-workflow-filter', { 'aria-label': 'Workflow' }, h('option', { value: '' }, 'Any workflow'));
  const body = h('div', loading());
  const more = h('div.row', { style: 'margin-top:8px' });
  const live = h('span.small.muted#live-state', 'connecting…');
  main.append(pageHead('Runs', live), h('div.panel', h('div.filters', statusSel, wfSel), body, more));

  const workflows = new Map();
  try {
    for (const w of (await api('/workflows', { query: { limit: 500 } })).items) workflows.set(w.id, w.name);
  } catch { /* names are a nicety; the table still works with ids */ }
  for (const [id, name] of workflows) wfSel.append(h('option', { value: id }, name));
  wfSel.value = query.workflow_id || '';

  let runs = [];
  const byId = new Map();
  const rowFor = (r) => h('tr.clickable', { dataset: { runId: r.id, status: r.status }, onclick: (e) => { if (e.target.tagName !== 'A') location.hash = `#/runs/${r.id}`; } },
    h('td', statusBadge(r.status)), h('td', h('a', { href: `#/runs/${r.id}` }, shortId(r.id))),
    h('td', r.workflow_name || workflows.get(r.workflow_id) || shortId(r.workflow_id)),
    h('td.hide-phone', fmtTime(r.started_at || r.created_at)), h('td', r.started_at ? fmtDuration(r.started_at, r.finished_at) : '—'));
  const draw = () => {
    if (!runs.length) { clear(body, empty(statusSel.value || wfSel.value ? 'No run matches these filters.' : 'No runs yet. Start one from a workflow.')); return; }
    clear(body, h('div.table-wrap', h('table#runs-table', h('thead', h('tr', h('th', 'Status'), h('th', 'Run'), h('th', 'Workflow'), h('th.hide-phone', 'Started'), h('th', 'Duration'))),
      h('tbody', runs.map(rowFor)))));
  };
  const load = async (cursor) => {
    const filters = { status: statusSel.value, workflow_id: wfSel.value };
    if (!cursor) { setQuery(filters); runs = []; byId.clear(); clear(body, loading()); }
    clear(more);
    try {
      const data = await api('/workflow-runs', { query: { status: filters.status, workflow: filters.workflow_id, limit: PAGE_SIZE, cursor } });
      for (const r of data.items) if (!byId.has(r.id)) { byId.set(r.id, r); runs.push(r); }
      draw();
      const next = data.next_cursor;
      if (next) more.append(h('button', { type: 'button', onclick: () => load(next) }, 'Load more'));
    } catch (e) { clear(body, errorState(e, () => load())); }
  };
  statusSel.addEventListener('change', () => load());
  wfSel.addEventListener('change', () => load());
  await load();

  const stream = new LiveStream('/api/v1/events', {
    dedupe: false,
    endsStream: false,
    onState: (s) => { live.textContent = s === 'open' ? '● live' : s; },
    onEvent: ({ data }) => {
      const ev = runUpdate(data);
      if (!ev) return;
      const id = ev.id;
      const known = byId.get(id);
      if (known) Object.assign(known, ev, { started_at: known.started_at || ev.started_at, finished_at: known.finished_at || ev.finished_at });
      else {
        if (statusSel.value && ev.status !== statusSel.value) return;
        if (wfSel.value && ev.workflow_id !== wfSel.value) return;
        const r = { created_at: data.at, ...ev }; byId.set(id, r); runs.unshift(r);
      }
      if (statusSel.value) runs = runs.filter(r => r.status === statusSel.value);
      draw();
    },
  });
  stream.start();
  const tick = setInterval(() => { if (runs.some(r => r.status === 'running')) draw(); }, TICK_MS);
  return () => { stream.close(); clearInterval(tick); };
}
