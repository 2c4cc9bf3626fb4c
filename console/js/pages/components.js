// Components marketplace: search + type/tag filters, and the detail view
// (config, versions with a diff between two, audit history, use in a workflow).
import { api } from '../api.js';
import { h, clear, pageHead, withStates, fmtTime, pretty, empty, loading, errorState, tabs, kv, lineDiff, toast } from '../ui.js';
import { setQuery, go } from '../app.js';
import { activityTable } from './audit.js';

export const COMPONENT_TYPES = ['LLM Prompt Agent', 'Jupyter Notebook', 'Python Script', 'TypeScript Script', 'Streamlit App', 'MCP', 'Data', 'Utility', 'Output'];
const PAGE_SIZE = 60;
const SEARCH_DEBOUNCE_MS = 250;

export async function render(main, params, query) {
  if (params.id) return renderDetail(main, params.id, query);
  const q = h('input#component-search', { type: 'search', placeholder: 'Search components', 'aria-label': 'Search components', value: query.q || '' });
  const typeSel = h('select#component-type-filter', { 'aria-label': 'Type' }, h('option', { value: '' }, 'All types'), COMPONENT_TYPES.map(t => h('option', { value: t }, t)));
  typeSel.value = query.type || '';
  const tagIn = h('input#component-tag-filter', { type: 'search', placeholder: 'Tag', 'aria-label': 'Tag', list: 'tag-options', value: query.tag || '' });
  const tagList = h('datalist#tag-options');
  const body = h('div');
  const more = h('div.row', { style: 'margin-top:12px' });
  main.append(pageHead('Components', h('a.button.primary', { href: '#/components/new' }, 'Submit component')),
    h('div.filters', { role: 'search' }, q, typeSel, tagIn, tagList), body, more);
  let items = [];
  let timer = null;
  const load = async (cursor) => {
    const filters = { q: q.value.trim(), type: typeSel.value, tag: tagIn.value.trim() };
    if (!cursor) { setQuery(filters); items = []; clear(body, loading()); }
    clear(more);
    try {
      const data = await api('/components', { query: { ...filters, limit: PAGE_SIZE, cursor } });
      items = items.concat(data.items);
      const tags = new Set(items.flatMap(c => c.tags));
      clear(tagList, [...tags].sort().map(t => h('option', { value: t })));
      clear(body, items.length ? h('div.list-cards#component-list', items.map(card))
        : empty(filters.q || filters.type || filters.tag ? 'No component matches these filters.' : 'No components yet.', ' ', h('a', { href: '#/components/new' }, 'Submit the first one.')));
      const next = data.next_cursor;
      if (next) more.append(h('button', { type: 'button', onclick: () => load(next) }, 'Load more'));
    } catch (e) { clear(body, errorState(e, () => load())); }
  };
  const later = () => { clearTimeout(timer); timer = setTimeout(() => load(), SEARCH_DEBOUNCE_MS); };
  q.addEventListener('input', later); tagIn.addEventListener('input', later); typeSel.addEventListener('change', () => load());
  load();
  return () => clearTimeout(timer);
}

function card(c) {
  return h('a.card', { href: `#/components/${c.id}`, dataset: { componentId: c.id, name: c.name } },
    h('div.row', h('strong', c.name), h('span.spacer'), h('span.tag', c.type)),
    h('div.small.muted', c.description || 'No description.'),
    h('div', { style: 'margin-top:8px' }, c.tags.map(t => h('span.tag', `#${t}`))),
    h('div.small.muted', `v${c.latest_version} · ${c.owner || 'no owner'} · updated ${fmtTime(c.updated_at)}`));
}

