// Workflow builder (issue 19): a component palette, a canvas of step nodes
// and `needs` edges (builderCanvas.js), a properties panel for the selected
// node (component + version, needs, input mappings with ${inputs…} /
// ${steps.<ancestor>.result…} autocomplete, retries, timeout, when, forEach,
// maxParallel, and the component's config as its schema form), validation
// errors (browser mirror + the kernel's workflow.validate) on their node, a
// JSON text view kept in sync both ways, and run with an inputs form
// generated from the workflow's input schema.
import { api } from '../api.js';
import { h, clear, pageHead, loading, errorState, toast } from '../ui.js';
import { layering } from '../dag.js';
import { schemaForm, normalizePath, typeSchemas } from '../schemaForm.js';
import { canvas as makeCanvas, palette } from '../builderCanvas.js';
import { stepsOf } from './workflows.js';
import { jsonErrorOffset, lineColumn } from '../jsonPosition.js';
import { assistantPanel } from '../assistant.js';
import { dump as yamlDump, load as yamlLoad, CORE_SCHEMA } from '../vendor/js-yaml.mjs';

const MAX_COMPONENTS = 500;
const EXPR = /\$\{\s*([^}]*)\}/g;
const MANAGED_STEP_KEYS = new Set(['id', 'component', 'version', 'needs', 'inputs', 'retries', 'timeoutSeconds', 'when', 'forEach', 'maxParallel', 'wait', 'workflow']);
/** The kinds of wait a `wait` step has (docs/DEFINITIONS.md): exactly one of these keys. */
const WAIT_MODES = [['for', 'Duration (for)', '10m'], ['until', 'Until (time)', '2026-12-24T00:00:00Z'], ['signal', 'Signal', 'approve']];
const LAYOUT_KEY = 'mcpk.builder.layout.';
const VALIDATE_DEBOUNCE_MS = 400;
const TEXT_DEBOUNCE_MS = 300;
const INPUT_TYPES = ['string', 'number', 'integer', 'boolean', 'object', 'array'];

