// Workflows list.
import { api } from '../api.js';
import { h, clear, pageHead, fmtTime, empty, loading, errorState } from '../ui.js';

const PAGE_SIZE = 100;

/** The steps of a workflow's `definition` (one typed into the builder's text view may have none yet). */
export function stepsOf(wf) {
  return Array.isArray(wf.definition.steps) ? wf.definition.steps : [];
}

export async function render(main) {
  const body = h('div', loading());
  const more = h('div.row', { style: 'margin-top:8px' });
  main.append(pageHead('Workflows', h('a.button.primary', { href: '#/workflows/new' }, 'New workflow')), h('div.panel', body, more));
  let items = [];
  const load = async (cursor) => {
    clear(more);
    try {
      const data = await api('/workflows', { query: { limit: PAGE_SIZE, cursor } });
      items = items.concat(data.items);
      if (!items.length) { clear(body, empty('No workflows yet.', ' ', h('a', { href: '#/workflows/new' }, 'Build one.'))); return; }
      clear(body, h('div.table-wrap', h('table#workflow-table', h('thead', h('tr', h('th', 'Name'), h('th', 'Steps'), h('th', 'Version'), h('th.hide-phone', 'Updated'), h('th', ''))),
        h('tbody', items.map(w => h('tr', { dataset: { workflowId: w.id, name: w.name } },
          h('td', h('a', { href: `#/workflows/${w.id}` }, w.name), w.description ? h('div.small.muted', w.description) : null),
          h('td', String(stepsOf(w).length)), h('td', `v${w.latest_version}`),
          h('td.hide-phone', fmtTime(w.updated_at)), h('td', h('a', { href: `#/runs?workflow_id=${encodeURIComponent(w.id)}` }, 'Runs'))))))));
      const next = data.next_cursor;
      if (next) more.append(h('button', { type: 'button', onclick: () => load(next) }, 'Load more'));
    } catch (e) { clear(body, errorState(e, () => load(cursor))); }
  };
  load();
}
