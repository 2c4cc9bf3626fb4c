// Redis section of the dashboard's health panel (issue 14): the `redis` entry of
// `dashboard.health` — not configured, connected, or on the PostgreSQL NOTIFY fallback with the
// last error. A self-contained section: the dashboard only appends it.
import { api } from '../api.js';
import { h, withStates, fmtTime } from '../ui.js';

/** The section element; loads itself. */
export function redisSection() {
  const box = h('div', { dataset: { testid: 'redis-health' } }, h('h3', { style: 'margin-top:16px' }, 'Redis'));
  const body = h('div');
  box.append(body);
  withStates(body, () => api('/dashboard/system-health'), (health) => renderRedis(health.redis));
  return box;
}

/** Renders the `redis` entry of a health reply. */
export function renderRedis(r) {
  if (!r.configured) return h('p.small.muted', { dataset: { state: 'not-configured' } }, 'not configured (run events via PostgreSQL NOTIFY, step cache in the store)');
  const state = r.connected ? 'connected' : 'fallback';
  const badge = r.connected ? h('span.badge.st-ok', 'connected') : h('span.badge.st-warn', 'fallback: PostgreSQL NOTIFY');
  return h('div', { dataset: { state } },
    h('p.small', badge, ' ', h('code', r.endpoint), ` · reconnects ${r.reconnects}`),
    r.last_error ? h('p.small.muted', `last error ${fmtTime(r.last_error_at)}: ${r.last_error}`) : null);
}
