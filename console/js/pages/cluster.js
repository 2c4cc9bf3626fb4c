// Cluster section of the dashboard's health panel (issue 14): the kernels sharing this
// kernel's store (`cluster.status`, GET /api/v1/cluster/status) — id, host, version, last
// heartbeat, running steps, capacity. A self-contained section: the dashboard only appends it.
import { api } from '../api.js';
import { h, clear, withStates, fmtTime, empty } from '../ui.js';

/** The section element; loads itself. */
export function clusterSection() {
  const box = h('div', { dataset: { testid: 'cluster-kernels' } }, h('h3', { style: 'margin-top:16px' }, 'Cluster'));
  const body = h('div');
  box.append(body);
  withStates(body, () => api('/cluster/status'), renderCluster);
  return box;
}

/** Renders a `cluster.status` reply. */
export function renderCluster(c) {
  const out = h('div');
  const kernels = c.kernels;
  out.append(h('p.small', { id: 'cluster-summary' },
    c.shared_queue ? `${kernels.filter(k => k.alive).length} of ${kernels.length} kernel(s) alive on one ${c.store} queue · lease ${c.lease_ms} ms`
      : `single kernel (${c.store}: no shared queue)`));
  if (!kernels.length) { out.append(empty('No kernel has written a heartbeat yet.')); return out; }
  out.append(h('table.small', h('thead', h('tr', ['Kernel', 'Host', 'Version', 'Last heartbeat', 'Running steps', 'Capacity', 'State'].map(t => h('th', t)))),
    h('tbody', kernels.map(k => h('tr', { dataset: { kernel: k.id } },
      h('td', h('code', String(k.id).replace(/^kernel-/, '').slice(0, 8)), k.self ? h('span.muted', ' (this)') : null),
      h('td', k.host), h('td', k.version), h('td', fmtTime(k.last_heartbeat)),
      h('td', String(k.running_steps)), h('td', String(k.capacity)),
      h('td', k.alive ? h('span.badge.st-ok', 'alive') : h(`span.badge.${k.state === 'stopped' ? 'st-unknown' : 'st-warn'}`, k.state === 'stopped' ? 'stopped' : 'silent')))))));
  return out;
}
