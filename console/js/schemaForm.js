// Renders a form from a component type's JSON Schema (GET /component-types)
// and reads it back as a config object. Field wrappers carry
// data-path="config.<name>" so a 422's field errors land next to their field.
import { h, clear } from './ui.js';
import { codeEditor } from './codeEditor.js';

/** The component-types answer (`component.schema` without a type: `{types: {<type name>: <config schema>}, oneOf}`)
 *  as [{type, schema}], in the kernel's order. */
export function typeSchemas(data) {
  return Object.entries(data.types).map(([type, schema]) => ({ type, schema }));
}

const LONG_TEXT = new Set(['systemPrompt', 'userPromptTemplate', 'query', 'description', 'template']);
const CODE_FIELDS = new Set(['codeContent']);
const CONFIG_TEXT = new Set(['mcpConfiguration']);
const LINE_LISTS = new Set(['requirements']);

function humanize(name) {
  return name.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/[_-]/g, ' ').replace(/^./, c => c.toUpperCase());
}
function typeOf(s) {
  if (!s) return 'any';
  let t = s.type;
  if (Array.isArray(t)) t = t.find(x => x !== 'null') || t[0];
  if (!t && s.enum) t = typeof s.enum[0];
  if (!t && s.const !== undefined) t = 'const';
  return t || 'any';
}

/**
 * Builds the form. Returns {el, read(): config, showErrors(errors), clearErrors()}.
 * `read()` throws an Error with .errors=[{path,message}] for fields it cannot parse.
 */
export function schemaForm(typeName, schema, initial = {}, { prefix = 'config', idPrefix = 'f' } = {}) {
  const props = schema.properties || {};
  const required = new Set(schema.required || []);
  const readers = [];
  const root = h('div.schema-form');
  for (const [name, s] of Object.entries(props)) {
    if (name === 'type' && typeName) continue; // the discriminator comes from the type picker
    const id = `${idPrefix}-${name}`;
    const path = prefix ? `${prefix}.${name}` : name;
    const t = typeOf(s);
    const init = initial[name] !== undefined ? initial[name] : s.default;
    const label = h('label', { for: id }, s.title || humanize(name), required.has(name) ? h('span', { 'aria-hidden': 'true' }, ' *') : null,
      s.description ? h('span.hint', ` — ${s.description}`) : null);
    let control; let read;
    const declaredLang = s['x-mcpk-code-language'];
    if ((CODE_FIELDS.has(name) || declaredLang) && t === 'string') {
      // A type's schema names its code language (x-mcpk-code-language, e.g. a plugin-declared type).
      const lang = declaredLang || (typeName === 'TypeScript Script' ? 'typescript' : 'python');
      const ed = codeEditor({ id, value: init ?? '', label: s.title || humanize(name), language: lang, rows: 16 });
      control = ed.el; read = () => ed.value === '' ? undefined : ed.value;
    } else if (CONFIG_TEXT.has(name)) {
      const ta = h('textarea.mono', { id, rows: 8, spellcheck: 'false', placeholder: '{"command": "…", "args": [], "env": {}}  — or YAML' });
      ta.value = init === undefined ? '' : (typeof init === 'string' ? init : JSON.stringify(init, null, 2));
      control = h('div', ta, h('div.hint.small.muted', 'JSON or YAML text: command, args, env.'));
      read = () => ta.value.trim() === '' ? undefined : (t === 'string' ? ta.value : parseJSONField(ta.value, path));
    } else if (name === 'notebookCells' && t === 'array') {
      const ed = cellEditor(id, Array.isArray(init) ? init : []);
      control = ed.el; read = ed.read;
    } else if (s.enum && t !== 'array') {
      const sel = h('select', { id }, required.has(name) ? null : h('option', { value: '' }, '—'), s.enum.map(v => h('option', { value: String(v) }, String(v))));
      if (init !== undefined) sel.value = String(init);
      control = sel; read = () => sel.value === '' ? undefined : (t === 'number' || t === 'integer' ? Number(sel.value) : sel.value);
    } else if (t === 'boolean') {
      const cb = h('input', { id, type: 'checkbox', checked: init === true });
      control = h('div', cb); read = () => cb.checked;
    } else if (t === 'number' || t === 'integer') {
      const inp = h('input', { id, type: 'number', step: t === 'integer' ? '1' : 'any', min: s.minimum ?? s.exclusiveMinimum, max: s.maximum ?? s.exclusiveMaximum, value: init ?? '' });
      control = inp; read = () => inp.value === '' ? undefined : Number(inp.value);
    } else if (t === 'string' && (LONG_TEXT.has(name) || s['x-mcpk-widget'] === 'textarea')) {
      const ta = h('textarea', { id, rows: 4 }); ta.value = init ?? '';
      control = ta; read = () => ta.value === '' ? undefined : ta.value;
    } else if (t === 'string') {
      const inp = h('input', { id, type: s.format === 'uri' ? 'url' : 'text', value: init ?? '' });
      control = inp; read = () => inp.value === '' ? undefined : inp.value;
    } else if (t === 'array' && typeOf(s.items) === 'string') {
      const lines = LINE_LISTS.has(name);
      const el = lines ? h('textarea.mono', { id, rows: 3 }) : h('input', { id, type: 'text' });
      el.value = Array.isArray(init) ? init.join(lines ? '\n' : ', ') : '';
      control = h('div', el, h('div.hint.small.muted', lines ? 'One per line.' : 'Comma-separated.'));
      read = () => { const v = el.value.split(lines ? '\n' : ',').map(x => x.trim()).filter(Boolean); return v.length ? v : undefined; };
    } else {
      const ta = h('textarea.mono', { id, rows: 4, spellcheck: 'false', placeholder: t === 'array' ? '[]' : '{}' });
      ta.value = init === undefined ? '' : JSON.stringify(init, null, 2);
      control = h('div', ta, h('div.hint.small.muted', 'JSON.'));
      read = () => ta.value.trim() === '' ? undefined : parseJSONField(ta.value, path);
    }
    const field = h('div.field', { dataset: { path } }, label, control, h('div.field-error', { hidden: true, id: `${id}-error`, role: 'alert' }));
    root.append(field);
    readers.push([name, read]);
  }
  const form = {
    el: root,
    read() {
      const cfg = typeName ? { type: typeName } : {};
      const errors = [];
      for (const [name, read] of readers) {
        try { const v = read(); if (v !== undefined) cfg[name] = v; } catch (e) { errors.push(...(e.errors || [{ path: prefix ? `${prefix}.${name}` : name, message: e.message }])); }
      }
      if (errors.length) { const e = new Error('Some fields are not valid.'); e.errors = errors; throw e; }
      return cfg;
    },
    clearErrors() { for (const f of root.querySelectorAll('.field')) setFieldError(f, null); },
    /** Places errors next to their fields; returns the ones that matched no field. */
    showErrors(errors) { return placeErrors(root, errors); },
  };
  return form;
}

