// The builder's canvas (issue 19): a searchable component palette, step
// nodes placed by dragging a component onto the canvas (or Enter on a palette
// item), `needs` edges drawn by dragging from a node's output port to another
// node (or C then Enter from the keyboard), pan (drag the background, arrow
// keys), zoom (wheel, + / −), auto-layout and fit. The canvas owns only the
// node positions and the view; the step list and its edits belong to the
// builder page, which it tells through the callbacks.
import { h, clear } from './ui.js';
import { layering } from './dag.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
const NODE_W = 170, NODE_H = 56, GAP_X = 70, GAP_Y = 28, PAD = 24;
const ZOOM_MIN = 0.25, ZOOM_MAX = 2, ZOOM_STEP = 1.2;
const DRAG_SLOP_PX = 4;
const KEY_MOVE_PX = 20;
const DRAG_TYPE = 'application/x-mcpk-component';
/** Palette entries for steps without a component: [pick id, name, description]. */
const FLOW_ITEMS = [['@wait', 'Wait', 'duration, time or signal'], ['@workflow', 'Run workflow', 'a nested workflow run']];

function svg(tag, attrs = {}) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) el.setAttribute(k, v);
  return el;
}

/** The palette: a search box and one item per component; drag one onto the canvas or press Enter on it. */
export function palette(components, onPick) {
  const search = h('input#palette-search', { type: 'search', placeholder: 'Search components', 'aria-label': 'Search components', autocomplete: 'off' });
  const list = h('ul.palette-list', { role: 'list' });
  const fill = () => {
    const q = search.value.trim().toLowerCase();
    const shown = components.filter(c => !q || [c.name, c.type, c.description, ...(c.tags || [])].some(x => x && String(x).toLowerCase().includes(q)));
    clear(list, shown.length ? shown.map(c => h('li', h('button.palette-item', {
      type: 'button', draggable: 'true', dataset: { testid: 'palette-item', componentId: c.id },
      title: `${c.name} — ${c.type || '?'}. Drag onto the canvas, or press Enter to add it.`,
      ondragstart: (e) => { e.dataTransfer.setData(DRAG_TYPE, c.id); e.dataTransfer.setData('text/plain', c.name); e.dataTransfer.effectAllowed = 'copy'; },
      onclick: () => onPick(c.id, null),
    }, h('strong', c.name), h('span.small.muted', c.type || '?')))) : h('li.muted.small', q ? `No component matches “${search.value}”.` : 'No components yet.'));
  };
  search.addEventListener('input', fill);
  fill();
  // Steps without a component (docs/DEFINITIONS.md): a wait and a nested workflow run.
  const flow = h('ul.palette-list', { role: 'list', 'aria-label': 'Flow steps' }, FLOW_ITEMS.map(([id, name, what]) => h('li', h('button.palette-item.flow', {
    type: 'button', draggable: 'true', dataset: { testid: 'palette-flow-item', flow: id.slice(1) },
    title: `${name} — ${what}. Drag onto the canvas, or press Enter to add it.`,
    ondragstart: (e) => { e.dataTransfer.setData(DRAG_TYPE, id); e.dataTransfer.setData('text/plain', name); e.dataTransfer.effectAllowed = 'copy'; },
    onclick: () => onPick(id, null),
  }, h('strong', name), h('span.small.muted', what)))));
  // Below the components, so adding them moved no component entry.
  return h('div.palette', { dataset: { testid: 'palette' } }, h('h2', 'Components'), search, list, h('h2', 'Flow'), flow);
}

/**
 * The canvas. `model()` answers {steps:[{id, needs}], label(id) → {title, sub}, errors(id) → [messages]}.
 * Callbacks: onAdd(componentId, {x, y} | null), onConnect(from, to), onDisconnect(from, to),
 * onDelete(id), onSelect(id | null).
 */
