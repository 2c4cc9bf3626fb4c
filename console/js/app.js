// Console entry: hash router (URLs work behind any static server and are
// shareable), navigation, token sign-in on 401, page lifecycle.
import { h, clear, errorState } from './ui.js';
import { onUnauthorized, setToken, api } from './api.js';
import * as dashboard from './pages/dashboard.js';
import * as components from './pages/components.js';
import * as componentForm from './pages/componentForm.js';
import * as workflows from './pages/workflows.js';
import * as builder from './pages/builder.js';
import * as runs from './pages/runs.js';
import * as runDetail from './pages/runDetail.js';
import * as dataSources from './pages/dataSources.js';
import * as plugins from './pages/plugins.js';
import * as audit from './pages/audit.js';
import * as schedules from './pages/schedules.js';
import * as secrets from './pages/secrets.js';

const ROUTES = [
  [/^\/?$/, 'dashboard', dashboard],
  [/^\/components$/, 'components', components],
  [/^\/components\/new$/, 'components', componentForm],
  [/^\/components\/([^/]+)\/edit$/, 'components', componentForm, (m) => ({ id: m[1] })],
  [/^\/components\/([^/]+)$/, 'components', components, (m) => ({ id: m[1] })],
  [/^\/workflows$/, 'workflows', workflows],
  [/^\/workflows\/new$/, 'workflows', builder],
  [/^\/workflows\/([^/]+)$/, 'workflows', builder, (m) => ({ id: m[1] })],
  [/^\/runs$/, 'runs', runs],
  [/^\/runs\/([^/]+)$/, 'runs', runDetail, (m) => ({ id: m[1] })],
  [/^\/data-sources$/, 'data-sources', dataSources],
  [/^\/data-sources\/new$/, 'data-sources', dataSources, () => ({ id: 'new' })],
  [/^\/data-sources\/([^/]+)$/, 'data-sources', dataSources, (m) => ({ id: m[1] })],
  [/^\/plugins$/, 'plugins', plugins],
  [/^\/audit$/, 'audit', audit],
  [/^\/schedules$/, 'schedules', schedules],
  [/^\/secrets$/, 'secrets', secrets],
];

let cleanup = null;
let renderToken = 0;

export function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, qs = ''] = raw.split('?');
  return { path: decodeURI(path), query: Object.fromEntries(new URLSearchParams(qs)) };
}

/** Navigates to `path` with optional query object (empty values dropped). */
export function go(path, query) {
  location.hash = '#' + path + queryString(query);
}
/** Replaces the query part without re-rendering (filters that update in place). */
export function setQuery(query) {
  const { path } = parseHash();
  history.replaceState(null, '', '#' + path + queryString(query));
}
function queryString(query) {
  if (!query) return '';
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') qs.set(k, v);
  const s = qs.toString();
  return s ? '?' + s : '';
}

async function route() {
  const main = document.getElementById('main');
  if (cleanup) { try { cleanup(); } catch (e) { console.warn(e); } cleanup = null; }
  const { path, query } = parseHash();
  const mine = ++renderToken;
  let found = null;
  for (const [re, nav, mod, params] of ROUTES) {
    const m = path.match(re);
    if (m) { found = { nav, mod, params: params ? params(m) : {} }; break; }
  }
  for (const a of document.querySelectorAll('nav a')) {
    if (found && a.dataset.nav === found.nav) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  document.getElementById('nav').classList.remove('open');
  document.querySelector('.nav-toggle').setAttribute('aria-expanded', 'false');
  clear(main);
  if (!found) {
    main.append(h('h1', 'Not found'), h('p', 'No page at ', h('code', path), '. ', h('a', { href: '#/' }, 'Back to the dashboard')));
    return;
  }
  try {
    const c = await found.mod.render(main, found.params, query);
    if (mine !== renderToken) { if (typeof c === 'function') c(); return; }
    cleanup = typeof c === 'function' ? c : null;
  } catch (e) {
    console.error(e);
    if (mine === renderToken) clear(main, errorState(e));
  }
  main.focus({ preventScroll: true });
}

let pendingAuth = null;
function askToken() {
  if (pendingAuth) return pendingAuth;
  pendingAuth = new Promise((resolve) => {
    const input = h('input', { type: 'password', id: 'token-input', autocomplete: 'current-password', required: true });
    const dlg = h('dialog', { 'aria-labelledby': 'signin-title' },
      h('form', { method: 'dialog' },
        h('h2#signin-title', 'Sign in'),
        h('p.muted', 'This kernel requires an API token (MCPK_TOKEN). It is kept for this browser session only.'),
        h('div.field', h('label', { for: 'token-input' }, 'API token'), input),
        h('div.row', h('button.primary', { type: 'submit' }, 'Sign in'))));
    dlg.addEventListener('close', () => {
      setToken(input.value.trim());
      dlg.remove(); pendingAuth = null; resolve();
    });
    dlg.addEventListener('cancel', (e) => { if (!input.value.trim()) e.preventDefault(); });
    document.body.append(dlg);
    dlg.showModal();
    input.focus();
  });
  return pendingAuth;
}

function init() {
  onUnauthorized(askToken);
  const toggle = document.querySelector('.nav-toggle');
  toggle.addEventListener('click', () => {
    const nav = document.getElementById('nav');
    const open = nav.classList.toggle('open');
    toggle.setAttribute('aria-expanded', String(open));
  });
  window.addEventListener('hashchange', route);
  route();
  api('/dashboard/system-health').then((hl) => {
    document.getElementById('kernel-version').textContent = `mcpk ${hl.version}`;
  }).catch(() => {});
}

init();
