// Thin client for the kernel's REST API (DESIGN.md §5). Every call goes
// through `api()` so errors arrive as ApiError with the kernel's
// {error:{kind,message,errors:[{path,message}]}} shape, and a 401 asks the
// user for a token (kept in sessionStorage for this browser session).

export const API_BASE = '/api/v1';
const TOKEN_KEY = 'mcpk.token';

export class ApiError extends Error {
  /** `errors` ([{path, message}]) is absent from the kernel's error when it names no field. */
  constructor(status, kind, message, errors = []) {
    super(message);
    this.status = status;
    this.kind = kind;
    this.errors = errors;
  }
}

export function token() { return sessionStorage.getItem(TOKEN_KEY) || ''; }
export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value); else sessionStorage.removeItem(TOKEN_KEY);
}

let authPrompt = null; // set by app.js: () => Promise<void> resolving once a token is entered
export function onUnauthorized(fn) { authPrompt = fn; }

export function authHeaders() {
  const t = token();
  return t ? { Authorization: `Bearer ${t}` } : {};
}

/** Calls `path` (relative to /api/v1 unless absolute) and returns parsed JSON (or null for 204). */
export async function api(path, { method = 'GET', body, query, signal, retryAuth = true } = {}) {
  let url = path.startsWith('/') && !path.startsWith(API_BASE) && !path.startsWith('/api/') ? API_BASE + path : path;
  if (query) {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') qs.set(k, v);
    const s = qs.toString();
    if (s) url += (url.includes('?') ? '&' : '?') + s;
  }
  const headers = { Accept: 'application/json', ...authHeaders() };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'unavailable', `The kernel is not reachable (${e.message}).`);
  }
  if (res.status === 401 && retryAuth && authPrompt) {
    await authPrompt();
    return api(path, { method, body, query, signal, retryAuth: false });
  }
  if (res.status === 204) return null;
  const text = await res.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!res.ok) {
    // The kernel's one error shape; a reply without it did not come from the kernel (a proxy in between).
    if (data?.error) throw new ApiError(res.status, data.error.kind, data.error.message, data.error.errors);
    throw new ApiError(res.status, kindForStatus(res.status), `${res.status} ${res.statusText}`);
  }
  return data;
}

function kindForStatus(status) {
  return ({ 400: 'invalid_params', 401: 'forbidden', 403: 'forbidden', 404: 'not_found', 409: 'conflict', 422: 'invalid_params', 503: 'unavailable' })[status] || 'internal';
}

/** Fetches a binary resource with auth and hands it to the browser as a download. */
export async function download(path, filename) {
  const res = await fetch(path, { headers: authHeaders() });
  if (!res.ok) throw new ApiError(res.status, kindForStatus(res.status), `download failed: ${res.status}`);
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url; a.download = filename; document.body.append(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
