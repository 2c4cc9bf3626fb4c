// Audit log: newest first, filter by entity (type/id) and action, paged with `cursor` (`{items, next_cursor}` like every list).
import { api } from '../api.js';
import { h, clear, pageHead, fmtTime, shortId, loading, errorState, empty } from '../ui.js';
import { setQuery } from '../app.js';

const PAGE_SIZE = 50;
export const ENTITY_TYPES = ['component', 'component_version', 'workflow', 'workflow_run', 'step_run', 'connection', 'plugin', 'action_log'];

const NAMED_ENTITY_TYPES = new Set(['plugin']);

export function entityLink(type, id, name) {
  if (!id) return '—';
  const href = { component: `#/components/${id}`, component_version: `#/components/${id}`, workflow: `#/workflows/${id}`, workflow_run: `#/runs/${id}`, connection: `#/data-sources/${id}`, plugin: '#/plugins' }[type];
  // Plugins are named, not numbered: show the whole name. Any other (or unknown)
  // entity type shows its type and a short id, unlinked when there is no page.
  // A run's name already says what it is ("run of <workflow>").
  const label = name ? (type === 'workflow_run' ? name : `${type || ''} ${name}`.trim()) : `${type || ''} ${NAMED_ENTITY_TYPES.has(type) ? String(id) : shortId(id)}`.trim();
  return href ? h('a', { href, title: id }, label) : h('span', { title: id }, label);
}

function detailsText(d) {
  if (d === null || d === undefined) return '';
  if (typeof d === 'string') return d;
  const s = JSON.stringify(d);
  return s.length > 160 ? s.slice(0, 157) + '…' : s;
}

/** `names` (entity id → name, from dashboard.insights) shows names instead of short ids. */
export function activityTable(entries, { compact = false, names = null } = {}) {
  return h('div.table-wrap', h('table.audit', h('thead', h('tr', h('th', 'When'), compact ? null : h('th', 'Actor'), h('th', 'Action'), h('th', 'Entity'), compact ? null : h('th.hide-phone', 'Details'))),
    h('tbody', entries.map(e => h('tr', { dataset: { action: e.action_type || '' } },
      h('td.small', fmtTime(e.at)), compact ? null : h('td.small', e.actor || '—'), h('td', h('code', e.action_type || '—')),
      h('td', entityLink(e.entity_type, e.entity_id, names?.[e.entity_id] || e.details?.name)), compact ? null : h('td.hide-phone.small.mono', detailsText(e.details)))))));
}

export async function render(main, _params, query) {
  const typeSel = h('select#audit-entity-type', { 'aria-label': 'Entity type' }, h('option', { value: '' }, 'Any entity'), ENTITY_TYPES.map(t => h('option', { value: t }, t)));
  const idIn = h('input#audit-entity-id', { type: 'search', placeholder: 'Entity id', 'aria-label': 'Entity id' });
  const actionIn = h('input#audit-action', { type: 'search', placeholder: 'Action (e.g. create)', 'aria-label': 'Action type' });
  typeSel.value = query.entity_type || ''; idIn.value = query.entity_id || ''; actionIn.value = query.action_type || '';
  const body = h('div');
  const more = h('div.row', { style: 'margin-top:8px' });
  const form = h('form.filters', { role: 'search', onsubmit: (e) => { e.preventDefault(); load(); } }, typeSel, idIn, actionIn, h('button.primary', { type: 'submit' }, 'Filter'));
  main.append(pageHead('Audit log'), h('div.panel', form, body, more));
  typeSel.addEventListener('change', () => load());

  let entries = [];
  async function load(cursor) {
    const q = { entity_type: typeSel.value, entity_id: idIn.value.trim(), action_type: actionIn.value.trim() };
    if (!cursor) { setQuery(q); entries = []; clear(body, loading()); }
    clear(more);
    try {
      const data = await api('/action-logs', { query: { ...q, limit: PAGE_SIZE, cursor } });
      const page = data.items;
      entries = entries.concat(page);
      clear(body, entries.length ? activityTable(entries) : empty('No audit entries match these filters.'));
      if (data.next_cursor) more.append(h('button', { type: 'button', onclick: () => load(data.next_cursor) }, 'Load older'));
    } catch (e) { clear(body, errorState(e, () => load(cursor))); }
  }
  load();
}
