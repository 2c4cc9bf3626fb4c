// DOM helpers shared by every page: element builder, states
// (loading / empty / error), status badges, formatting, toasts.

/** h('div.cls#id', {attrs, on*: handler}, ...children) */
export function h(spec, attrs = {}, ...children) {
  if (attrs === null || typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs)) {
    children.unshift(attrs); attrs = {};
  }
  const m = spec.match(/^([a-z0-9-]+)?((?:[.#][\w-]+)*)$/i);
  const el = document.createElement((m && m[1]) || 'div');
  if (m && m[2]) for (const part of m[2].match(/[.#][\w-]+/g)) {
    if (part[0] === '.') el.classList.add(part.slice(1)); else el.id = part.slice(1);
  }
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v);
    else if (k === 'class') el.className += (el.className ? ' ' : '') + v;
    else if (k === 'text') el.textContent = v;
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = !!v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}
function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}
export function clear(el, ...children) { el.replaceChildren(); append(el, children); return el; }

export function loading(text = 'Loading…') { return h('div.state', { role: 'status' }, h('span.spinner', { 'aria-hidden': 'true' }), text); }
export function empty(text, ...extra) { return h('div.state.empty', text, ...extra); }
export function errorState(err, retry) {
  const detail = err && err.errors && err.errors.length ? h('ul', err.errors.map(e => h('li', `${e.path}: ${e.message}`))) : null;
  return h('div.state.error', { role: 'alert' },
    h('strong', 'Could not load: '), err && err.message ? err.message : String(err),
    err && err.kind ? h('span.muted', ` (${err.kind})`) : null, detail,
    retry ? h('div', { style: 'margin-top:8px' }, h('button', { type: 'button', onclick: retry }, 'Retry')) : null);
}

/** Runs `load` and shows loading, then render(result) or an error with retry. */
export async function withStates(container, load, render) {
  clear(container, loading());
  try {
    const data = await load();
    clear(container);
    const out = render(data);
    if (out) append(container, [out]);
  } catch (e) {
    if (e && e.name === 'AbortError') return;
    clear(container, errorState(e, () => withStates(container, load, render)));
  }
}

const STATUS_ICONS = {
  succeeded: '✓', failed: '✗', running: '▶', queued: '◷', pending: '○', cancelled: '⊘',
  timed_out: '◔', retrying: '↻', skipped: '⤼', waiting: '⏸', reused: '♻', cached: '⚡', ok: '✓', error: '✗', warn: '⚠', unknown: '?',
};
export function statusBadge(status) {
  const s = String(status || 'unknown').toLowerCase();
  const known = STATUS_ICONS[s] ? s : 'unknown';
  return h(`span.badge.st-${known}`, { 'data-status': s }, h('span', { 'aria-hidden': 'true' }, STATUS_ICONS[known]), s.replace('_', ' '));
}

export function fmtTime(t) {
  if (t === null || t === undefined || t === '') return '—';
  const d = typeof t === 'number' ? new Date(t) : new Date(String(t));
  if (Number.isNaN(d.getTime())) return String(t);
  const sameYear = d.getFullYear() === new Date().getFullYear();
  return d.toLocaleString(undefined, { year: sameYear ? undefined : 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
}
export function toMillis(t) {
  if (t === null || t === undefined || t === '') return null;
  const n = typeof t === 'number' ? t : Date.parse(String(t));
  return Number.isFinite(n) ? n : null;
}
export function fmtDuration(start, end) {
  const a = toMillis(start); if (a === null) return '—';
  const b = toMillis(end) ?? Date.now();
  let ms = Math.max(0, b - a);
  if (ms < 1000) return `${ms} ms`;
  let s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60); s %= 60;
  if (m < 60) return `${m} m ${s} s`;
  return `${Math.floor(m / 60)} h ${m % 60} m`;
}
export function shortId(id) { return id ? String(id).slice(0, 8) : '—'; }
export function pretty(v) {
  if (typeof v === 'string') return v;
  try { return JSON.stringify(v, null, 2); } catch { return String(v); }
}

export function toast(message, bad = false) {
  const box = document.getElementById('toasts');
  if (!box) return;
  const t = h(`div.toast${bad ? '.bad' : ''}`, message);
  box.append(t);
  setTimeout(() => t.remove(), 5000);
}

export function pageHead(title, ...actions) {
  document.title = `${title} · MCP Kernel`;
  return h('div.page-head', h('h1', title), ...actions);
}

export function kv(pairs) {
  return h('dl.kv', pairs.filter(Boolean).flatMap(([k, v]) => [h('dt', k), h('dd', v instanceof Node ? v : (v === undefined || v === null || v === '' ? '—' : String(v)))]));
}

/** Accessible tab strip; returns {el, panel, select(name)}. */
export function tabs(names, onSelect, initial) {
  const strip = h('div.tabs', { role: 'tablist' });
  const panel = h('div', { role: 'tabpanel' });
  const buttons = names.map(([key, label]) => h('button', {
    type: 'button', role: 'tab', 'aria-selected': 'false', dataset: { tab: key },
    onclick: () => select(key),
    onkeydown: (e) => {
      const i = names.findIndex(n => n[0] === key);
      if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
        const j = (i + (e.key === 'ArrowRight' ? 1 : names.length - 1)) % names.length;
        select(names[j][0]); buttons[j].focus();
      }
    },
  }, label));
  strip.append(...buttons);
  function select(key) {
    buttons.forEach(b => { const on = b.dataset.tab === key; b.setAttribute('aria-selected', String(on)); b.tabIndex = on ? 0 : -1; });
    clear(panel);
    onSelect(key, panel);
  }
  select(initial || names[0][0]);
  return { el: h('div', strip, panel), panel, select };
}

/** Simple line diff (LCS) between two texts, as DOM. */
export function lineDiff(a, b) {
  const x = a.split('\n'), y = b.split('\n');
  const n = x.length, m = y.length;
  const MAX_CELLS = 4_000_000;
  const out = h('div.diff', { role: 'region', 'aria-label': 'diff' });
  if (n * m > MAX_CELLS) { out.append(h('div', 'Versions too large to diff in the browser.')); return out; }
  const L = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) L[i][j] = x[i] === y[j] ? L[i + 1][j + 1] + 1 : Math.max(L[i + 1][j], L[i][j + 1]);
  let i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && x[i] === y[j]) { out.append(h('div', '  ' + x[i])); i++; j++; }
    // On a tie the removal comes first: a changed line reads `- old` then `+ new`.
    else if (i < n && (j >= m || L[i + 1][j] >= L[i][j + 1])) { out.append(h('div.del', '- ' + x[i])); i++; }
    else { out.append(h('div.add', '+ ' + y[j])); j++; }
  }
  return out;
}
