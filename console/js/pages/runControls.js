// Run control on the run detail page (issue 17): a Rerun button on a finished run that did
// not succeed (optionally from a step: its ancestors that succeeded are reused), and an
// Approve / Reject form for each step waiting for a signal, showing what is being approved
// (the waiting step's resolved inputs, e.g. the SQL an upstream LLM step wrote).
import { api } from '../api.js';
import { h, clear, pretty, toast } from '../ui.js';
import { schemaForm } from '../schemaForm.js';

/** Payload fields the form's own controls send (the buttons and the comment box). */
const OWN_FIELDS = new Set(['approved', 'comment']);

const RERUNNABLE = new Set(['failed', 'cancelled', 'timed_out']);

/** The panel; `update(run)` redraws it from a `run.get` snapshot, `refresh()` fetches one. */
export function runControls(runId) {
  const box = h('div#run-controls');
  let current = null;
  const schemas = new Map(); // "workflowId@version" → Promise of {stepId: wait.schema}

  /** The payload schemas the pinned workflow version declares on its signal waits. */
  function waitSchemas(run) {
    const key = `${run.workflow_id}@${run.workflow_version}`;
    if (!schemas.has(key)) {
      schemas.set(key, api(`/workflows/${encodeURIComponent(run.workflow_id)}`, { query: { version: run.workflow_version } }).then((w) => {
        const steps = w.definition.steps;
        return Object.fromEntries(steps.filter(s => s.wait && s.wait.schema && typeof s.wait.schema === 'object').map(s => [s.id, s.wait.schema]));
      }));
    }
    return schemas.get(key);
  }

  async function refresh() {
    try { update(await api(`/workflow-runs/${encodeURIComponent(runId)}`)); } catch { /* the page shows stream errors */ }
  }

  function rerunForm(run) {
    const steps = run.steps.map(s => s.id);
    const from = h('select#rerun-from', { 'aria-label': 'Rerun from step', 'data-testid': 'rerun-from' },
      h('option', { value: '' }, 'from the failure (reuse every succeeded step)'),
      steps.map(id => h('option', { value: id }, `from ${id}`)));
    const btn = h('button#run-rerun', { type: 'button', 'data-testid': 'run-rerun' }, 'Rerun');
    btn.onclick = async () => {
      btn.disabled = true;
      try {
        const body = from.value ? { from: from.value } : {};
        const r = await api(`/workflow-runs/${encodeURIComponent(run.id)}/rerun`, { method: 'POST', body });
        toast(`Rerun started${r.reused?.length ? ` (reused: ${r.reused.join(', ')})` : ''}.`);
        location.hash = `#/runs/${r.run_id}`;
      } catch (e) { toast(e.message, true); } finally { btn.disabled = false; }
    };
    return h('div.row#rerun-form', { 'data-testid': 'rerun-form' }, h('strong', 'Rerun'), from, btn);
  }

  function approvalForm(run, wait) {
    const comment = h('input', { type: 'text', placeholder: 'Comment (optional)', 'aria-label': 'Comment', 'data-testid': 'approval-comment' });
    // When the wait declares a payload schema, its other fields are a schema form (issue 19).
    let form = null;
    const fields = h('div', { 'data-testid': 'approval-fields' });
    const formError = h('div', { role: 'alert' });
    waitSchemas(run).then((byStep) => {
      const schema = byStep[wait.step];
      if (!schema || !schema.properties) return;
      const rest = Object.fromEntries(Object.entries(schema.properties).filter(([k]) => !OWN_FIELDS.has(k)));
      if (!Object.keys(rest).length) return;
      form = schemaForm(null, { ...schema, properties: rest, required: (schema.required || []).filter(k => !OWN_FIELDS.has(k)) }, {}, { prefix: 'payload', idPrefix: `approval-${wait.step}` });
      clear(fields, h('div.small', 'Details the approval needs:'), form.el);
    }).catch((e) => clear(fields, h('p.field-error', `The payload schema could not be read: ${e.message}`)));
    const send = (approved) => async () => {
      clear(formError);
      let extra = {};
      if (form) { form.clearErrors(); try { extra = form.read(); } catch (e) { form.showErrors(e.errors); return; } }
      approve.disabled = reject.disabled = true;
      const payload = { ...extra, approved };
      if (comment.value.trim()) payload.comment = comment.value.trim();
      try {
        await api(`/workflow-runs/${encodeURIComponent(run.id)}/signal`, { method: 'POST', body: { name: wait.signal, payload } });
        toast(approved ? 'Approved.' : 'Rejected.');
        refresh();
      } catch (e) {
        const unplaced = form && e.errors?.length ? form.showErrors(e.errors) : (e.errors || []);
        clear(formError, h('div.state.error', e.message, unplaced.length ? h('ul', unplaced.map(x => h('li', `${x.path}: ${x.message}`))) : null));
        approve.disabled = reject.disabled = false;
      }
    };
    const approve = h('button#approve', { type: 'button', 'data-testid': 'approve', onclick: send(true) }, 'Approve');
    const reject = h('button.danger#reject', { type: 'button', 'data-testid': 'reject', onclick: send(false) }, 'Reject');
    const inputs = wait.inputs && Object.keys(wait.inputs).length ? wait.inputs : null;
    return h('div.panel.approval', { 'data-testid': 'approval-form', dataset: { step: wait.step, signal: wait.signal } },
      h('h2', `Waiting for approval: ${wait.step}`),
      h('p.small.muted', `Signal "${wait.signal}"${wait.due_at ? ` · times out ${new Date(wait.due_at).toLocaleString()}` : ''}`),
      inputs ? h('div', h('div.small', 'What is being approved:'),
        Object.entries(inputs).map(([k, v]) => h('div', h('strong', k), h('pre.approval-input', { 'data-testid': 'approval-input', dataset: { key: k } },
          typeof v === 'string' ? v : pretty(v))))) : h('p.muted', 'The step has no inputs to show.'),
      fields, formError, h('div.row', comment, approve, reject));
  }

  // An open wait keeps its form across redraws (run events redraw the panel often), so a
  // comment or payload being typed is not thrown away by the next snapshot.
  const openForms = new Map(); // "step\u0000signal" → the form element

  function update(run) {
    current = run;
    const parts = [];
    const stillOpen = new Set();
    for (const w of current.waits) {
      if (w.kind !== 'signal' || w.outcome !== 'open' || current.status !== 'running') continue;
      const key = `${w.step}\u0000${w.signal}`;
      stillOpen.add(key);
      if (!openForms.has(key)) openForms.set(key, approvalForm(current, w));
      parts.push(openForms.get(key));
    }
    for (const key of [...openForms.keys()]) if (!stillOpen.has(key)) openForms.delete(key);
    if (RERUNNABLE.has(current.status)) parts.push(h('div.panel', rerunForm(current)));
    clear(box, parts);
  }

  return { element: box, update, refresh, get run() { return current; } };
}