async function renderDetail(main, id, query) {
  const body = h('div');
  main.append(body);
  await withStates(body, () => api(`/components/${encodeURIComponent(id)}`), (c) => {
    const out = h('div');
    out.append(pageHead(c.name,
      h('a.button.primary', { href: `#/workflows/new?component=${encodeURIComponent(c.id)}` }, 'Use in a workflow'),
      h('a.button', { href: `#/components/${c.id}/edit` }, 'Edit'),
      h('button.danger', { type: 'button', onclick: () => remove(c) }, 'Delete')));
    out.append(h('div.panel', kv([
      ['Type', c.type], ['Latest version', `v${c.latest_version}`], ['Owner', c.owner],
      ['Tags', c.tags.length ? h('span', c.tags.map(t => h('span.tag', `#${t}`))) : '—'],
      ['Description', c.description], ['Created', fmtTime(c.created_at)], ['Updated', fmtTime(c.updated_at)], ['Id', h('code', c.id)],
    ])));
    const t = tabs([['config', 'Config'], ['versions', 'Versions'], ['history', 'History']], (key, panel) => {
      setQuery({ tab: key === 'config' ? '' : key });
      if (key === 'config') {
        panel.append(h('pre#component-config', pretty(c.config)));
      } else if (key === 'versions') {
        renderVersions(panel, c);
      } else {
        withStates(panel, () => api('/action-logs', { query: { entity_type: 'component', entity_id: c.id, limit: 100 } }),
          (d) => d.items.length ? activityTable(d.items) : empty('No history.'));
      }
    }, query.tab);
    out.append(h('div.panel', t.el));
    return out;
  });
}

async function renderVersions(panel, c) {
  await withStates(panel, () => api(`/components/${encodeURIComponent(c.id)}/versions`), (data) => {
    const versions = data.items.slice().sort((a, b) => b.version - a.version);
    if (!versions.length) return empty('No versions.');
    const out = h('div');
    out.append(h('div.table-wrap', h('table#versions-table', h('thead', h('tr', h('th', 'Version'), h('th', 'Created'), h('th.hide-phone', 'Checksum'))),
      h('tbody', versions.map(v => h('tr', { dataset: { version: v.version } }, h('td', `v${v.version}`), h('td', fmtTime(v.created_at)), h('td.hide-phone', h('code', v.checksum.slice(0, 16)))))))));
    if (versions.length < 2) { out.append(h('p.muted', 'A diff needs two versions; editing the config creates the next one.')); return out; }
    const opts = () => versions.map(v => h('option', { value: v.version }, `v${v.version}`));
    const a = h('select#diff-from', { 'aria-label': 'From version' }, opts());
    const b = h('select#diff-to', { 'aria-label': 'To version' }, opts());
    a.value = String(versions[1].version); b.value = String(versions[0].version);
    const diffBox = h('div');
    const show = () => {
      const va = versions.find(v => String(v.version) === a.value), vb = versions.find(v => String(v.version) === b.value);
      clear(diffBox, lineDiff(configText(va?.config), configText(vb?.config)));
    };
    a.addEventListener('change', show); b.addEventListener('change', show);
    out.append(h('h3', { style: 'margin-top:16px' }, 'Diff'), h('div.row', 'from', a, 'to', b), h('div', { style: 'margin-top:8px' }, diffBox));
    show();
    return out;
  });
}

/** A config as diffable text: one field per line, multi-line strings (code, prompts) expanded. */
export function configText(cfg) {
  if (!cfg || typeof cfg !== 'object') return JSON.stringify(cfg ?? null);
  return Object.entries(cfg).map(([k, v]) => {
    if (typeof v === 'string' && v.includes('\n')) return `${k}: |\n${v.replace(/\n$/, '').split('\n').map(l => '    ' + l).join('\n')}`;
    if (v && typeof v === 'object') return `${k}: ${JSON.stringify(v, null, 2).split('\n').join('\n  ')}`;
    return `${k}: ${JSON.stringify(v)}`;
  }).join('\n');
}

async function remove(c) {
  if (!confirm(`Delete component “${c.name}”?`)) return;
  try {
    await api(`/components/${encodeURIComponent(c.id)}`, { method: 'DELETE' });
    toast(`Deleted ${c.name}`); go('/components');
  } catch (e) {
    if (e.kind === 'conflict' && confirm(`${e.message}\n\nDelete anyway (force)?`)) {
      try { await api(`/components/${encodeURIComponent(c.id)}`, { method: 'DELETE', query: { force: 'true' } }); toast(`Deleted ${c.name}`); go('/components'); }
      catch (e2) { toast(e2.message, true); }
    } else toast(e.message, true);
  }
}
