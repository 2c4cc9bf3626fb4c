// Schedules: cron, time zone, state and next fire time of each; pause / resume (issue 18).
import { api } from '../api.js';
import { h, pageHead, withStates, empty, toast } from '../ui.js';

const when = (t) => t ? new Date(t).toLocaleString() : '—';

export async function render(main) {
  const body = h('div');
  main.append(pageHead('Schedules'), h('div.panel', h('h2', 'Schedules'),
    h('p.small.muted', 'Create schedules with ', h('code', 'mcpk schedules create'), ' or POST /api/v1/schedules. Each tick runs once, whichever kernel claims it.'),
    body));
  const act = async (s, verb) => {
    try {
      await api(`/schedules/${encodeURIComponent(s.id)}/${verb}`, { method: 'POST', body: {} });
      toast(`${verb === 'pause' ? 'Paused' : 'Resumed'} ${s.name}`);
      load();
    } catch (ex) { toast(ex.message); }
  };
  const load = () => withStates(body, () => api('/schedules'), (data) => {
    const list = data.items;
    if (!list.length) return empty('No schedule yet.');
    return h('div.table-wrap', h('table#schedules-table',
      h('thead', h('tr', h('th', 'Name'), h('th', 'Cron'), h('th', 'Time zone'), h('th', 'State'), h('th', 'Next fire'), h('th', 'Policies'), h('th', ''))),
      h('tbody', list.map(s => h('tr', { dataset: { schedule: s.id } },
        h('td', h('strong', s.name), h('div.small.muted', h('a', { href: `#/workflows/${encodeURIComponent(s.workflow_id)}` }, 'workflow'))),
        h('td', h('code', s.cron)), h('td', s.timezone),
        h('td', h('span.badge', s.state)),
        h('td.next-fire', { title: s.next_fire_at || '' }, when(s.next_fire_at)),
        h('td.small', `catch-up ${s.catchup}, overlap ${s.overlap}, ${s.version_policy}${s.workflow_version ? ' v' + s.workflow_version : ''}`),
        h('td', h('button', { type: 'button', onclick: () => act(s, s.state === 'paused' ? 'resume' : 'pause') },
          s.state === 'paused' ? 'Resume' : 'Pause')))))));
  });
  load();
}
