// Run detail: step timeline (Gantt), per-step progress, live logs through
// the run's SSE stream (auto-scroll with pause, filters by step and stream),
// result previews, artifact downloads, cancel. A dropped connection resumes
// from the last event id: nothing lost, nothing doubled (see stream.js).
import { api, download } from '../api.js';
import { h, clear, pageHead, statusBadge, fmtTime, fmtDuration, toMillis, shortId, pretty, empty, loading, errorState, toast, kv, tabs } from '../ui.js';
import { setQuery } from '../app.js';
import { LiveStream } from '../stream.js';
import { runActivity } from './runActivity.js';
import { runControls } from './runControls.js';

const MAX_LOG_LINES = 20_000;
const TERMINAL = new Set(['succeeded', 'cached', 'failed', 'cancelled', 'timed_out']);
const TICK_MS = 1000;
const PREVIEW_CHARS = 4000;
const ARTIFACT_REFRESH_MS = 300;

/** Exposed for the browser tests and for debugging from the devtools console. */
window.mcpkConsole = window.mcpkConsole || {};

export async function render(main, params, query = {}) {
  const runId = params.id;
  const body = h('div', loading());
  main.append(body);
  let run;
  try { run = await api(`/workflow-runs/${encodeURIComponent(runId)}`); }
  catch (e) { clear(body, errorState(e, () => { clear(main); render(main, params); })); return; }
  // run.get has no workflow_name (run.list has): read it from the workflow.
  let wfName = null;
  try { wfName = (await api(`/workflows/${encodeURIComponent(run.workflow_id)}`)).name; } catch { /* keep the id */ }

  // ---- state
  const steps = new Map(); // step_id -> {id, status, started_at, finished_at, attempt, progress, message, preview, result, error}
  for (const s of run.steps) {
    const id = s.id;
    const prev = steps.get(id);
    if (!prev || s.attempt >= prev.attempt) steps.set(id, { id, status: s.reused ? 'reused' : s.status, started_at: s.started_at, finished_at: s.finished_at, attempt: s.attempt, result: s.result, error: s.error, progress: null, preview: null });
  }
  const stepOf = (id) => { if (!steps.has(id)) { steps.set(id, { id, status: 'pending' }); stepFilterRefresh(); } return steps.get(id); };

  // ---- layout
  const statusBox = h('span#run-status');
  const cancelBtn = h('button.danger#run-cancel', { type: 'button', onclick: cancel }, 'Cancel run');
  const connState = h('span.small.muted#stream-state', 'connecting…');
  const gantt = h('div.gantt#gantt', { role: 'table', 'aria-label': 'Step timeline' });
  const stepsTable = h('div');
  const summaryBox = h('div');
  const previews = h('div#previews');
  const artifactsBox = h('div#artifacts');
  const stepFilter = h('select#log-step-filter', { 'aria-label': 'Filter logs by step' }, h('option', { value: '' }, 'All steps'));
  const streamFilter = h('select#log-stream-filter', { 'aria-label': 'Filter logs by stream' }, h('option', { value: '' }, 'stdout + stderr'), h('option', { value: 'stdout' }, 'stdout'), h('option', { value: 'stderr' }, 'stderr'));
  const follow = h('input#log-follow', { type: 'checkbox', checked: true });
  const logBox = h('div.log#log', { role: 'log', 'aria-live': 'off', tabindex: '0', 'aria-label': 'Run logs' });
  const logCount = h('span.small.muted#log-count', '0 lines');
  // Tabs (issue 19): "Steps & logs" keeps its elements alive while hidden, so
  // the live stream keeps filling them; "Activity" reloads the audit trail each
  // time it is shown. ?tab=activity links straight to it.
  const stepsTab = h('div#run-steps-tab', { dataset: { testid: 'run-steps-tab' } },
    h('div.grid.two', h('div.panel', h('h2', 'Timeline'), gantt), h('div.panel', h('h2', 'Steps'), stepsTable)),
    h('div.panel', h('div.row', h('h2', { style: 'margin:0' }, 'Logs'), h('span.spacer'), stepFilter, streamFilter,
      h('label', { style: 'display:inline-flex;gap:4px;font-weight:normal;margin:0' }, follow, 'Auto-scroll'), logCount),
      h('div', { style: 'margin-top:8px' }, logBox)),
    h('div.grid.two', h('div.panel', h('h2', 'Results'), previews), h('div.panel', h('h2', 'Artifacts'), artifactsBox)));
  const activity = runActivity(run, wfName);
  let tabShown = false;
  const tabStrip = tabs([['steps', 'Steps & logs'], ['activity', 'Activity']], (key, panel) => {
    const again = tabShown;
    if (again) setQuery({ tab: key === 'steps' ? '' : key });
    tabShown = true;
    panel.id = 'run-tab-panel';
    if (key === 'activity') { panel.append(activity.el); activity.refresh(); }
    else { panel.append(stepsTab); if (again) scrollLog(); }
  }, query.tab === 'activity' ? 'activity' : 'steps');
  tabStrip.el.querySelector('[role=tablist]').setAttribute('aria-label', 'Run detail');
  for (const b of tabStrip.el.querySelectorAll('[role=tab]')) b.dataset.testid = `run-tab-${b.dataset.tab}`;
  const controls = runControls(run.id);
  controls.update(run);
  body.replaceChildren(
    pageHead(wfName ? `Run of ${wfName} · ${shortId(run.id)}` : `Run ${shortId(run.id)}`, statusBox, connState, cancelBtn),
    h('div.panel', summaryBox),
    controls.element,
    tabStrip.el);

  function stepFilterRefresh() {
    const cur = stepFilter.value;
    clear(stepFilter, h('option', { value: '' }, 'All steps'), [...steps.keys()].map(id => h('option', { value: id }, id)));
    stepFilter.value = cur;
  }
  stepFilterRefresh();

  // ---- logs
  let lineCount = 0;
  const applyFilter = (el) => {
    el.hidden = (stepFilter.value && el.dataset.step !== stepFilter.value) || (streamFilter.value && el.dataset.stream !== streamFilter.value);
  };
  stepFilter.addEventListener('change', () => { for (const el of logBox.children) applyFilter(el); scrollLog(); });
  streamFilter.addEventListener('change', () => { for (const el of logBox.children) applyFilter(el); scrollLog(); });
  follow.addEventListener('change', scrollLog);
  logBox.addEventListener('scroll', () => {
    const atBottom = logBox.scrollHeight - logBox.scrollTop - logBox.clientHeight < 8;
    if (!atBottom && follow.checked && !scrolling) follow.checked = false; // the user scrolled up: pause
    else if (atBottom && !follow.checked && userScrolled) follow.checked = true;
  });
  let scrolling = false, userScrolled = false;
  logBox.addEventListener('wheel', () => { userScrolled = true; }, { passive: true });
  logBox.addEventListener('keydown', () => { userScrolled = true; });
  function scrollLog() {
    if (!follow.checked) return;
    scrolling = true; logBox.scrollTop = logBox.scrollHeight;
    requestAnimationFrame(() => { scrolling = false; });
  }
  function addLog(seq, p, at) {
    const stream = p.stream;
    const el = h(`div.line.${stream === 'stderr' ? 'stderr' : 'stdout'}`, { dataset: { seq, step: p.step_id ?? '', stream }, title: fmtTime(at) },
      h('span.meta', `${p.step_id ?? 'run'}${stream === 'stderr' ? ' ! ' : ' '}`), h('span.text', p.line));
    applyFilter(el);
    logBox.append(el);
    lineCount++;
    if (logBox.childElementCount > MAX_LOG_LINES) logBox.firstElementChild.remove();
    logCount.textContent = `${lineCount} line${lineCount === 1 ? '' : 's'}`;
  }

  // ---- rendering of run state
  function drawSummary() {
    clear(statusBox, statusBadge(run.status));
    cancelBtn.hidden = TERMINAL.has(run.status);
    clear(summaryBox, kv([
      ['Workflow', h('a', { href: `#/workflows/${run.workflow_id}` }, wfName ?? shortId(run.workflow_id))],
      ['Status', statusBadge(run.status)], ['Started', fmtTime(run.started_at || run.created_at)],
      ['Duration', run.started_at ? fmtDuration(run.started_at, run.finished_at) : '—'],
      ['Inputs', h('code', JSON.stringify(run.inputs))],
      run.error ? ['Error', h('span.field-error', run.error)] : null,
      ['Run id', h('code', run.id)],
    ]));
  }
  function progressFraction(s) {
    if (s.status === 'succeeded' || s.status === 'cached') return 1;
    if (s.progress === null || s.progress === undefined) return null;
    return Math.max(0, Math.min(1, s.progress));
  }
  function drawSteps() {
    const list = [...steps.values()];
    if (!list.length) { clear(stepsTable, empty('No step has started yet.')); clear(gantt, empty('The timeline fills in as steps run.')); return; }
    clear(stepsTable, h('div.table-wrap', h('table#steps-table', h('thead', h('tr', h('th', 'Step'), h('th', 'Status'), h('th', 'Progress'), h('th', 'Duration'))),
      h('tbody', list.map(s => {
        const f = progressFraction(s);
        return h('tr', { dataset: { step: s.id, status: s.status } }, h('td', s.id, s.attempt > 1 ? h('span.small.muted', ` (attempt ${s.attempt})`) : null),
          h('td', statusBadge(s.status)),
          h('td', f === null ? h('span.muted', '—') : h('div', h('div.progress', { role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': String(Math.round(f * 100)), 'aria-label': `${s.id} progress` }, h('div', { style: `width:${f * 100}%` })),
            h('span.small.muted', `${Math.round(f * 100)}%${s.message ? ' · ' + s.message : ''}`))),
          h('td', s.started_at ? fmtDuration(s.started_at, s.finished_at) : '—'));
      })))));
    const t0 = Math.min(...list.map(s => toMillis(s.started_at)).filter(x => x !== null), toMillis(run.started_at) ?? Infinity);
    const t1 = Math.max(Date.now() * (TERMINAL.has(run.status) ? 0 : 1), ...list.map(s => toMillis(s.finished_at) ?? (s.started_at ? Date.now() : 0)), toMillis(run.finished_at) ?? 0);
    const span = Math.max(1, t1 - t0);
    clear(gantt, list.map(s => {
      const a = toMillis(s.started_at); const b = toMillis(s.finished_at) ?? (a !== null ? Math.max(Date.now(), a) : null);
      const bar = a === null ? null : h(`div.bar.st-${s.status}`, { style: `left:${((a - t0) / span) * 100}%;width:${Math.max(0.5, ((b - a) / span) * 100)}%`, title: `${s.id}: ${s.status}, ${fmtDuration(a, b)}` });
      return [h('div.small', { role: 'rowheader' }, s.id), h('div.track', { role: 'cell', dataset: { step: s.id } }, bar)];
    }));
    if (!Number.isFinite(t0)) clear(gantt, empty('The timeline fills in as steps run.'));
  }
  function addPreview(kind, stepId, value) {
    let text = pretty(value);
    if (text.length > PREVIEW_CHARS) text = text.slice(0, PREVIEW_CHARS) + '\n…';
    const existing = previews.querySelector(`[data-preview-step="${CSS.escape(stepId || 'run')}"]`);
    const el = h('div', { dataset: { previewStep: stepId || 'run', kind }, style: 'margin-bottom:12px' }, h('h3', `${stepId || 'Run outputs'} · ${kind === 'result' ? 'result' : 'preview'}`), h('pre', text));
    if (existing) existing.replaceWith(el); else previews.append(el);
  }
  async function loadArtifacts() {
    clear(artifactsBox, loading());
    try {
      const list = (await api(`/workflow-runs/${encodeURIComponent(run.id)}/artifacts`)).items;
      clear(artifactsBox, list.length ? h('ul#artifact-list', list.map(a => {
        const name = a.name;
        return h('li', h('button', { type: 'button', dataset: { artifact: name }, onclick: () => download(`/api/v1/workflow-runs/${encodeURIComponent(run.id)}/artifacts/${encodeURIComponent(name)}`, name.split('/').pop()).catch(e => toast(e.message, true)) }, `↓ ${name}`),
          h('span.small.muted', ` ${a.step_id ? a.step_id + ' · ' : ''}${a.mime}${a.size !== undefined ? ' · ' + a.size + ' bytes' : ''}`));
      })) : empty(TERMINAL.has(run.status) ? 'This run produced no artifacts.' : 'Artifacts appear when steps finish.'));
    } catch (e) { clear(artifactsBox, errorState(e, loadArtifacts)); }
  }
  let artifactTimer = null;
  function loadArtifactsSoon() { clearTimeout(artifactTimer); artifactTimer = setTimeout(loadArtifacts, ARTIFACT_REFRESH_MS); }
  async function cancel() {
    cancelBtn.disabled = true;
    try { await api(`/workflow-runs/${encodeURIComponent(run.id)}/cancel`, { method: 'POST' }); toast('Cancel requested.'); }
    catch (e) { toast(e.message, true); }
    finally { cancelBtn.disabled = false; }
  }

  if (run.outputs && Object.keys(run.outputs).length) addPreview('result', null, run.outputs);
  for (const s of steps.values()) if (s.result !== undefined && s.result !== null) addPreview('result', s.id, s.result);
  drawSummary(); drawSteps(); loadArtifacts();

  // ---- live events
  const onEvent = ({ type, data }) => {
    // `data` is one RunEvent {run_id, seq, type, step_id, payload, at}; step_id is null for the run's own events.
    const ev = data;
    const p = { ...ev.payload, step_id: ev.step_id ?? undefined };
    const at = ev.at;
    const seq = ev.seq;
    switch (type) {
      case 'log': addLog(seq, p, at); scrollLog(); return;
      case 'status_change': {
        const status = p.status;
        if (p.step_id) {
          const s = stepOf(p.step_id);
          s.status = p.reused ? 'reused' : status;
          if (p.attempt !== undefined) s.attempt = p.attempt;
          if (status === 'running') { s.started_at = at; s.finished_at = null; }
          if (TERMINAL.has(status) || status === 'skipped') s.finished_at = at;
          if (p.error) s.error = p.error;
          if (status === 'waiting' || p.signal) controls.refresh();
        } else if (status) {
          run.status = status;
          if (status === 'running' && !run.started_at) run.started_at = at;
          if (TERMINAL.has(status)) run.finished_at = run.finished_at ?? at;
          if (p.error) run.error = p.error;
          drawSummary();
          controls.refresh();
        }
        drawSteps(); return;
      }
      case 'progress': {
        const s = stepOf(p.step_id);
        if (typeof p.fraction === 'number') s.progress = p.fraction;
        if (p.message) s.message = p.message;
        drawSteps(); return;
      }
      case 'result_preview': addPreview('preview', p.step_id, p.value); return;
      case 'result': {
        // A step's result; the run's own outputs come with `end`.
        const s = stepOf(p.step_id); s.result = p.value; addPreview('result', p.step_id, s.result);
        drawSteps(); return;
      }
      case 'error': {
        // Always a step's error; the run's own comes with its status_change and `end`.
        addLog(seq, { step_id: p.step_id, stream: 'stderr', line: `error: ${p.message}` }, at);
        scrollLog(); return;
      }
      case 'artifact': loadArtifactsSoon(); return;
      case 'end': {
        run.status = p.status;
        if (p.error) run.error = p.error;
        if (!run.finished_at) run.finished_at = at;
        if (p.outputs && Object.keys(p.outputs).length) { run.outputs = p.outputs; addPreview('result', null, p.outputs); }
        drawSummary(); drawSteps(); loadArtifacts(); controls.refresh(); return;
      }
      default: return;
    }
  };
  const stream = new LiveStream(`/api/v1/workflow-runs/${encodeURIComponent(run.id)}/stream`, {
    onEvent,
    onState: (s) => { connState.textContent = s === 'open' ? '● live' : s === 'ended' ? 'finished' : s; connState.dataset.state = s; },
  });
  window.mcpkConsole.runStream = stream;
  stream.start();
  const tick = setInterval(() => { if (!TERMINAL.has(run.status)) { drawSteps(); drawSummary(); } }, TICK_MS);
  return () => { stream.close(); clearInterval(tick); clearTimeout(artifactTimer); if (window.mcpkConsole.runStream === stream) window.mcpkConsole.runStream = null; };
}
