// A small code editor: monospace textarea with a line-number gutter, Tab /
// Shift+Tab indent and outdent (Escape then Tab leaves the editor, so the
// keyboard is never trapped).
import { h } from './ui.js';

const INDENT = '    ';

export function codeEditor({ id, value = '', rows = 14, label, language = '' } = {}) {
  const gutter = h('div.gutter', { 'aria-hidden': 'true' });
  const ta = h('textarea', { id, rows, spellcheck: 'false', autocapitalize: 'off', autocomplete: 'off', wrap: 'off',
    'aria-label': label, 'data-language': language, 'aria-describedby': id ? `${id}-help` : undefined });
  ta.value = value;
  let escaped = false;
  const sync = () => {
    const n = ta.value.split('\n').length;
    gutter.textContent = Array.from({ length: n }, (_, i) => i + 1).join('\n');
    gutter.scrollTop = ta.scrollTop;
  };
  ta.addEventListener('input', sync);
  ta.addEventListener('scroll', () => { gutter.scrollTop = ta.scrollTop; });
  ta.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') { escaped = true; return; }
    if (e.key !== 'Tab' || escaped) { escaped = false; return; }
    e.preventDefault();
    const { selectionStart: s, selectionEnd: t, value: v } = ta;
    const lineStart = v.lastIndexOf('\n', s - 1) + 1;
    if (s === t && !e.shiftKey) {
      ta.setRangeText(INDENT, s, t, 'end');
    } else {
      const block = v.slice(lineStart, t);
      const lines = block.split('\n');
      const changed = lines.map(l => e.shiftKey ? l.replace(/^( {1,4}|\t)/, '') : INDENT + l).join('\n');
      ta.setRangeText(changed, lineStart, t, 'select');
    }
    ta.dispatchEvent(new Event('input', { bubbles: true }));
  });
  sync();
  const wrap = h('div.code-editor', gutter, ta);
  const help = h('div.hint.small.muted', { id: id ? `${id}-help` : undefined }, 'Tab indents, Shift+Tab outdents; press Escape then Tab to leave the editor.');
  return { el: h('div', wrap, help), textarea: ta, get value() { return ta.value; }, set value(v) { ta.value = v; sync(); } };
}