export async function render(main, params, query) {
  const body = h('div', loading());
  main.append(body);
  let components, wf = null, types = [], workflows = [];
  try {
    [components, wf, types, workflows] = await Promise.all([
      api('/components', { query: { limit: MAX_COMPONENTS } }).then((d) => d.items),
      params.id ? api(`/workflows/${encodeURIComponent(params.id)}`) : null,
      api('/component-types').then(typeSchemas),
      api('/workflows', { query: { limit: MAX_COMPONENTS } }).then((d) => d.items),
    ]);
  } catch (e) { clear(body, errorState(e, () => { clear(main); render(main, params, query); })); return; }
  clear(body);
  const st = fromWorkflow(wf);
  if (!wf && query.component) {
    const c = components.find(x => x.id === query.component || x.name === query.component);
    if (c) st.steps.push(newStep(st, c));
  }
  const byRef = (ref) => components.find(c => c.id === ref || c.name === ref);

  // --- head
  const nameIn = h('input#wf-name', { type: 'text', value: st.name, required: true, 'aria-label': 'Workflow name', placeholder: 'Workflow name' });
  const descIn = h('input#wf-description', { type: 'text', value: st.description, 'aria-label': 'Description', placeholder: 'Description' });
  nameIn.addEventListener('input', () => { st.name = nameIn.value; });
  descIn.addEventListener('input', () => { st.description = descIn.value; });
  nameIn.addEventListener('change', () => changed());
  descIn.addEventListener('change', () => changed());
  const saveBtn = h('button.primary#wf-save', { type: 'button', onclick: () => save() }, 'Save');
  const validateBtn = h('button#wf-validate', { type: 'button', onclick: () => validate() }, 'Validate');
  const runBtn = h('button#wf-run', { type: 'button', onclick: () => openRun() }, '▶ Run');
  const summary = h('div#wf-errors', { role: 'alert' });
  const inputsBox = h('div');
  const stepsBox = h('div#steps');
  const runBox = h('div');
  let perStepErrors = new Map();
  const cv = makeCanvas({
    model: () => ({
      steps: st.steps.map((s, i) => ({ id: s.id || `(step ${i + 1})`, needs: s.needs })),
      label: (id) => { const s = st.steps.find(x => x.id === id); return { title: id, sub: stepSubtitle(s), kind: s?.kind || 'component' }; },
      errors: (id) => perStepErrors.get(st.steps.findIndex(x => x.id === id)) || [],
    }),
    onAdd: (componentId, p) => addFromPalette(componentId, p),
    onConnect: (from, to) => {
      const t = st.steps.find(x => x.id === to);
      if (!t || t.needs.includes(from)) return;
      t.needs = [...t.needs, from]; renderSteps(); changed();
    },
    onDisconnect: (from, to) => { const t = st.steps.find(x => x.id === to); if (t) { t.needs = t.needs.filter(n => n !== from); renderSteps(); changed(); } },
    onDelete: (id) => removeStep(st.steps.findIndex(x => x.id === id)),
    onSelect: (id) => { selectedIndex = st.steps.findIndex(x => x.id === id); renderSteps(); },
  });
  let selectedIndex = !wf && query.component && st.steps.length ? 0 : -1;
  // Node positions live in this browser's localStorage per workflow id (the kernel's
  // definition validation accepts no UI field, so they are not part of the definition).
  for (const [id, p] of Object.entries(loadLayout(st.id))) if (st.steps.some(x => x.id === id)) cv.place(id, p);
  const stepSubtitle = (s) => s?.kind === 'wait' ? `wait · ${s.wait.mode} ${s.wait.value || '?'}`
    : s?.kind === 'workflow' ? `workflow ${s.workflow || '?'}` : byRef(s?.component)?.name || 'no component';
  /** Palette picks: a component id, or one of the flow entries (`@wait`, `@workflow`). */
  function addFromPalette(id, p) {
    if (id === '@wait' || id === '@workflow') addStep(null, p, id.slice(1)); else addStep(byRef(id), p);
  }
  function addStep(component, p, kind = 'component') {
    const step = newStep(st, component || null, kind);
    st.steps.push(step); cv.place(step.id, p);
    selectedIndex = st.steps.length - 1;
    changed(); cv.select(step.id, true);
  }
  function removeStep(i) {
    if (i < 0) return;
    const [gone] = st.steps.splice(i, 1);
    for (const s of st.steps) s.needs = s.needs.filter(n => n !== gone.id);
    selectedIndex = -1; renderSteps(); changed();
  }
  // The assistant proposes whole workflow drafts; Apply goes through the text view (same path as typing it).
  const assistant = assistantPanel({
    target: 'workflow',
    context: async () => {
      const used = [...new Set(st.steps.map(s => byRef(s.component)?.id).filter(Boolean))];
      const full = await Promise.all(used.map(id => configCache.get(id) || api(`/components/${encodeURIComponent(id)}`).then((c) => { configCache.set(id, c); return c; })));
      const declared = full.flatMap(c => [c.config.connection, ...(c.config.connections ?? [])]).filter(x => typeof x === 'string' && x);
      return { draft: toDefinition(st, nameIn.value.trim(), descIn.value), connections: [...new Set(declared)] };
    },
    apply: (proposal) => { textView.value = formatText(proposal); fromText(); },
  });
  const textView = h('textarea.mono#wf-text', { rows: 16, spellcheck: 'false', 'aria-label': 'Workflow definition as text', dataset: { testid: 'workflow-text' } });
  const textFormat = h('select#wf-text-format', { 'aria-label': 'Text format' }, h('option', { value: 'json' }, 'JSON'), h('option', { value: 'yaml' }, 'YAML'));
  const formatText = (def) => textFormat.value === 'yaml' ? toYAML(def) : JSON.stringify(def, null, 2);
  textFormat.addEventListener('change', () => { textView.value = formatText(toDefinition(st, nameIn.value.trim(), descIn.value)); setTextErr(null); });
  const textErr = h('div.field-error#wf-text-error', { role: 'alert', hidden: true });
  const setTextErr = (msg) => { textErr.hidden = !msg; clear(textErr, msg || null); };
  let textTimer = null;
  textView.addEventListener('input', () => { clearTimeout(textTimer); textTimer = setTimeout(fromText, TEXT_DEBOUNCE_MS); });
  body.append(pageHead(params.id ? `Workflow: ${st.name}` : 'New workflow', saveBtn, validateBtn, runBtn),
    h('div.panel', h('div.grid.two', h('div.field', h('label', { for: 'wf-name' }, 'Name'), nameIn), h('div.field', h('label', { for: 'wf-description' }, 'Description'), descIn))),
    summary, runBox,
    h('div.builder',
      h('div.panel.builder-palette', palette(components, (id, p) => addFromPalette(id, p)),
        h('button#add-step', { type: 'button', onclick: () => addStep(null, null) }, '+ Empty step')),
      h('div.panel.builder-canvas', cv.el),
      h('div.panel.builder-props', { dataset: { testid: 'properties' } }, h('h2', 'Properties'), stepsBox)),
    assistant.el,
    h('div.grid.builder-cols',
      h('div.panel', h('div.row', h('h2', { style: 'margin:0' }, 'Definition'), h('span.spacer'), textFormat),
        h('p.small.muted', 'Edits here update the canvas; canvas edits update this text.'), textView, textErr),
      h('div.panel', h('h2', 'Workflow inputs'), inputsBox)));

  let serverErrors = [];
  // --- inputs schema rows
  function renderInputs() {
    clear(inputsBox);
    if (!st.inputs.length) inputsBox.append(h('p.muted', 'No inputs. Steps can use ${inputs.<name>} once you add one.'));
    st.inputs.forEach((inp, i) => {
      const n = h('input', { type: 'text', value: inp.name, 'aria-label': `Input ${i + 1} name`, placeholder: 'name', dataset: { inputName: i } });
      const t = h('select', { 'aria-label': `Input ${i + 1} type` }, INPUT_TYPES.map(x => h('option', { value: x }, x))); t.value = inp.type;
      const r = h('input', { type: 'checkbox', checked: inp.required, 'aria-label': `Input ${i + 1} required` });
      const d = h('input', { type: 'text', value: inp.default ?? '', placeholder: 'default', 'aria-label': `Input ${i + 1} default` });
      n.addEventListener('change', () => { inp.name = n.value.trim(); changed(); });
      t.addEventListener('change', () => { inp.type = t.value; changed(); });
      r.addEventListener('change', () => { inp.required = r.checked; });
      d.addEventListener('input', () => { inp.default = d.value; });
      inputsBox.append(h('div.row', { style: 'margin-bottom:8px' }, n, t, h('label', { style: 'font-weight:normal;display:inline-flex;gap:4px;margin:0' }, r, 'required'), d,
        h('button.danger', { type: 'button', 'aria-label': `Remove input ${inp.name || i + 1}`, onclick: () => { st.inputs.splice(i, 1); renderInputs(); changed(); } }, '✕')));
    });
    inputsBox.append(h('button#add-input', { type: 'button', onclick: () => { st.inputs.push({ name: `input${st.inputs.length + 1}`, type: 'string', required: false, default: '' }); renderInputs(); changed(); } }, '+ Add input'));
  }

  // --- steps
  function ancestors(stepId) {
    const byId = new Map(st.steps.map(s => [s.id, s]));
    const seen = new Set(); const todo = [...(byId.get(stepId)?.needs || [])];
    while (todo.length) { const x = todo.pop(); if (seen.has(x) || x === stepId) continue; seen.add(x); todo.push(...(byId.get(x)?.needs || [])); }
    return seen;
  }
  function suggestionsFor(step) {
    return [...st.inputs.filter(i => i.name).map(i => `\${inputs.${i.name}}`), ...[...ancestors(step.id)].map(a => `\${steps.${a}.result}`)];
  }
  function renderSteps() {
    clear(stepsBox);
    if (!st.steps.length) { stepsBox.append(h('p.muted#no-steps', 'No steps yet. Drag a component onto the canvas, or open a component and choose “Use in a workflow”.')); return; }
    if (selectedIndex < 0 || selectedIndex >= st.steps.length) { stepsBox.append(h('p.muted#no-selection', 'Select a node to edit its step.')); return; }
    const step = st.steps[selectedIndex];
    stepsBox.append(stepCard(step, selectedIndex), componentConfig(step));
    showErrors();
  }
  const configCache = new Map();
  /** The step's component config as its type's schema form, read-only: editing it is a new component version. */
  function componentConfig(step) {
    const c = byRef(step.component);
    const box = h('div.component-config#step-component-config');
    if (!c) return box;
    const draw = (full) => {
      const cfg = full.config;
      const entry = types.find(t => t.type === full.type);
      const f = entry ? schemaForm(entry.type, entry.schema, cfg, { idPrefix: `cc${selectedIndex}` }) : null;
      const fs = h('fieldset', { disabled: true }, h('legend', `${c.name} config (${c.type}, v${full.latest_version})`), f ? f.el : h('pre.mono', JSON.stringify(cfg, null, 2)));
      clear(box, fs, h('a.small', { href: `#/components/${encodeURIComponent(c.id)}/edit` }, 'Edit this component (makes a new version)'));
    };
    if (configCache.has(c.id)) draw(configCache.get(c.id));
    else api(`/components/${encodeURIComponent(c.id)}`).then((full) => { configCache.set(c.id, full); if (box.isConnected) draw(full); }).catch((e) => clear(box, h('p.field-error', e.message)));
    return box;
  }
  /** A `wait` step's properties: which wait (for / until / signal), its value, and for a signal its payload schema and timeout. */
  function waitFields(step, uid) {
    const w = step.wait;
    const mode = h('select', { id: `${uid}-wait-mode`, dataset: { testid: 'wait-mode' } }, WAIT_MODES.map(([k, label]) => h('option', { value: k }, label)));
    mode.value = w.mode;
    const value = h('input.mono', { id: `${uid}-wait-value`, type: 'text', value: w.value, dataset: { testid: 'wait-value' }, placeholder: WAIT_MODES.find(m => m[0] === w.mode)[2] });
    const valueLabel = { for: 'Duration (500ms, 30s, 10m, 1h30m, 2d)', until: 'Until (ISO 8601 time)', signal: 'Signal name' }[w.mode];
    mode.addEventListener('change', () => { w.mode = mode.value; renderSteps(); changed(); });
    value.addEventListener('input', () => { w.value = value.value.trim(); });
    value.addEventListener('change', () => changed());
    const out = [h('div.field', h('label', { for: mode.id }, 'Wait'), mode), h('div.field', h('label', { for: value.id }, valueLabel), value)];
    if (w.mode === 'signal') {
      const tmo = h('input', { id: `${uid}-wait-timeout`, type: 'number', min: '0', step: 'any', value: w.timeoutSeconds ?? '', dataset: { testid: 'wait-timeout' } });
      tmo.addEventListener('input', () => { w.timeoutSeconds = tmo.value === '' ? null : Number(tmo.value); });
      tmo.addEventListener('change', () => changed());
      const schema = h('textarea.mono', { id: `${uid}-wait-schema`, rows: 4, spellcheck: 'false', dataset: { testid: 'wait-schema' }, placeholder: '{"type": "object", "properties": {"approved": {"type": "boolean"}}}' });
      schema.value = w.schema;
      schema.addEventListener('input', () => { w.schema = schema.value; });
      schema.addEventListener('change', () => changed());
      out.push(h('div.field', h('label', { for: tmo.id }, 'Signal timeout (s)'), tmo),
        h('div.field', { style: 'grid-column:1/-1' }, h('label', { for: schema.id }, 'Payload schema (JSON Schema, optional)'), schema));
    }
    return out;
  }
  /** A nested-workflow step's `workflow: "name@version"` with the known workflows as suggestions. */
  function workflowField(step, uid) {
    const listId = `${uid}-workflows`;
    const inp = h('input.mono', { id: `${uid}-workflow`, type: 'text', value: step.workflow, list: listId, autocomplete: 'off', placeholder: 'name@version', dataset: { testid: 'workflow-ref' } });
    inp.addEventListener('input', () => { step.workflow = inp.value.trim(); });
    inp.addEventListener('change', () => changed());
    return h('div.field', h('label', { for: inp.id }, 'Workflow (name@version, or name for the latest)'), inp,
      h('datalist', { id: listId }, workflows.filter(w => w.id !== st.id).map(w => h('option', { value: w.latest_version ? `${w.name}@${w.latest_version}` : w.name }))));
  }
  function stepCard(step, i) {
    const uid = `s${i}`;
    const idIn = h('input', { id: `${uid}-id`, type: 'text', value: step.id, required: true });
    idIn.addEventListener('change', () => {
      const old = step.id;
      if (idIn.value.trim() === old) return;  // also the change event of the input a re-render removes
      step.id = idIn.value.trim();
      for (const s of st.steps) s.needs = s.needs.map(n => n === old ? step.id : n);
      cv.rename(old, step.id);
      renderSteps(); changed();
    });
    const compSel = h('select', { id: `${uid}-component` }, h('option', { value: '' }, '— choose a component —'),
      components.map(c => h('option', { value: c.id }, `${c.name} (${c.type})`)));
    const comp = byRef(step.component);
    compSel.value = comp ? comp.id : '';
    const verSel = h('select', { id: `${uid}-version` });
    const fillVersions = () => {
      const c = byRef(step.component);
      clear(verSel, h('option', { value: '' }, 'latest'), c ? Array.from({ length: c.latest_version }, (_, k) => h('option', { value: String(k + 1) }, `v${k + 1}`)) : null);
      verSel.value = step.version ? String(step.version) : '';
    };
    fillVersions();
    compSel.addEventListener('change', () => { step.component = compSel.value; step.version = null; fillVersions(); changed(); });
    verSel.addEventListener('change', () => { step.version = verSel.value ? Number(verSel.value) : null; });
    const others = st.steps.filter(s => s !== step && s.id);
    const needs = h('div.needs', { id: `${uid}-needs`, role: 'group', 'aria-label': `Steps ${step.id} needs` },
      others.length ? others.map(o => {
        const cb = h('input', { type: 'checkbox', checked: step.needs.includes(o.id), value: o.id });
        cb.addEventListener('change', () => { step.needs = cb.checked ? [...new Set([...step.needs, o.id])] : step.needs.filter(n => n !== o.id); changed(); });
        return h('label', cb, o.id);
      }) : h('span.muted.small', 'no other steps'));
    const listId = `${uid}-suggest`;
    const datalist = h('datalist', { id: listId }, suggestionsFor(step).map(v => h('option', { value: v })));
    const mappings = h('div', { id: `${uid}-inputs` });
    const renderMappings = () => {
      clear(mappings);
      step.inputs.forEach((m, j) => {
        const k = h('input', { type: 'text', value: m[0], placeholder: 'name', 'aria-label': `Step ${step.id} input ${j + 1} name` });
        const v = h('input.mono', { type: 'text', value: m[1], placeholder: '${inputs.x} or literal', list: listId, 'aria-label': `Step ${step.id} input ${j + 1} value`, autocomplete: 'off' });
        k.addEventListener('input', () => { m[0] = k.value; });
        v.addEventListener('input', () => { m[1] = v.value; });
        v.addEventListener('change', () => changed());
        mappings.append(h('div.mapping', k, v, h('button.danger', { type: 'button', 'aria-label': `Remove mapping ${j + 1}`, onclick: () => { step.inputs.splice(j, 1); renderMappings(); changed(); } }, '✕')));
      });
    };
    renderMappings();
    const num = (label, key, obj, idSuffix, attrs = {}) => {
      const inp = h('input', { id: `${uid}-${idSuffix}`, type: 'number', min: '0', step: 'any', value: obj[key] ?? '', ...attrs });
      inp.addEventListener('input', () => { obj[key] = inp.value === '' ? null : Number(inp.value); });
      return h('div.field', h('label', { for: inp.id }, label), inp);
    };
    const exprField = (label, key, placeholder, hint) => {
      const inp = h('input.mono', { id: `${uid}-${key}`, type: 'text', value: typeof step[key] === 'string' ? step[key] : (step[key] === undefined ? '' : JSON.stringify(step[key])), placeholder, list: listId, autocomplete: 'off' });
      inp.addEventListener('input', () => { step[key] = inp.value.trim() === '' ? undefined : literal(inp.value.trim()); });
      inp.addEventListener('change', () => changed());
      return h('div.field', h('label', { for: inp.id }, label), inp, h('div.hint.small.muted', hint));
    };
    const errs = h('ul.field-error-list', { style: 'margin:4px 0;padding-left:18px' });
    const kindFields = step.kind === 'wait' ? waitFields(step, uid) : step.kind === 'workflow' ? [workflowField(step, uid)]
      : [h('div.field', h('label', { for: compSel.id }, 'Component'), compSel), h('div.field', h('label', { for: verSel.id }, 'Version'), verSel)];
    const card = h('div.step-card', { dataset: { stepIndex: i, stepId: step.id, kind: step.kind } },
      h('div.row', h('h3', { style: 'margin:0' }, `Step ${i + 1}`), h('span.spacer'),
        h('button.danger', { type: 'button', 'aria-label': `Remove step ${step.id}`, onclick: () => removeStep(i) }, 'Remove')),
      errs,
      h('div.step-grid',
        h('div.field', h('label', { for: idIn.id }, 'Step id'), idIn),
        ...kindFields,
        num('Timeout (s)', 'timeoutSeconds', step, 'timeout'),
        num('Retries (max)', 'max', step.retries, 'retries', { step: '1' }),
        num('Backoff (s)', 'backoffSeconds', step.retries, 'backoff'),
        num('Backoff factor', 'factor', step.retries, 'factor'),
        step.kind === 'component' ? num('Max parallel (forEach)', 'maxParallel', step, 'max-parallel', { step: '1', min: '1' }) : null),
      h('div.grid.two',
        exprField('When', 'when', '${inputs.enabled}', 'Run the step only when this is true.'),
        step.kind === 'component' ? exprField('For each', 'forEach', '${steps.list.result.items}', 'Run the step once per item (${item}).') : null),
      h('div.field', h('label', 'Needs'), needs),
      h('div.field', h('label', 'Input mappings'), mappings, datalist,
        h('button', { type: 'button', onclick: () => { step.inputs.push(['', '']); renderMappings(); mappings.querySelector('.mapping:last-child input')?.focus(); } }, '+ Add mapping')));
    card._errs = errs;
    return card;
  }

  // --- validation (client-side mirror; the kernel's answer is authoritative)
  function clientErrors() {
    const errors = [];
    const ids = new Set();
    st.steps.forEach((s, i) => {
      if (!s.id) errors.push({ path: `steps.${i}.id`, message: 'step id is required' });
      else if (ids.has(s.id)) errors.push({ path: `steps.${i}.id`, message: `duplicate step id “${s.id}”` });
      ids.add(s.id);
      if (s.kind === 'wait') {
        if (!s.wait.value) errors.push({ path: `steps.${i}.wait.${s.wait.mode}`, message: { for: 'the wait needs a duration', until: 'the wait needs a time', signal: 'the wait needs a signal name' }[s.wait.mode] });
        if (s.wait.mode === 'signal' && s.wait.schema.trim()) { try { JSON.parse(s.wait.schema); } catch (e) { errors.push({ path: `steps.${i}.wait.schema`, message: `payload schema is not valid JSON: ${e.message}` }); } }
      } else if (s.kind === 'workflow') {
        if (!s.workflow) errors.push({ path: `steps.${i}.workflow`, message: 'name the workflow to run (name@version)' });
      } else if (!s.component) errors.push({ path: `steps.${i}.component`, message: 'choose a component' });
      else if (!byRef(s.component)) errors.push({ path: `steps.${i}.component`, message: 'unknown component' });
    });
    st.steps.forEach((s, i) => {
      s.needs.forEach((n, j) => { if (!ids.has(n)) errors.push({ path: `steps.${i}.needs.${j}`, message: `unknown step “${n}”` }); });
      const anc = ancestors(s.id);
      for (const [k, v] of s.inputs) {
        for (const m of String(v).matchAll(EXPR)) {
          const parts = m[1].trim().split('.');
          if (parts[0] === 'inputs' && !st.inputs.some(x => x.name === parts[1])) errors.push({ path: `steps.${i}.inputs.${k}`, message: `unknown workflow input “${parts[1] || ''}”` });
          else if (parts[0] === 'steps' && !anc.has(parts[1])) errors.push({ path: `steps.${i}.inputs.${k}`, message: `step “${parts[1] || ''}” is not an ancestor (add it to needs)` });
          else if (parts[0] !== 'inputs' && parts[0] !== 'steps') errors.push({ path: `steps.${i}.inputs.${k}`, message: `cannot parse expression \${${m[1]}}` });
        }
      }
    });
    const { cycle } = layering(st.steps.map(s => ({ id: s.id })), st.steps.flatMap(s => s.needs.map(n => [n, s.id])));
    if (cycle) {
      const i = st.steps.findIndex(s => s.id === cycle[0]);
      errors.push({ path: `steps.${Math.max(0, i)}.needs`, message: `cycle: ${cycle.join(' → ')}` });
    }
    return errors;
  }
  function stepIndexOf(path) {
    const p = normalizePath(path).replace(/^definition\./, '');
    const m = p.match(/^steps\.([^.]+)(?:\.|$)/);
    if (!m) return -1;
    if (/^\d+$/.test(m[1]) && Number(m[1]) < st.steps.length) return Number(m[1]);
    return st.steps.findIndex(s => s.id === m[1]);
  }
  function showErrors() {
    const all = [...clientErrors(), ...serverErrors];
    const perStep = new Map();
    const general = [];
    for (const e of all) {
      const i = stepIndexOf(e.path);
      if (i >= 0) { const l = perStep.get(i) || []; if (!l.includes(e.message)) l.push(e.message); perStep.set(i, l); } else general.push(e);
    }
    for (const card of stepsBox.querySelectorAll('.step-card')) {
      const l = perStep.get(Number(card.dataset.stepIndex)) || [];
      card.classList.toggle('invalid', l.length > 0);
      clear(card._errs, l.map(m => h('li.field-error', m)));
    }
    clear(summary, general.length ? h('div.state.error', h('strong', 'Workflow problems'), h('ul', general.map(e => h('li', `${e.path ? e.path + ': ' : ''}${e.message}`)))) : null);
    perStepErrors = perStep;
    return perStep;
  }

  // --- the kernel's validation, as you edit (workflow.validate on the draft; its errors land on their node)
  let validateTimer = null, validateSeq = 0;
  function scheduleKernelValidate() {
    clearTimeout(validateTimer);
    validateTimer = setTimeout(kernelValidate, VALIDATE_DEBOUNCE_MS);
  }
  async function kernelValidate() {
    const mine = ++validateSeq;
    if (!st.steps.length || clientErrors().length) { if (serverErrors.length) { serverErrors = []; refresh(); } return null; }
    const { name, inputs, steps } = toDefinition(st, nameIn.value.trim() || 'draft', descIn.value);
    let errs;
    try {
      const res = await api(`/workflows/${encodeURIComponent(st.id || 'draft')}/validate`, { method: 'POST', body: { name, inputs, steps } });
      errs = res.errors;
    } catch (e) { errs = e.errors?.length ? e.errors : [{ path: '', message: e.message }]; }
    if (mine !== validateSeq) return null;
    serverErrors = errs; refresh();
    return errs;
  }
  /** Errors, canvas and text view after any change that does not need a new kernel answer. */
  function refresh() {
    showErrors(); cv.redraw();
    if (document.activeElement !== textView) { textView.value = formatText(toDefinition(st, nameIn.value.trim(), descIn.value)); setTextErr(null); }
  }
  function changed() {
    // refresh autocomplete lists (ancestors may have changed)
    for (const card of stepsBox.querySelectorAll('.step-card')) {
      const dl = card.querySelector('datalist'); const step = st.steps[Number(card.dataset.stepIndex)];
      if (dl && step) clear(dl, suggestionsFor(step).map(v => h('option', { value: v })));
    }
    refresh();
    scheduleKernelValidate();
  }
  /** The text view's JSON becomes the draft (name, description, inputs, steps); a parse error names line and column. */
  function fromText() {
    let parsed;
    if (textFormat.value === 'yaml') {
      try { parsed = fromYAML(textView.value); } catch (e) { setTextErr(`Not valid YAML: ${e.message}.`); return; }
    } else try { parsed = JSON.parse(textView.value); } catch (e) {
      const at = jsonErrorOffset(textView.value);
      setTextErr(at < 0 ? `Not valid JSON: ${e.message}` : `Not valid JSON at ${lineColumn(textView.value, at)}.`);
      return;
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) { setTextErr('The definition must be a JSON object with name, inputs and steps.'); return; }
    if (parsed.steps !== undefined && !Array.isArray(parsed.steps)) { setTextErr('steps must be an array.'); return; }
    setTextErr(null);
    const next = fromWorkflow({ id: st.id, name: parsed.name ?? '', description: parsed.description ?? '', definition: parsed });
    const selectedId = st.steps[selectedIndex]?.id;
    st.name = next.name; st.description = next.description; st.inputs = next.inputs; st.steps = next.steps;
    nameIn.value = st.name; descIn.value = st.description;
    selectedIndex = st.steps.findIndex(x => x.id === selectedId);
    renderInputs(); renderSteps(); changed();
  }

  // --- save / validate / run
  async function save() {
    serverErrors = [];
    const payload = toDefinition(st, nameIn.value.trim(), descIn.value);
    saveBtn.disabled = true;
    try {
      const w = st.id ? await api(`/workflows/${encodeURIComponent(st.id)}`, { method: 'PUT', body: payload })
        : await api('/workflows', { method: 'POST', body: payload });
      toast(`Saved ${w.name} (v${w.latest_version}).`);
      changed();
      if (!st.id) { st.id = w.id; history.replaceState(null, '', `#/workflows/${w.id}`); body.querySelector('h1').textContent = `Workflow: ${w.name}`; }
      saveLayout(st.id, cv.positions());
      return true;
    } catch (e) {
      serverErrors = e.errors.length ? e.errors : [{ path: '', message: e.message }];
      changed();
      return false;
    } finally { saveBtn.disabled = false; }
  }
  async function validate() {
    clearTimeout(validateTimer);
    const local = clientErrors();
    if (local.length || !st.steps.length) { serverErrors = []; refresh(); return; }
    const errs = await kernelValidate();
    if (errs && !errs.length) clear(summary, h('div.state#wf-valid', '✓ The kernel reports the workflow as valid.'));
  }
  async function openRun() {
    if (!(await save())) return;
    const schema = toInputSchema(st.inputs);
    const form = schemaForm(null, schema, Object.fromEntries(st.inputs.filter(i => i.default !== '' && i.default !== undefined).map(i => [i.name, coerce(i.default, i.type)])), { prefix: 'inputs', idPrefix: 'run-input' });
    const err = h('div', { role: 'alert' });
    const go = h('button.primary#run-start', { type: 'submit' }, 'Start run');
    const f = h('form.panel#run-form', { onsubmit: async (e) => {
      e.preventDefault(); form.clearErrors(); clear(err);
      let inputs; try { inputs = form.read(); } catch (ex) { form.showErrors(ex.errors); return; }
      go.disabled = true;
      try {
        const r = await api(`/workflows/${encodeURIComponent(st.id)}/runs`, { method: 'POST', body: { inputs } });
        toast('Run started.');
        location.hash = `#/runs/${r.run_id}`;
      } catch (ex) {
        const un = form.showErrors(ex.errors);
        clear(err, h('div.state.error', ex.message, un.length ? h('ul', un.map(x => h('li', `${x.path}: ${x.message}`))) : null));
      } finally { go.disabled = false; }
    } }, h('h2', 'Run with inputs'), st.inputs.length ? form.el : h('p.muted', 'This workflow takes no inputs.'), err,
      h('div.row', go, h('button', { type: 'button', onclick: () => clear(runBox) }, 'Close')));
    clear(runBox, f);
    (f.querySelector('input, textarea, select') || go).focus();
  }

  renderInputs(); renderSteps(); changed();
  requestAnimationFrame(() => cv.fit());
  return () => { clearTimeout(validateTimer); clearTimeout(textTimer); assistant.close(); };
}


