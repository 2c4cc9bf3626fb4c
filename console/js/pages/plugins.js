// Plugins: name, version, kinds, isolation, state, load errors; load by path.
import { api } from '../api.js';
import { h, clear, pageHead, withStates, statusBadge, empty, toast } from '../ui.js';

function stateBadge(p) {
  const s = p.state;
  // PluginState: loaded, failed, crashed, unloaded, adbc_driver.
  const cls = s === 'loaded' ? 'ok' : (s === 'failed' || s === 'crashed' ? 'error' : 'unknown');
  return h(`span.badge.st-${cls}`, h('span', { 'aria-hidden': 'true' }, cls === 'ok' ? '✓' : cls === 'error' ? '✗' : '•'), s);
}

export async function render(main) {
  const body = h('div');
  const pathIn = h('input#plugin-path', { type: 'text', placeholder: '/path/to/libmyplugin.so', required: true, 'aria-label': 'Plugin path' });
  const isoSel = h('select#plugin-isolation', { 'aria-label': 'Isolation' }, h('option', { value: '' }, 'default isolation'), h('option', { value: 'in-process' }, 'in-process'), h('option', { value: 'process' }, 'process'));
  const err = h('div.field-error', { hidden: true, role: 'alert' });
  const form = h('form.filters', { onsubmit: async (e) => {
    e.preventDefault();
    err.hidden = true;
    const btn = form.querySelector('button'); btn.disabled = true;
    try {
      const body = { path: pathIn.value.trim() };
      if (isoSel.value) body.isolation = isoSel.value;
      const p = await api('/plugins', { method: 'POST', body });
      toast(`Loaded plugin ${p.name}`);
      pathIn.value = '';
      load();
    } catch (ex) { err.textContent = ex.message + (ex.errors.length ? ': ' + ex.errors.map(x => `${x.path}: ${x.message}`).join('; ') : ''); err.hidden = false; }
    finally { btn.disabled = false; }
  } }, pathIn, isoSel, h('button.primary', { type: 'submit' }, 'Load plugin'));
  main.append(pageHead('Plugins'), h('div.panel', h('h2', 'Load a plugin'), form, err), h('div.panel', h('h2', 'Loaded plugins'), body));
  const load = () => withStates(body, () => api('/plugins'), (data) => {
    const list = data.items;
    if (!list.length) return empty('No plugin is loaded. Load one by path above.');
    return h('div.table-wrap', h('table#plugins-table', h('thead', h('tr', h('th', 'Name'), h('th', 'Version'), h('th', 'Kinds'), h('th', 'Isolation'), h('th', 'State'), h('th.hide-phone', 'Path / error'))),
      h('tbody', list.map(p => h('tr', { dataset: { plugin: p.name } },
        h('td', h('strong', p.name), p.description ? h('div.small.muted', p.description) : null),
        h('td', p.version ?? '—'),
        h('td', p.kinds.map(k => h('span.tag', k)), p.component_types.map(t => h('span.tag', t))),
        h('td', p.isolation), h('td', stateBadge(p)),
        h('td.hide-phone.small', h('code', p.path), p.load_error ? h('div.field-error', p.load_error.message) : null,
          p.crashes ? h('div.small.muted', `${p.crashes} crash${p.crashes === 1 ? '' : 'es'}${p.last_crash ? ': ' + p.last_crash : ''}`) : null))))));
  });
  load();
}
