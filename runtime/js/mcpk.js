// The step side of the MCP Kernel step channel for JavaScript/TypeScript steps.
// fd 3: step -> kernel JSON lines; fd 4: kernel -> step answers to queries.
'use strict';
const fs = require('fs');

const CHANNEL_FD = Number(process.env.MCPK_CHANNEL_FD || 3);
const ANSWER_FD = Number(process.env.MCPK_ANSWER_FD || 4);
let nextId = 0;
let resultSent = false;

function send(message) {
  const data = Buffer.from(JSON.stringify(message) + '\n');
  let off = 0;
  while (off < data.length) {
    try {
      off += fs.writeSync(CHANNEL_FD, data, off, data.length - off);
    } catch (e) {
      if (e.code === 'EAGAIN') continue;
      throw e;
    }
  }
}

function log(...parts) { send({ type: 'log', stream: 'step', message: parts.map(String).join(' ') }); }
function progress(fraction, message) { send({ type: 'progress', fraction: Number(fraction), message: message ?? null }); }
function resultPreview(value) { send({ type: 'result_preview', value }); }
// A result whose JSON text is longer than this goes through a file in the work dir (the
// kernel's ValueLimits.inlineBytes; MCPK_INLINE_RESULT_BYTES overrides).
const INLINE_RESULT_BYTES = Number(process.env.MCPK_INLINE_RESULT_BYTES || 256 * 1024);
const RESULT_FILE = '.mcpk-result.json';
function result(value) {
  const text = JSON.stringify(value === undefined ? null : value);
  resultSent = true;
  if (Buffer.byteLength(text) > INLINE_RESULT_BYTES) {
    const path = require('path').join(process.env.MCPK_WORK_DIR || '.', RESULT_FILE);
    fs.writeFileSync(path, text);
    send({ type: 'result', file: RESULT_FILE });
    return;
  }
  send({ type: 'result', value: value === undefined ? null : value });
}
function artifact(name, path, mime) { send({ type: 'artifact', name, path, mime: mime || 'application/octet-stream' }); }

function readLineSync(fd) {
  const one = Buffer.alloc(1);
  const bytes = [];
  for (;;) {
    let n;
    try { n = fs.readSync(fd, one, 0, 1, null); } catch (e) { if (e.code === 'EAGAIN') continue; throw e; }
    if (n === 0 || one[0] === 10) return Buffer.from(bytes).toString('utf8');
    bytes.push(one[0]);
  }
}

/** Runs SQL on a declared connection through the kernel (synchronous). */
function query(connection, sql, params, maxRows) {
  const id = ++nextId;
  const msg = { type: 'query', id, connection, sql, params: params || [] };
  if (maxRows !== undefined) msg.max_rows = maxRows;
  send(msg);
  for (;;) {
    const line = readLineSync(ANSWER_FD);
    if (!line) throw new Error('unavailable: the kernel closed the answer channel');
    const answer = JSON.parse(line);
    if (answer.id !== id) continue;
    if (answer.ok) return answer.result;
    const err = new Error(`${answer.error.kind}: ${answer.error.message}`);
    err.kind = answer.error.kind;
    throw err;
  }
}

function inputs() {
  const dir = process.env.MCPK_WORK_DIR || '.';
  return JSON.parse(fs.readFileSync(dir + '/inputs.json', 'utf8'));
}

module.exports = { send, log, progress, resultPreview, result, artifact, query, inputs,
  resultWasSent: () => resultSent };