/** YAML through js-yaml (vendored, js/vendor/js-yaml.LICENSE) with the core schema: no timestamps
 *  or other types JSON lacks, so YAML and JSON text views hold the same definition. */
function toYAML(value) { return yamlDump(value, { schema: CORE_SCHEMA, noRefs: true, lineWidth: -1 }); }
function fromYAML(text) {
  try { return yamlLoad(text, { schema: CORE_SCHEMA }); } catch (e) {
    if (e.mark && e.reason) throw new Error(`line ${e.mark.line + 1}, column ${e.mark.column + 1}: ${e.reason}`);
    throw e;
  }
}

/** The saved node positions of a workflow ({step id: {x, y}}); {} when none or unreadable. */
function loadLayout(workflowId) {
  if (!workflowId) return {};
  try {
    const v = JSON.parse(localStorage.getItem(LAYOUT_KEY + workflowId) || '{}');
    return v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).filter(([, p]) => p && Number.isFinite(p.x) && Number.isFinite(p.y))) : {};
  } catch { return {}; }
}
function saveLayout(workflowId, positions) {
  if (!workflowId) return;
  try { localStorage.setItem(LAYOUT_KEY + workflowId, JSON.stringify(positions)); }
  catch (e) { toast(`Node positions not kept: ${e.message}`, true); }
}

