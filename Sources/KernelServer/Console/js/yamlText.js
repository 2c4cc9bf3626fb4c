// YAML for the builder's text view (issue 19): `toYAML` writes a definition
// as block YAML; `fromYAML` reads the block subset back (mappings, `- `
// sequences, plain / single / double quoted scalars, numbers, booleans,
// null, `#` comments, and flow `[…]` / `{…}` values written as JSON).
// Anchors, tags, multi-document streams and flow YAML that is not JSON are
// refused with their line.

const PLAIN_OK = /^[A-Za-z_./][A-Za-z0-9_ ./()-]*$/;
const RESERVED = /^(true|false|null|~|yes|no|on|off|-?\d.*|\.\d.*)$/i;

function scalar(v) {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  const s = String(v);
  if (s !== '' && PLAIN_OK.test(s) && !RESERVED.test(s) && !s.endsWith(' ')) return s;
  return JSON.stringify(s);
}

/** Block YAML of a JSON value. */
export function toYAML(value, indent = '') {
  if (Array.isArray(value)) {
    if (!value.length) return '[]';
    return value.map((v) => {
      if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length) {
        const inner = toYAML(v, indent + '  ');
        return `${indent}- ${inner.slice(indent.length + 2)}`;
      }
      return `${indent}- ${block(v, indent + '  ')}`;
    }).join('\n');
  }
  if (value && typeof value === 'object') {
    const keys = Object.keys(value);
    if (!keys.length) return '{}';
    return keys.map((k) => `${indent}${scalar(k)}:${inline(value[k], indent + '  ')}`).join('\n');
  }
  return indent + scalar(value);
}
function block(v, indent) {
  if (v && typeof v === 'object' && (Array.isArray(v) ? v.length : Object.keys(v).length)) return '\n' + toYAML(v, indent);
  return Array.isArray(v) ? '[]' : v && typeof v === 'object' ? '{}' : scalar(v);
}
function inline(v, indent) {
  const b = block(v, indent);
  return b.startsWith('\n') ? b : ' ' + b;
}

class YAMLError extends Error {
  constructor(line, message) { super(`line ${line}: ${message}`); this.line = line; }
}

function parseScalar(text, line) {
  const t = text.trim();
  if (t === '' || t === '~' || t === 'null') return null;
  if (t === 'true') return true;
  if (t === 'false') return false;
  if (/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(t)) return Number(t);
  if (t.startsWith('"')) { try { return JSON.parse(t); } catch { throw new YAMLError(line, `bad double-quoted string ${t}`); } }
  if (t.startsWith("'")) {
    if (!t.endsWith("'") || t.length < 2) throw new YAMLError(line, `unterminated single-quoted string ${t}`);
    return t.slice(1, -1).replace(/''/g, "'");
  }
  if (t.startsWith('[') || t.startsWith('{')) { try { return JSON.parse(t); } catch { throw new YAMLError(line, 'flow collections must be written as JSON'); } }
  if (/^[&*!|>%@`]/.test(t)) throw new YAMLError(line, `“${t[0]}” (anchors, tags, block scalars) is not supported`);
  return t;
}

/** Strips a `#` comment that is not inside quotes. */
function stripComment(s) {
  let q = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (q) { if (c === q && (q === "'" || s[i - 1] !== '\\')) q = null; }
    else if (c === '"' || c === "'") q = c;
    else if (c === '#' && (i === 0 || s[i - 1] === ' ')) return s.slice(0, i);
  }
  return s;
}

/** Splits `key: value` at the first `: ` (or a trailing `:`) outside quotes. */
function splitKey(s) {
  let q = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (q) { if (c === q) q = null; continue; }
    if (c === '"' || c === "'") { q = c; continue; }
    if (c === ':' && (i === s.length - 1 || s[i + 1] === ' ')) return [s.slice(0, i), s.slice(i + 1)];
  }
  return null;
}

/** Parses the block subset; throws an Error naming the line. */
export function fromYAML(text) {
  const lines = [];
  text.split('\n').forEach((raw, i) => {
    if (/^\s*(---|\.\.\.)\s*$/.test(raw) && lines.length) throw new YAMLError(i + 1, 'one document only');
    if (/^\s*---\s*$/.test(raw)) return;
    const s = stripComment(raw).replace(/\s+$/, '');
    if (!s.trim()) return;
    if (/^\s*\t/.test(s)) throw new YAMLError(i + 1, 'tabs are not allowed for indentation');
    lines.push({ n: i + 1, indent: s.length - s.trimStart().length, text: s.trim() });
  });
  let pos = 0;
  function parseBlock(indent) {
    const first = lines[pos];
    if (first.text.startsWith('- ') || first.text === '-') {
      const out = [];
      while (pos < lines.length && lines[pos].indent === indent && (lines[pos].text.startsWith('- ') || lines[pos].text === '-')) {
        const l = lines[pos];
        const rest = l.text === '-' ? '' : l.text.slice(2);
        if (!rest.trim()) { pos++; out.push(pos < lines.length && lines[pos].indent > indent ? parseBlock(lines[pos].indent) : null); continue; }
        // "- key: value" opens a mapping whose keys sit at indent + 2.
        lines[pos] = { n: l.n, indent: indent + 2, text: rest.trim() };
        if (splitKey(rest.trim()) && !/^["'[{]/.test(rest.trim())) out.push(parseBlock(indent + 2));
        else { pos++; out.push(parseScalar(rest, l.n)); }
      }
      return out;
    }
    const out = {};
    while (pos < lines.length && lines[pos].indent === indent) {
      const l = lines[pos];
      if (l.text.startsWith('- ')) throw new YAMLError(l.n, 'a sequence item where a key was expected');
      const kv = splitKey(l.text);
      if (!kv) throw new YAMLError(l.n, `expected “key: value”, got “${l.text}”`);
      const key = parseScalar(kv[0], l.n);
      if (Object.prototype.hasOwnProperty.call(out, key)) throw new YAMLError(l.n, `duplicate key “${key}”`);
      pos++;
      if (kv[1].trim()) out[key] = parseScalar(kv[1], l.n);
      else if (pos < lines.length && (lines[pos].indent > indent || (lines[pos].indent === indent && lines[pos].text.startsWith('- ')))) out[key] = parseBlock(lines[pos].indent);
      else out[key] = null;
    }
    if (pos < lines.length && lines[pos].indent > indent) throw new YAMLError(lines[pos].n, 'unexpected indentation');
    return out;
  }
  if (!lines.length) return null;
  if (lines.length === 1 && !splitKey(lines[0].text) && !lines[0].text.startsWith('- ')) return parseScalar(lines[0].text, lines[0].n);
  const v = parseBlock(lines[0].indent);
  if (pos < lines.length) throw new YAMLError(lines[pos].n, 'unexpected indentation');
  return v;
}