function parseJSONField(text, path) {
  try { return JSON.parse(text); } catch (e) { const err = new Error(e.message); err.errors = [{ path, message: `not valid JSON: ${e.message}` }]; throw err; }
}

export function normalizePath(p) {
  return String(p || '').replace(/^\$\.?/, '').replace(/^\//, '').replace(/\//g, '.').replace(/\[(\d+)\]/g, '.$1');
}

export function setFieldError(field, message) {
  const box = field.querySelector(':scope > .field-error');
  field.classList.toggle('has-error', !!message);
  if (box) { box.hidden = !message; box.textContent = message || ''; }
}

/** Puts each {path,message} on the field whose data-path is the longest prefix of it. */
export function placeErrors(root, errors) {
  const fields = [...root.querySelectorAll('.field[data-path]')];
  const unmatched = [];
  const byField = new Map();
  for (const e of errors || []) {
    const p = normalizePath(e.path);
    let best = null;
    for (const f of fields) {
      const fp = f.dataset.path;
      if ((p === fp || p.startsWith(fp + '.') || (!p.startsWith('config.') && ('config.' + p === fp || ('config.' + p).startsWith(fp + '.')))) && (!best || fp.length > best.dataset.path.length)) best = f;
    }
    if (best) { const list = byField.get(best) || []; list.push(p === best.dataset.path ? e.message : `${p}: ${e.message}`); byField.set(best, list); }
    else unmatched.push(e);
  }
  for (const [f, msgs] of byField) setFieldError(f, msgs.join('; '));
  const first = [...byField.keys()][0];
  if (first) { const c = first.querySelector('input, textarea, select'); if (c) c.focus(); }
  return unmatched;
}

function cellEditor(id, cells) {
  const list = h('div', { id, role: 'list', 'aria-label': 'Notebook cells' });
  const add = (cell) => {
    const idx = () => [...list.children].indexOf(row);
    const typeSel = h('select', { 'aria-label': 'Cell type' }, h('option', { value: 'code' }, 'code'), h('option', { value: 'markdown' }, 'markdown'));
    typeSel.value = cell.type;
    const tagsIn = h('input', { type: 'text', placeholder: 'tags (e.g. parameters)', 'aria-label': 'Cell tags', value: (cell.tags || []).join(', ') });
    const ed = codeEditor({ value: cell.content, rows: 5, label: 'Cell content' });
    const row = h('div.cell', { role: 'listitem', dataset: { cellId: cell.id || `cell-${Math.random().toString(36).slice(2, 8)}` } },
      h('div.row', typeSel, tagsIn, h('span.spacer'),
        h('button', { type: 'button', 'aria-label': 'Move cell up', onclick: () => { const i = idx(); if (i > 0) list.insertBefore(row, list.children[i - 1]); } }, '↑'),
        h('button', { type: 'button', 'aria-label': 'Move cell down', onclick: () => { const n = row.nextSibling; if (n) list.insertBefore(n, row); } }, '↓'),
        h('button.danger', { type: 'button', 'aria-label': 'Delete cell', onclick: () => row.remove() }, '✕')),
      ed.el);
    row._read = () => {
      const tags = tagsIn.value.split(',').map(x => x.trim()).filter(Boolean);
      const c = { id: row.dataset.cellId, type: typeSel.value, content: ed.value };
      if (tags.length) c.tags = tags;
      return c;
    };
    list.append(row);
  };
  for (const c of cells) add(c);
  const el = h('div', list, h('div.row',
    h('button', { type: 'button', onclick: () => add({ type: 'code', content: '' }) }, '+ Code cell'),
    h('button', { type: 'button', onclick: () => add({ type: 'markdown', content: '' }) }, '+ Markdown cell')));
  return { el, read: () => { const v = [...list.children].map(r => r._read()); return v.length ? v : undefined; } };
}