function newStep(st, component, kind = 'component') {
  const base = kind === 'wait' ? 'wait' : kind === 'workflow' ? 'subflow'
    : component ? component.name.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '') || 'step' : 'step';
  let id = base, n = 2;
  while (st.steps.some(s => s.id === id)) id = `${base}_${n++}`;
  return { id, kind, component: component ? component.id : '', version: null, needs: [], inputs: [], retries: { max: null, backoffSeconds: null, factor: null }, timeoutSeconds: null, when: undefined, forEach: undefined, maxParallel: null,
    wait: { mode: 'signal', value: kind === 'wait' ? 'approve' : '', schema: '', timeoutSeconds: null, extra: {} }, workflow: '' };
}

/** A step's `wait` object as the properties panel edits it. */
function waitState(w) {
  if (!w || typeof w !== 'object') return { mode: 'signal', value: '', schema: '', timeoutSeconds: null, extra: {} };
  const mode = WAIT_MODES.map(m => m[0]).find(k => w[k] !== undefined) || 'signal';
  const extra = Object.fromEntries(Object.entries(w).filter(([k]) => !['for', 'until', 'signal', 'schema', 'timeoutSeconds'].includes(k)));
  return { mode, value: w[mode] === undefined ? '' : String(w[mode]), schema: w.schema === undefined ? '' : JSON.stringify(w.schema, null, 2), timeoutSeconds: w.timeoutSeconds ?? null, extra };
}

