// Dashboard insights (issue 19, GET /dashboard/insights): recommended
// components (most used over the window, then recently updated) and trending
// workflows (runs, success rate and a runs-per-day sparkline over 7 days).
import { h, clear, fmtTime, empty, errorState } from '../ui.js';

const SPARK_W = 84, SPARK_H = 22;
const SVG_NS = 'http://www.w3.org/2000/svg';

/** A tiny bar sparkline of `daily` counts (oldest first), labelled for screen readers. */
export function sparkline(daily, label) {
  const max = Math.max(1, ...daily);
  const bw = SPARK_W / Math.max(1, daily.length);
  const svg = document.createElementNS(SVG_NS, 'svg');
  for (const [k, v] of Object.entries({ width: SPARK_W, height: SPARK_H, viewBox: `0 0 ${SPARK_W} ${SPARK_H}`, role: 'img', 'aria-label': label, class: 'sparkline' })) svg.setAttribute(k, v);
  daily.forEach((v, i) => {
    const r = document.createElementNS(SVG_NS, 'rect');
    const hgt = v ? Math.max(2, (v / max) * (SPARK_H - 2)) : 1;
    for (const [k, val] of Object.entries({ x: i * bw + 1, y: SPARK_H - hgt, width: Math.max(1, bw - 2), height: hgt, 'data-count': v })) r.setAttribute(k, val);
    svg.append(r);
  });
  return svg;
}

function pct(rate) { return rate === null ? '—' : `${Math.round(rate * 1000) / 10}%`; }

export function renderRecommended(box, ins) {
  const list = ins.recommended_components;
  clear(box, h('h2#recommended-h', 'Recommended components'),
    list.length ? h('ul.insights', list.map(c => h('li', { dataset: { componentId: c.id } },
      h('a', { href: `#/components/${encodeURIComponent(c.id)}` }, c.name),
      h('span.small.muted', ` ${c.type} · v${c.latest_version}`),
      h('div.small.muted', c.reason === 'most used'
        ? `most used: ${c.uses} run${c.uses === 1 ? '' : 's'} in ${ins.window_days} days, in ${c.workflows} workflow${c.workflows === 1 ? '' : 's'}`
        : `recently updated ${fmtTime(c.updated_at)}`),
      h('a.small', { href: `#/workflows/new?component=${encodeURIComponent(c.id)}` }, 'Use in a workflow'))))
      : empty('No components yet.', ' ', h('a', { href: '#/components/new' }, 'Create one')));
}

export function renderTrending(box, ins) {
  const list = ins.trending_workflows;
  clear(box, h('h2#trending-h', `Trending workflows (${ins.window_days} days)`),
    list.length ? h('div.table-wrap', h('table', h('thead', h('tr', h('th', 'Workflow'), h('th', 'Runs'), h('th', 'Success'), h('th', 'Per day'))),
      h('tbody', list.map(w => h('tr', { dataset: { workflowId: w.id } },
        h('td', h('a', { href: `#/workflows/${encodeURIComponent(w.id)}` }, w.name)),
        h('td.runs', String(w.runs)), h('td.success', pct(w.success_rate)),
        h('td', sparkline(w.daily, `${w.name}: runs per day over ${ins.window_days} days: ${w.daily.join(', ')}`)))))))
      : empty(`No runs in the last ${ins.window_days} days.`));
}

export function insightsError(boxes, e, retry) {
  for (const [box, title] of boxes) clear(box, h('h2', title), errorState(e, retry));
}
