// Dashboard: summary cards, system health (store, plugins, sandbox layers —
// a missing layer is a warning —, step runtimes), recent activity, and running runs kept live
// by the /api/v1/events SSE feed.
import { api } from '../api.js';
import { h, clear, withStates, pageHead, statusBadge, fmtTime, fmtDuration, shortId, kv, loading, errorState, empty } from '../ui.js';
import { LiveStream, runUpdate } from '../stream.js';
import { activityTable } from './audit.js';
import { renderRecommended, renderTrending, insightsError } from './dashboardInsights.js';
import { clusterSection } from './cluster.js';
import { redisSection } from './redisHealth.js';

const SUMMARY_CARDS = [
  ['active_runs', 'Active runs'], ['queued_runs', 'Queued runs'], ['completed_today', 'Completed today'],
  ['failed_today', 'Failed today'], ['total_components', 'Components'], ['total_workflows', 'Workflows'], ['total_runs', 'Runs'], ['total_connections', 'Connections'],
  ['success_rate_7d', 'Success rate (7 days)'],
];
const SUMMARY_REFRESH_DEBOUNCE_MS = 500;
/** The isolation layers of the sandbox report (SandboxReport.json): each true when seen working;
 *  `cgroups` is the hierarchy in use ("v1" / "v2") or false. */
const SANDBOX_LAYERS = ['namespaces', 'seccomp', 'cgroups', 'rlimits', 'no_new_privs', 'network_isolation'];
const SANDBOX_STATUS = { green: ['ok', 'all layers'], yellow: ['warn', 'partial'], red: ['error', 'not ready'] };

export async function render(main) {
  const cards = h('section.grid.cards', { 'aria-label': 'Summary' });
  const health = h('section.panel', { 'aria-labelledby': 'health-h' });
  const activity = h('section.panel', { 'aria-labelledby': 'activity-h' });
  const running = h('section.panel', { 'aria-labelledby': 'running-h' });
  const recommended = h('section.panel', { 'aria-labelledby': 'recommended-h', dataset: { testid: 'recommended' } });
  const trending = h('section.panel', { 'aria-labelledby': 'trending-h', dataset: { testid: 'trending' } });
  main.append(pageHead('Dashboard', h('a.button.primary', { href: '#/workflows/new' }, 'New workflow'), h('a.button', { href: '#/components/new' }, 'New component')),
    cards, h('div.grid.two', { style: 'margin-top:16px' }, trending, recommended),
    h('div.grid.two', { style: 'margin-top:16px' }, h('div', running, activity), health));

  let summaryTimer = null;
  const loadSummary = async () => {
    const first = !cards.childElementCount || cards.querySelector('.state');
    if (first) clear(cards, loading());
    try {
      const [s, ins] = await Promise.all([api('/dashboard/summary'),
        api('/dashboard/insights').catch((e) => { insightsError([[trending, 'Trending workflows'], [recommended, 'Recommended components']], e, loadSummary); return null; })]);
      if (ins) { renderTrending(trending, ins); renderRecommended(recommended, ins); }
      clear(cards, SUMMARY_CARDS.map(([k, label]) => {
        let v = s[k];
        // success_rate_7d is a fraction (0…1), null before the first finished run.
        if (k === 'success_rate_7d' && v !== null) v = `${Math.round(v * 1000) / 10}%`;
        return h('div.card', { dataset: { metric: k } }, h('div.value', v === null ? '—' : String(v)), h('div.label', label));
      }));
      const recent = s.recent_activity;
      clear(activity, h('h2#activity-h', 'Recent activity'), recent.length ? activityTable(recent.slice(0, 20), { compact: true, names: ins?.names }) : empty('No activity yet.'));
    } catch (e) {
      clear(cards, errorState(e, loadSummary));
      clear(activity, h('h2#activity-h', 'Recent activity'), errorState(e));
    }
  };
  clear(activity, h('h2#activity-h', 'Recent activity'), loading());
  clear(trending, h('h2#trending-h', 'Trending workflows'), loading());
  clear(recommended, h('h2#recommended-h', 'Recommended components'), loading());
  loadSummary();

  clear(health, h('h2#health-h', 'System health'));
  const healthBody = h('div'); health.append(healthBody);
  withStates(healthBody, () => api('/dashboard/system-health'), renderHealth);
  health.append(clusterSection());
  health.append(redisSection());

  // Running runs, live.
  const runsBody = h('div');
  clear(running, h('div.row', h('h2#running-h', 'Running now'), h('span.spacer'), h('span.small.muted#live-state', 'connecting…')), runsBody);
  const rows = new Map();
  const table = h('table', h('thead', h('tr', h('th', 'Run'), h('th', 'Workflow'), h('th', 'Status'), h('th.hide-phone', 'Started'), h('th', 'Duration'))), h('tbody'));
  const renderRuns = () => {
    const list = [...rows.values()].filter(r => r.status === 'running' || r.status === 'queued');
    if (!list.length) { clear(runsBody, empty('No run is running.')); return; }
    clear(table.tBodies[0], list.map(r => h('tr.clickable', { dataset: { runId: r.id }, onclick: () => { location.hash = `#/runs/${r.id}`; } },
      h('td', h('a', { href: `#/runs/${r.id}` }, shortId(r.id))), h('td', r.workflow_name || shortId(r.workflow_id)), h('td', statusBadge(r.status)),
      h('td.hide-phone', fmtTime(r.started_at)), h('td', fmtDuration(r.started_at || r.created_at, r.finished_at)))));
    clear(runsBody, h('div.table-wrap', table));
  };
  clear(runsBody, loading());
  try {
    const [a, q] = await Promise.all([api('/workflow-runs', { query: { status: 'running', limit: 50 } }), api('/workflow-runs', { query: { status: 'queued', limit: 50 } })]);
    for (const r of [...a.items, ...q.items]) rows.set(r.id, r);
    renderRuns();
  } catch (e) { clear(runsBody, errorState(e)); }

  const stream = new LiveStream('/api/v1/events', {
    dedupe: false,
    endsStream: false,
    onState: (st) => { const el = document.getElementById('live-state'); if (el) el.textContent = st === 'open' ? '● live' : st; },
    onEvent: ({ data }) => {
      const ev = runUpdate(data);
      if (!ev) return;
      const prev = rows.get(ev.id) || { id: ev.id, created_at: data.at };
      rows.set(ev.id, { ...prev, ...ev, started_at: prev.started_at || ev.started_at });
      renderRuns();
      clearTimeout(summaryTimer);
      summaryTimer = setTimeout(loadSummary, SUMMARY_REFRESH_DEBOUNCE_MS);
    },
  });
  stream.start();
  const tick = setInterval(renderRuns, 1000);
  return () => { stream.close(); clearInterval(tick); clearTimeout(summaryTimer); };
}