function fromWorkflow(wf) {
  const st = { id: wf?.id || null, name: wf?.name || '', description: wf?.description || '', inputs: [], steps: [] };
  if (!wf) return st;
  const def = wf.definition;
  const schema = def.inputs ?? {};
  const req = new Set(schema.required || []);
  // `schema` keeps what the row editor does not show (description, enum, bounds…) so a re-save loses nothing.
  for (const [name, s] of Object.entries(schema.properties || {})) st.inputs.push({ name, type: (Array.isArray(s.type) ? s.type[0] : s.type) || 'string', required: req.has(name), default: s.default === undefined ? '' : (typeof s.default === 'object' ? JSON.stringify(s.default) : String(s.default)), schema: s });
  st.steps = stepsOf(wf).map(s => ({ id: s.id, kind: s.wait !== undefined ? 'wait' : s.workflow !== undefined ? 'workflow' : 'component',
    component: s.component, version: s.version ?? null, needs: s.needs || [], wait: waitState(s.wait), workflow: typeof s.workflow === 'string' ? s.workflow : '',
    inputs: Object.entries(s.inputs || {}).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
    retries: { max: s.retries?.max ?? null, backoffSeconds: s.retries?.backoffSeconds ?? null, factor: s.retries?.factor ?? null },
    timeoutSeconds: s.timeoutSeconds ?? null, when: s.when, forEach: s.forEach, maxParallel: s.maxParallel ?? null,
    // Fields the editor does not show (name, continueOnError, …) are kept as they are.
    extra: Object.fromEntries(Object.entries(s).filter(([k]) => !MANAGED_STEP_KEYS.has(k))) }));
  return st;
}

