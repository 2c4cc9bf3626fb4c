// Layered DAG drawing as SVG: layer = longest path from a root (cycles are
// broken and reported), order within a layer by the barycentre of parents,
// edges as curves with arrowheads.
const SVG_NS = 'http://www.w3.org/2000/svg';
const NODE_W = 150, NODE_H = 44, GAP_X = 60, GAP_Y = 22, PAD = 16;
const ORDER_SWEEPS = 4;

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) el.setAttribute(k, v);
  for (const c of children) if (c) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

/** Computes layers; returns {layer: Map(id→n), cycle: [ids] | null}. */
export function layering(nodes, edges) {
  const ids = nodes.map(n => n.id);
  const parents = new Map(ids.map(id => [id, []]));
  for (const [from, to] of edges) if (parents.has(to) && parents.has(from)) parents.get(to).push(from);
  const layer = new Map();
  const state = new Map(); // 0 = unvisited, 1 = on stack, 2 = done
  let cycle = null;
  const stack = [];
  const visit = (id) => {
    if (state.get(id) === 2) return layer.get(id);
    state.set(id, 1); stack.push(id);
    let l = 0;
    for (const p of parents.get(id)) {
      if (state.get(p) === 1) { if (!cycle) cycle = stack.slice(stack.indexOf(p)).concat(p); continue; }
      l = Math.max(l, visit(p) + 1);
    }
    stack.pop(); state.set(id, 2); layer.set(id, l);
    return l;
  };
  for (const id of ids) visit(id);
  return { layer, cycle };
}

/**
 * Renders the DAG. nodes: [{id, label, sub, invalid, status}], edges: [[from, to]].
 * Returns an <svg> element.
 */
export function renderDag(nodes, edges) {
  const { layer } = layering(nodes, edges);
  const layers = [];
  for (const n of nodes) { const l = layer.get(n.id) ?? 0; (layers[l] ||= []).push(n.id); }
  const pos = new Map();
  const parents = new Map(nodes.map(n => [n.id, []]));
  for (const [a, b] of edges) if (parents.has(b)) parents.get(b).push(a);
  layers.forEach((ids, l) => ids.forEach((id, i) => pos.set(id, { l, i })));
  for (let sweep = 0; sweep < ORDER_SWEEPS; sweep++) {
    for (let l = 1; l < layers.length; l++) {
      const bary = (id) => { const ps = parents.get(id).filter(p => pos.has(p)); return ps.length ? ps.reduce((a, p) => a + pos.get(p).i, 0) / ps.length : pos.get(id).i; };
      layers[l] = (layers[l] || []).slice().sort((a, b) => bary(a) - bary(b));
      layers[l].forEach((id, i) => { pos.get(id).i = i; });
    }
  }
  const maxRows = Math.max(1, ...layers.map(x => (x || []).length));
  const width = PAD * 2 + Math.max(1, layers.length) * NODE_W + Math.max(0, layers.length - 1) * GAP_X;
  const height = PAD * 2 + maxRows * NODE_H + (maxRows - 1) * GAP_Y;
  const xy = (id) => {
    const p = pos.get(id); const count = (layers[p.l] || []).length;
    const offset = (maxRows - count) * (NODE_H + GAP_Y) / 2;
    return { x: PAD + p.l * (NODE_W + GAP_X), y: PAD + offset + p.i * (NODE_H + GAP_Y) };
  };
  const svg = s('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `Workflow graph with ${nodes.length} steps and ${edges.length} dependencies` });
  svg.append(s('defs', {}, s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: '9', refY: '5', markerWidth: '7', markerHeight: '7', orient: 'auto-start-reverse' }, s('path', { d: 'M 0 0 L 10 5 L 0 10 z' }))));
  for (const [a, b] of edges) {
    if (!pos.has(a) || !pos.has(b)) continue;
    const p = xy(a), q = xy(b);
    const x1 = p.x + NODE_W, y1 = p.y + NODE_H / 2, x2 = q.x, y2 = q.y + NODE_H / 2;
    const back = x2 <= x1;
    const dx = back ? 60 : Math.max(20, (x2 - x1) / 2);
    svg.append(s('path', { class: 'edge', d: `M ${x1} ${y1} C ${x1 + dx} ${y1}, ${x2 - dx} ${y2}, ${x2 - 1} ${y2}`, 'marker-end': 'url(#arrow)', 'data-edge': `${a}->${b}` }));
  }
  for (const n of nodes) {
    const { x, y } = xy(n.id);
    const label = n.label.length > 20 ? n.label.slice(0, 19) + '…' : n.label;
    const sub = n.sub && n.sub.length > 24 ? n.sub.slice(0, 23) + '…' : n.sub;
    svg.append(s('g', { class: `node${n.invalid ? ' invalid' : ''}${n.status ? ' st-' + n.status : ''}`, transform: `translate(${x},${y})`, 'data-step': n.id },
      s('title', {}, `${n.id}${n.sub ? ' — ' + n.sub : ''}${n.invalid ? ' (has errors)' : ''}`),
      s('rect', { width: NODE_W, height: NODE_H, rx: 6 }),
      s('text', { x: 10, y: 18, 'font-weight': '600' }, (n.invalid ? '⚠ ' : '') + label),
      sub ? s('text', { x: 10, y: 34, opacity: '0.7' }, sub) : null));
  }
  return svg;
}
