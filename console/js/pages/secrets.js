// Secrets & variables (issue 17): workspace secrets (${secrets.NAME}; values write-only,
// never shown or read back) and plain variables (${vars.NAME}).
import { api } from '../api.js';
import { h, pageHead, withStates, empty, toast } from '../ui.js';

const when = (t) => t ? new Date(t).toLocaleString() : '—';

function section(kind) {
  const secret = kind === 'secret';
  const path = secret ? '/secrets' : '/variables';
  const body = h('div');
  const name = h('input', { type: 'text', name: 'name', required: true, pattern: '[A-Za-z_][A-Za-z0-9_\\-]*', autocomplete: 'off',
    'aria-label': secret ? 'Secret name' : 'Variable name', dataset: { testid: `${kind}-name` } });
  // A secret's value field is a password input and is cleared after saving: it is never read back.
  const value = h('input', { type: secret ? 'password' : 'text', name: 'value', required: true, autocomplete: secret ? 'new-password' : 'off',
    'aria-label': secret ? 'Secret value' : 'Variable value', dataset: { testid: `${kind}-value` } });
  const form = h('form.inline-form', { dataset: { testid: `${kind}-form` } },
    h('label', 'Name ', name), h('label', 'Value ', value),
    h('button', { type: 'submit', dataset: { testid: `${kind}-save` } }, secret ? 'Set secret' : 'Set variable'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const r = await api(`${path}/${encodeURIComponent(name.value)}`, { method: 'PUT', body: { value: value.value } });
      toast(`${r.created ? 'Created' : 'Replaced'} ${secret ? 'secret' : 'variable'} ${r.name}`);
      value.value = '';
      if (secret) name.value = '';
      load();
    } catch (ex) { toast(ex.message); }
  });
  const remove = async (item) => {
    if (!confirm(`Delete ${secret ? 'secret' : 'variable'} ${item.name}?`)) return;
    try {
      await api(`${path}/${encodeURIComponent(item.name)}`, { method: 'DELETE' });
      toast(`Deleted ${item.name}`);
      load();
    } catch (ex) { toast(ex.message); }
  };
  const load = () => withStates(body, () => api(path), (data) => {
    const list = data.items;
    if (!list.length) return empty(secret ? 'No secret yet.' : 'No variable yet.');
    return h('div.table-wrap', h(`table#${kind}s-table`,
      h('thead', h('tr', h('th', 'Name'), h('th', 'Value'), h('th', 'Reference'), h('th', 'Updated'), h('th', ''))),
      h('tbody', list.map(item => h('tr', { dataset: { [kind]: item.name } },
        h('td', h('strong', item.name)),
        h('td', secret ? h('span.badge', { title: 'Secret values are write-only' }, 'set') : h('code', item.value)),
        h('td', h('code', secret ? `\${secrets.${item.name}}` : `\${vars.${item.name}}`)),
        h('td', when(item.updated_at)),
        h('td', h('button', { type: 'button', onclick: () => remove(item), dataset: { testid: `${kind}-delete` } }, 'Delete')))))));
  });
  load();
  return h('div.panel', { dataset: { testid: `${kind}s-panel` } },
    h('h2', secret ? 'Secrets' : 'Variables'),
    h('p.small.muted', secret
      ? ['Sealed at rest; values are write-only and masked (***) in logs, events and results. Use ', h('code', '${secrets.NAME}'),
         ' only in inputs a component type declares secret (an LLM step\'s ', h('code', 'apiKey'), ', a script\'s ', h('code', 'secrets'), ').']
      : ['Plain text values; ', h('code', '${vars.NAME}'), ' works wherever a reference does.']),
    form, body);
}

export async function render(main) {
  main.append(pageHead('Secrets & variables'), section('secret'), section('var'));
}