/** The sandbox layers as [{name, available, detail}] (detail: the cgroup hierarchy in use). */
function layerEntries(sandbox) {
  return SANDBOX_LAYERS.map(name => {
    const v = sandbox[name];
    return { name, available: v !== false, detail: typeof v === 'string' ? v : '' };
  });
}

/** `runtime.status` states → badge class and label. */
const RUNTIME_STATES = { ready: ['ok', '✓ ready'], stale: ['warn', '⚠ stale'], missing: ['warn', '⚠ missing'], installing: ['unknown', '… installing'] };

function fmtBytes(n) {
  if (!(n > 0)) return '0 B';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i >= 2 ? 1 : 0)} ${units[i]}`;
}

/** The step runtimes of the health report (`runtime.status`: state, versions, size on disk, path);
 *  absent when the kernel has no step runtimes, `{error}` when they cannot be read. */
function runtimesList(runtimes) {
  const section = h('div', { id: 'runtimes' }, h('h3', { style: 'margin-top:16px' }, 'Step runtimes'));
  if (runtimes?.error) { section.append(h('p.field-error', `Cannot read the step runtimes: ${runtimes.error}`)); return section; }
  const items = runtimes?.items ?? [];
  if (!items.length) { section.append(empty('The kernel reports no step runtimes.')); return section; }
  section.append(h('ul.layers', { style: 'list-style:none;padding:0;margin:0' }, items.map(r => {
    const [cls, label] = RUNTIME_STATES[r.state] ?? ['unknown', r.state];
    const versions = Object.entries(r.versions).map(([k, v]) => `${k} ${v}`).join(', ');
    const detail = [versions, fmtBytes(r.size_bytes), r.path, r.state === 'missing' ? 'install: mcpk runtime install ' + r.name : null,
      r.last_error ? `last build failed: ${r.last_error}` : null].filter(Boolean).join(' · ');
    return h('li', { style: 'margin-bottom:4px', dataset: { runtime: r.name } }, h(`span.badge.st-${cls}`, label), ' ', h('strong', r.name),
      h('span.muted.small', ` — ${detail}`));
  })));
  return section;
}

/** A `dashboard.health` reply. `sandbox` is null when the kernel runs no sandbox; `plugins` is
 *  always {loaded, failed, crashed} (zeros when the kernel has no plugin host). */
export function renderHealth(hl) {
  const { store, sandbox } = hl;
  const out = h('div');
  out.append(kv([
    ['Store', [store.kind, store.ok ? `${store.latency_ms.toFixed(2)} ms` : `error: ${store.error}`].join(' · ')],
    ['Plugins', hl.plugins.loaded],
    ['Uptime', fmtDuration(Date.now() - hl.uptime_seconds * 1000)],
    ['Version', hl.version],
    ['Load', hl.load ? Object.values(hl.load).map(x => x.toFixed(2)).join(' / ') : '—'],
    ['CPUs', hl.cpus],
    ['Status', statusBadge(hl.status === 'ok' ? 'ok' : 'warn')],
  ]));
  out.append(h('h3', { style: 'margin-top:16px' }, 'Sandbox layers'));
  if (!sandbox) { out.append(empty('The kernel reports no sandbox information.')); return appendHealthTail(out, hl); }
  const [cls, label] = SANDBOX_STATUS[sandbox.status];
  out.append(h('p.small', { id: 'sandbox-summary' }, h(`span.badge.st-${cls}`, h('span', { 'aria-hidden': 'true' }, cls === 'ok' ? '✓' : cls === 'warn' ? '⚠' : '✗'), label),
    ' ', [`mode ${sandbox.mode}`, sandbox.bwrap_version, sandbox.ready ? 'steps run sandboxed' : 'process steps are refused'].filter(Boolean).join(' · ')));
  out.append(h('ul.layers', { style: 'list-style:none;padding:0;margin:0' }, layerEntries(sandbox).map(l => h('li', { style: 'margin-bottom:4px', dataset: { layer: l.name } },
    l.available ? h('span.badge.st-ok', h('span', { 'aria-hidden': 'true' }, '✓'), 'available') : h('span.badge.st-warn', h('span', { 'aria-hidden': 'true' }, '⚠'), 'missing'),
    ' ', h('strong', l.name), l.detail ? h('span.muted.small', ` — ${l.detail}`) : null))));
  appendHealthTail(out, hl);
  if (sandbox.problems.length) out.append(h('div.state.error', { style: 'margin-top:8px', role: 'note' }, h('strong', 'Warnings'), h('ul', sandbox.problems.map(w => h('li', w)))));
  return out;
}

/** The step runtimes and warm runners of a health reply. */
function appendHealthTail(out, hl) {
  out.append(runtimesList(hl.runtimes));
  out.append(renderRunners(hl.runners));
  return out;
}

/** Warm runner pools (`runners` of dashboard.health, absent or null without a sandbox): one row per pool. */
export function renderRunners(r) {
  const box = h('div', { dataset: { testid: 'runner-pools' } }, h('h3', { style: 'margin-top:16px' }, 'Warm runners'));
  if (!r) { box.append(empty('The kernel reports no runner pools.')); return box; }
  const retired = Object.entries(r.retired).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k.replace(/_/g, ' ')}`);
  const fallbacks = Object.entries(r.cold_fallbacks).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k.replace(/_/g, ' ')}`);
  box.append(h('p.small', { id: 'runners-summary' },
    r.available ? h('span.badge.st-ok', h('span', { 'aria-hidden': 'true' }, '✓'), 'on') : h('span.badge.st-warn', h('span', { 'aria-hidden': 'true' }, '⚠'), r.enabled ? 'unavailable' : 'off'),
    ' ', [`${r.runners} running`, `${r.warm_attempts} warm steps`, `retired: ${retired.length ? retired.join(', ') : 'none'}`,
      fallbacks.length ? `cold fallbacks: ${fallbacks.join(', ')}` : null, `retire after ${r.max_steps} steps or ${r.idle_seconds} s idle`].filter(Boolean).join(' · ')));
  const pools = r.pools;
  if (!pools.length) { box.append(empty('No warm runner yet: the first Python step of a component starts one.')); return box; }
  box.append(h('table.small', h('thead', h('tr', ['Component', 'Size', 'Warm', 'Busy', 'Starting', 'Steps'].map(c => h('th', c)))),
    h('tbody', pools.map(p => h('tr', { dataset: { pool: p.key } },
      h('td', p.component_id ? h('a', { href: `#/components/${p.component_id}`, title: p.component_id, dataset: { poolComponent: p.component_id } }, `${String(p.component_id).slice(0, 8)} v${p.component_version}`) : p.key),
      h('td', String(p.size)), h('td', String(p.warm)), h('td', String(p.busy)), h('td', String(p.starting)), h('td', String(p.attempts)))))));
  nameRunnerPools(box, pools);
  return box;
}

/** Replaces each pool's short component id by the component's name (issue 19);
 *  a component that cannot be read keeps its short id, with the reason as tooltip. */
async function nameRunnerPools(box, pools) {
  const ids = [...new Set(pools.map(p => p.component_id).filter(Boolean))];
  await Promise.all(ids.map(async (id) => {
    let name = null, why = null;
    try { name = (await api(`/components/${encodeURIComponent(id)}`)).name; } catch (e) { why = e.message; }
    for (const a of box.querySelectorAll('a[data-pool-component]')) {
      if (a.dataset.poolComponent !== id) continue;
      const pool = pools.find(p => p.component_id === id && a.closest('tr')?.dataset.pool === p.key);
      if (name) { a.textContent = `${name} v${pool?.component_version ?? '?'}`; a.dataset.named = 'true'; }
      else if (why) a.title = `${id}: ${why}`;
    }
  }));
}