export function canvas({ model, onAdd, onConnect, onDisconnect, onDelete, onSelect }) {
  const pos = new Map();           // step id → {x, y} in world coordinates
  const manual = new Set();        // ids placed by the user (dropped or dragged); the others follow the layout
  const view = { x: 0, y: 0, z: 1 };
  let selected = null;             // step id
  let connectFrom = null;          // keyboard connect mode
  let lastSignature = '';
  const status = h('div.canvas-status.small.muted', { role: 'status', 'aria-live': 'polite' });
  const edgesSvg = svg('svg', { class: 'canvas-edges', width: '1', height: '1' });
  edgesSvg.append(svg('defs'));
  const marker = svg('marker', { id: 'canvas-arrow', viewBox: '0 0 10 10', refX: '9', refY: '5', markerWidth: '7', markerHeight: '7', orient: 'auto-start-reverse' });
  marker.append(svg('path', { d: 'M 0 0 L 10 5 L 0 10 z' }));
  edgesSvg.firstChild.append(marker);
  const world = h('div.canvas-world');
  world.append(edgesSvg);
  const hint = h('p.canvas-empty.muted', 'Drag a component from the palette here (or focus one and press Enter).');
  const surface = h('div.canvas#canvas', {
    tabindex: '0', role: 'application', dataset: { testid: 'canvas' },
    'aria-label': 'Workflow canvas. Arrow keys pan, + and − zoom. On a node: Enter opens its properties, C starts a connection (Enter on the target completes it), Delete removes it, Alt+arrows move it.',
  }, world, hint);

  const applyView = () => { world.style.transform = `translate(${view.x}px, ${view.y}px) scale(${view.z})`; surface.dataset.zoom = view.z.toFixed(2); };
  const toWorld = (clientX, clientY) => {
    const r = surface.getBoundingClientRect();
    return { x: (clientX - r.left - view.x) / view.z, y: (clientY - r.top - view.y) / view.z };
  };
  const zoomAt = (factor, cx, cy) => {
    const z = Math.min(ZOOM_MAX, Math.max(ZOOM_MIN, view.z * factor));
    const r = surface.getBoundingClientRect();
    const px = cx ?? r.width / 2, py = cy ?? r.height / 2;
    view.x = px - (px - view.x) * (z / view.z); view.y = py - (py - view.y) * (z / view.z); view.z = z;
    applyView();
  };

  /** Layered positions for every step (longest path from a root), as the read-only graph draws them. */
  function autoLayout(onlyAutomatic = false) {
    const { steps } = model();
    const { layer } = layering(steps.map(s => ({ id: s.id })), steps.flatMap(s => s.needs.map(n => [n, s.id])));
    const rows = [];
    for (const s of steps) {
      const l = layer.get(s.id) ?? 0; rows[l] = (rows[l] || 0) + 1;
      const p = { x: PAD + l * (NODE_W + GAP_X), y: PAD + (rows[l] - 1) * (NODE_H + GAP_Y) };
      if (!onlyAutomatic || !manual.has(s.id)) pos.set(s.id, p);
    }
  }
  function fit() {
    const { steps } = model();
    if (!steps.length) { view.x = 0; view.y = 0; view.z = 1; applyView(); return; }
    const ps = steps.map(s => pos.get(s.id)).filter(Boolean);
    const minX = Math.min(...ps.map(p => p.x)), minY = Math.min(...ps.map(p => p.y));
    const maxX = Math.max(...ps.map(p => p.x + NODE_W)), maxY = Math.max(...ps.map(p => p.y + NODE_H));
    const r = surface.getBoundingClientRect();
    const z = Math.min(1, Math.max(ZOOM_MIN, Math.min((r.width - 2 * PAD) / (maxX - minX || 1), (r.height - 2 * PAD) / (maxY - minY || 1))));
    view.z = z; view.x = PAD - minX * z; view.y = PAD - minY * z;
    applyView();
  }

  function nodeEl(step) {
    const { title, sub, kind } = model().label(step.id);
    const errors = model().errors(step.id);
    const p = pos.get(step.id);
    const el = h('div.cnode', {
      tabindex: '0', role: 'button', dataset: { testid: 'node', step: step.id, kind: kind || 'component' },
      'aria-label': `Step ${step.id}, ${sub}${errors.length ? `, ${errors.length} problem(s)` : ''}`,
      'aria-pressed': String(selected === step.id),
      style: `left:${p.x}px;top:${p.y}px;width:${NODE_W}px;min-height:${NODE_H}px`,
    }, h('span.port.in', { dataset: { port: 'in' }, title: `Connect into ${step.id} (it will need the source)` }),
      h('strong.cnode-title', (errors.length ? '⚠ ' : '') + title), h('span.cnode-sub.small', sub),
      errors.length ? h('ul.node-errors', errors.map(m => h('li', m))) : null,
      h('span.port.out', { dataset: { port: 'out' }, title: `Drag to a step that needs ${step.id}` }));
    el.classList.toggle('invalid', errors.length > 0);
    el.classList.toggle('selected', selected === step.id);
    el.classList.toggle('connecting', connectFrom === step.id);
    return el;
  }

  function redraw() {
    // A redraw (e.g. the kernel's validation answer arriving) keeps keyboard focus where it was.
    const active = document.activeElement;
    const focusedNode = active?.closest?.('.cnode')?.dataset.step;
    const focusedEdge = active?.dataset?.edge;
    const m = model();
    const { steps } = m;
    for (const id of [...pos.keys()]) if (!steps.some(s => s.id === id)) { pos.delete(id); manual.delete(id); }
    autoLayout(true);
    // Nothing the nodes show changed (a repeated validation answer, say): keep the DOM as it is.
    const signature = JSON.stringify([steps, steps.map(s => [m.label(s.id), m.errors(s.id), pos.get(s.id)]), selected, connectFrom]);
    if (signature === lastSignature) { applyView(); return; }
    lastSignature = signature;
    for (const el of [...world.querySelectorAll('.cnode')]) el.remove();
    for (const el of [...edgesSvg.querySelectorAll('path.edge, path.edge-hit')]) el.remove();
    hint.hidden = steps.length > 0;
    let maxX = 0, maxY = 0;
    for (const s of steps) {
      world.append(nodeEl(s));
      const p = pos.get(s.id); maxX = Math.max(maxX, p.x + NODE_W + PAD); maxY = Math.max(maxY, p.y + NODE_H + PAD);
    }
    edgesSvg.setAttribute('width', String(maxX)); edgesSvg.setAttribute('height', String(maxY));
    for (const s of steps) for (const n of s.needs) {
      const a = pos.get(n), b = pos.get(s.id);
      if (!a || !b) continue;
      const x1 = a.x + NODE_W, y1 = a.y + NODE_H / 2, x2 = b.x, y2 = b.y + NODE_H / 2;
      const dx = x2 <= x1 ? 60 : Math.max(24, (x2 - x1) / 2);
      const d = `M ${x1} ${y1} C ${x1 + dx} ${y1}, ${x2 - dx} ${y2}, ${x2 - 1} ${y2}`;
      const edge = svg('path', { class: 'edge', d, 'marker-end': 'url(#canvas-arrow)', 'data-edge': `${n}->${s.id}`, 'data-testid': 'edge', tabindex: '0', role: 'button', 'aria-label': `${s.id} needs ${n}. Delete removes it.` });
      edge.addEventListener('keydown', (e) => { if (e.key === 'Delete' || e.key === 'Backspace') { e.preventDefault(); onDisconnect(n, s.id); } });
      edge.addEventListener('dblclick', () => onDisconnect(n, s.id));
      edgesSvg.append(edge);
    }
    applyView();
    if (focusedNode && surface.contains(active) === false) world.querySelector(`.cnode[data-step="${CSS.escape(focusedNode)}"]`)?.focus({ preventScroll: true });
    if (focusedEdge && !edgesSvg.contains(active)) edgesSvg.querySelector(`[data-edge="${CSS.escape(focusedEdge)}"]`)?.focus({ preventScroll: true });
  }

  function select(id, focus = false) {
    selected = id;
    for (const el of world.querySelectorAll('.cnode')) {
      const on = el.dataset.step === id; el.classList.toggle('selected', on); el.setAttribute('aria-pressed', String(on));
      if (on && focus) el.focus();
    }
    onSelect(id);
  }
  function say(text) { status.textContent = text; }

  // --- pointer: node drag, port connect, background pan
  let drag = null;
  surface.addEventListener('pointerdown', (e) => {
    if (e.button !== 0) return;
    const port = e.target.closest('.port.out');
    const node = e.target.closest('.cnode');
    if (port && node) {
      const from = node.dataset.step; const a = pos.get(from);
      const line = svg('path', { class: 'edge pending', d: '' });
      edgesSvg.append(line);
      drag = { kind: 'connect', from, line, x1: a.x + NODE_W, y1: a.y + NODE_H / 2 };
    } else if (node) {
      const id = node.dataset.step; const p = pos.get(id);
      drag = { kind: 'move', id, el: node, sx: e.clientX, sy: e.clientY, ox: p.x, oy: p.y, moved: false };
    } else if (e.target === surface || e.target === world || e.target === edgesSvg || e.target === hint) {
      drag = { kind: 'pan', sx: e.clientX, sy: e.clientY, ox: view.x, oy: view.y };
      surface.classList.add('panning');
    } else return;
    surface.setPointerCapture(e.pointerId);
    e.preventDefault();
  });
  surface.addEventListener('pointermove', (e) => {
    if (!drag) return;
    if (drag.kind === 'pan') { view.x = drag.ox + e.clientX - drag.sx; view.y = drag.oy + e.clientY - drag.sy; applyView(); }
    else if (drag.kind === 'move') {
      const dx = (e.clientX - drag.sx) / view.z, dy = (e.clientY - drag.sy) / view.z;
      if (!drag.moved && Math.hypot(dx, dy) < DRAG_SLOP_PX) return;
      drag.moved = true;
      pos.set(drag.id, { x: Math.max(0, drag.ox + dx), y: Math.max(0, drag.oy + dy) }); manual.add(drag.id);
      drag.el.style.left = `${pos.get(drag.id).x}px`; drag.el.style.top = `${pos.get(drag.id).y}px`;
    } else if (drag.kind === 'connect') {
      const q = toWorld(e.clientX, e.clientY);
      drag.line.setAttribute('d', `M ${drag.x1} ${drag.y1} L ${q.x} ${q.y}`);
    }
  });
  const endDrag = (e) => {
    if (!drag) return;
    const d = drag; drag = null;
    surface.classList.remove('panning');
    if (d.kind === 'move') { if (d.moved) redraw(); else select(d.id); }
    else if (d.kind === 'connect') {
      d.line.remove();
      const target = document.elementFromPoint(e.clientX, e.clientY)?.closest('.cnode');
      if (target && target.dataset.step !== d.from) onConnect(d.from, target.dataset.step);
    } else if (d.kind === 'pan' && Math.hypot(e.clientX - d.sx, e.clientY - d.sy) < DRAG_SLOP_PX) select(null);
  };
  surface.addEventListener('pointerup', endDrag);
  surface.addEventListener('pointercancel', () => { if (drag?.line) drag.line.remove(); drag = null; surface.classList.remove('panning'); });
  surface.addEventListener('wheel', (e) => {
    e.preventDefault();
    const r = surface.getBoundingClientRect();
    zoomAt(e.deltaY < 0 ? ZOOM_STEP : 1 / ZOOM_STEP, e.clientX - r.left, e.clientY - r.top);
  }, { passive: false });

  // --- palette drops
  surface.addEventListener('dragover', (e) => { if ([...e.dataTransfer.types].includes(DRAG_TYPE)) { e.preventDefault(); e.dataTransfer.dropEffect = 'copy'; } });
  surface.addEventListener('drop', (e) => {
    const id = e.dataTransfer.getData(DRAG_TYPE);
    if (!id) return;
    e.preventDefault();
    const p = toWorld(e.clientX, e.clientY);
    onAdd(id, { x: Math.max(0, p.x - NODE_W / 2), y: Math.max(0, p.y - NODE_H / 2) });
  });

  // --- keyboard
  surface.addEventListener('keydown', (e) => {
    const node = e.target.closest?.('.cnode');
    if (node) {
      const id = node.dataset.step;
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        if (connectFrom && connectFrom !== id) { const from = connectFrom; connectFrom = null; say(`Connected: ${id} needs ${from}.`); onConnect(from, id); return; }
        select(id); return;
      }
      if (e.key === 'c' || e.key === 'C') { e.preventDefault(); connectFrom = id; node.classList.add('connecting'); say(`Connecting from ${id}: focus the step that needs it and press Enter (Escape cancels).`); return; }
      if (e.key === 'Escape') { connectFrom = null; say('Connection cancelled.'); redraw(); return; }
      if (e.key === 'Delete' || e.key === 'Backspace') { e.preventDefault(); onDelete(id); return; }
      if (e.altKey && e.key.startsWith('Arrow')) {
        e.preventDefault();
        const p = pos.get(id);
        const d = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[e.key];
        pos.set(id, { x: Math.max(0, p.x + d[0] * KEY_MOVE_PX), y: Math.max(0, p.y + d[1] * KEY_MOVE_PX) }); manual.add(id);
        redraw(); world.querySelector(`.cnode[data-step="${CSS.escape(id)}"]`)?.focus();
        return;
      }
    }
    if (e.target !== surface && !node) return;
    if (e.key === '+' || e.key === '=') { e.preventDefault(); zoomAt(ZOOM_STEP); }
    else if (e.key === '-' || e.key === '_') { e.preventDefault(); zoomAt(1 / ZOOM_STEP); }
    else if (e.target === surface && e.key.startsWith('Arrow')) {
      e.preventDefault();
      const d = { ArrowLeft: [1, 0], ArrowRight: [-1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] }[e.key];
      view.x += d[0] * KEY_MOVE_PX * 2; view.y += d[1] * KEY_MOVE_PX * 2; applyView();
    }
  });

  const toolbar = h('div.row.canvas-tools',
    h('button#canvas-layout', { type: 'button', onclick: () => { manual.clear(); autoLayout(); redraw(); fit(); } }, 'Auto-layout'),
    h('button#canvas-fit', { type: 'button', onclick: () => fit() }, 'Fit'),
    h('button#canvas-zoom-in', { type: 'button', 'aria-label': 'Zoom in', onclick: () => zoomAt(ZOOM_STEP) }, '+'),
    h('button#canvas-zoom-out', { type: 'button', 'aria-label': 'Zoom out', onclick: () => zoomAt(1 / ZOOM_STEP) }, '−'),
    status);
  return {
    el: h('div.canvas-wrap', toolbar, surface),
    redraw, select, fit,
    place: (id, p) => { if (p) { pos.set(id, p); manual.add(id); } },
    /** The user-placed node positions ({id: {x, y}}), for the builder to keep across reloads. */
    positions: () => Object.fromEntries([...manual].filter(id => pos.has(id)).map(id => [id, { x: pos.get(id).x, y: pos.get(id).y }])),
    rename: (from, to) => {
      if (from === to) return;
      if (pos.has(from)) { pos.set(to, pos.get(from)); pos.delete(from); }
      if (manual.delete(from)) manual.add(to);
      if (selected === from) selected = to;
    },
    get selected() { return selected; },
    get view() { return { ...view }; },
  };
}
