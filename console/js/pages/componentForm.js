// Submit / edit a component. The config part of the form is generated from
// the type's JSON Schema (GET /component-types); a 422's field errors are
// shown next to their fields; saving an edit shows the new version number.
import { api } from '../api.js';
import { h, clear, pageHead, loading, errorState, toast } from '../ui.js';
import { typeSchemas, schemaForm, placeErrors, setFieldError } from '../schemaForm.js';
import { assistantPanel } from '../assistant.js';

export async function render(main, params, query) {
  const editing = !!params.id;
  const body = h('div', loading());
  main.append(pageHead(editing ? 'Edit component' : 'Submit component'), body);
  let types, existing = null;
  try {
    [types, existing] = await Promise.all([api('/component-types').then(typeSchemas), editing ? api(`/components/${encodeURIComponent(params.id)}`) : null]);
  } catch (e) { clear(body, errorState(e, () => { clear(main); render(main, params, query); })); return; }
  if (!types.length) { clear(body, errorState(new Error('The kernel published no component types.'))); return; }
  if (editing) main.querySelector('h1').textContent = `Edit ${existing.name}`;

  const field = (path, labelText, control, hint) => h('div.field', { dataset: { path } }, h('label', { for: control.id || undefined }, labelText, hint ? h('span.hint', ` — ${hint}`) : null), control, h('div.field-error', { hidden: true, role: 'alert' }));
  const existingType = existing ? existing.type : null;
  const typeSel = h('select#component-type', { disabled: editing }, types.map(t => h('option', { value: t.type }, t.type)));
  typeSel.value = existingType || query.type || types[0].type;
  const nameIn = h('input#component-name', { type: 'text', required: true, value: existing?.name ?? '', autocomplete: 'off' });
  const descIn = h('textarea#component-description', { rows: 2 }); descIn.value = existing?.description ?? '';
  const tagsIn = h('input#component-tags', { type: 'text', value: (existing?.tags ?? []).join(', ') });
  const ownerIn = h('input#component-owner', { type: 'text', value: existing?.owner ?? '' });
  const configBox = h('fieldset', { style: 'border:none;padding:0;margin:0' }, h('legend', { class: 'sr-only' }, 'Config'));
  const summary = h('div', { role: 'alert' });
  const saveBtn = h('button.primary#component-save', { type: 'submit' }, editing ? 'Save new version' : 'Create component');
  let cfgForm = null;
  const renderConfig = (given) => {
    const entry = types.find(t => t.type === typeSel.value) || types[0];
    const initial = given || (existing && entry.type === existingType ? existing.config : {});
    cfgForm = schemaForm(entry.type, entry.schema, initial);
    clear(configBox, h('h2', `${entry.type} config`), cfgForm.el);
  };
  typeSel.addEventListener('change', () => renderConfig());
  renderConfig();

  const form = h('form#component-form', { novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    clear(summary);
    for (const f of form.querySelectorAll('.field')) setFieldError(f, null);
    let config;
    try { config = cfgForm.read(); } catch (ex) { showErrors(ex.errors || [], ex.message); return; }
    const tags = tagsIn.value.split(',').map(s => s.trim()).filter(Boolean);
    const payload = { name: nameIn.value.trim(), description: descIn.value, tags, config };
    if (ownerIn.value.trim()) payload.owner = ownerIn.value.trim();
    saveBtn.disabled = true;
    try {
      const before = existing?.latest_version;
      const comp = editing ? await api(`/components/${encodeURIComponent(existing.id)}`, { method: 'PUT', body: payload })
        : await api('/components', { method: 'POST', body: payload });
      const v = comp.latest_version;
      if (editing) {
        const msg = v !== before ? `Saved as version ${v}.` : `No config change — still version ${v}.`;
        clear(summary, h('div.state', { id: 'save-result', dataset: { version: v } }, msg, ' ', h('a', { href: `#/components/${existing.id}?tab=versions` }, 'See versions')));
        existing = { ...existing, ...comp, config };
        toast(msg);
      } else {
        toast(`Created ${comp.name} (version ${v}).`);
        location.hash = `#/components/${comp.id}`;
      }
    } catch (ex) {
      showErrors(ex.errors, ex.message);
    } finally { saveBtn.disabled = false; }
  } },
  h('div.grid.form-cols',
    h('div.panel', h('h2', 'About'),
      field('type', 'Type', typeSel, editing ? 'fixed after creation' : null),
      field('name', 'Name', nameIn), field('description', 'Description', descIn),
      field('tags', 'Tags', tagsIn, 'comma-separated'), field('owner', 'Owner', ownerIn)),
    h('div.panel', configBox)),
  summary,
  h('div.row', saveBtn, h('a.button', { href: editing ? `#/components/${existing.id}` : '#/components' }, 'Cancel')));

  function showErrors(errors, message) {
    const unmatched = placeErrors(form, errors || []);
    clear(summary, h('div.state.error', { id: 'form-errors' }, h('strong', message || 'The component is not valid.'),
      unmatched.length ? h('ul', unmatched.map(x => h('li', `${x.path}: ${x.message}`))) : null));
  }
  // The assistant drafts the config from the type's schema and the declared connection(s).
  const draftConfig = () => { try { return cfgForm.read(); } catch { return null; } };
  const assistant = assistantPanel({
    target: 'component',
    context: () => {
      const draft = draftConfig();
      const declared = [draft?.connection, ...(Array.isArray(draft?.connections) ? draft.connections : [])].filter(x => typeof x === 'string' && x);
      return { component_type: typeSel.value, draft: draft ?? undefined, connections: [...new Set(declared)] };
    },
    apply: (proposal) => {
      if (!editing && proposal.type && proposal.type !== typeSel.value && types.some(t => t.type === proposal.type)) typeSel.value = proposal.type;
      renderConfig(proposal);
    },
  });
  clear(body, form, assistant.el);
  return () => assistant.close();
}