function coerce(v, type) {
  if (type === 'number' || type === 'integer') { const n = Number(v); return Number.isFinite(n) ? n : v; }
  if (type === 'boolean') return v === true || v === 'true';
  if (type === 'object' || type === 'array') { try { return JSON.parse(v); } catch { return v; } }
  return v;
}

/** Literal mapping values: JSON if it parses as a number/bool/object/array, else the string. */
function literal(v) {
  if (/^\s*(-?\d+(\.\d+)?|true|false|null|\{[\s\S]*\}|\[[\s\S]*\])\s*$/.test(v)) { try { return JSON.parse(v); } catch { /* keep string */ } }
  return v;
}

function toInputSchema(inputs) {
  const properties = {};
  for (const i of inputs) if (i.name) {
    const p = { ...(i.schema || {}), type: i.type };
    delete p.default;
    if (i.default !== '' && i.default !== undefined) p.default = coerce(i.default, i.type);
    properties[i.name] = p;
  }
  const required = inputs.filter(i => i.name && i.required).map(i => i.name);
  return required.length ? { type: 'object', properties, required } : { type: 'object', properties };
}

function toDefinition(st, name, description) {
  return {
    name, description, inputs: toInputSchema(st.inputs),
    steps: st.steps.map(s => {
      const out = { ...(s.extra || {}), id: s.id };
      if (s.kind === 'wait') {
        const w = s.wait;
        out.wait = { ...w.extra, [w.mode]: w.value };
        if (w.mode === 'signal') {
          // A schema that does not parse is sent as written: the kernel's error names it (nothing is dropped).
          if (w.schema.trim()) { try { out.wait.schema = JSON.parse(w.schema); } catch { out.wait.schema = w.schema; } }
          if (w.timeoutSeconds !== null && w.timeoutSeconds !== undefined) out.wait.timeoutSeconds = w.timeoutSeconds;
        }
      } else if (s.kind === 'workflow') out.workflow = s.workflow;
      else out.component = s.component;
      if (s.kind === 'component' && s.version) out.version = s.version;
      if (s.needs.length) out.needs = s.needs;
      const inputs = Object.fromEntries(s.inputs.filter(([k]) => k.trim()).map(([k, v]) => [k.trim(), literal(v)]));
      if (Object.keys(inputs).length) out.inputs = inputs;
      const r = s.retries;
      if (r.max !== null && r.max !== undefined) {
        out.retries = { max: r.max };
        if (r.backoffSeconds !== null && r.backoffSeconds !== undefined) out.retries.backoffSeconds = r.backoffSeconds;
        if (r.factor !== null && r.factor !== undefined) out.retries.factor = r.factor;
      }
      if (s.timeoutSeconds !== null && s.timeoutSeconds !== undefined) out.timeoutSeconds = s.timeoutSeconds;
      if (s.when !== undefined && s.when !== '') out.when = s.when;
      if (s.forEach !== undefined && s.forEach !== '') out.forEach = s.forEach;
      if (s.maxParallel !== null && s.maxParallel !== undefined) out.maxParallel = s.maxParallel;
      return out;
    }),
  };
}
