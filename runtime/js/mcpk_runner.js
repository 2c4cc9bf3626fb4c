// Entry point of TypeScript Script steps: node mcpk_runner.js main.js
// The bundle (esbuild, CommonJS) exports `main(inputs)`, sync or async; its
// value is the result; a throw fails the step with the stack trace.
'use strict';
const fs = require('fs');
const path = require('path');
const mcpk = require('./mcpk.js');

// Inherited descriptors: the kernel opens everything close-on-exec, so only 0-4
// reach the step (checked by the sandbox tests); node's own fds must stay open.

function fail(message) {
  mcpk.send({ type: 'error', message });
  process.exitCode = 1;
}

async function run() {
  const file = path.resolve(process.argv[2] || 'main.js');
  let mod;
  try {
    mod = require(file);
  } catch (e) {
    return fail((e && e.stack) || String(e));
  }
  const main = mod && (typeof mod.main === 'function' ? mod.main : (mod.default && mod.default.main) || mod.default);
  if (typeof main !== 'function') return fail('the script exports no main(inputs) function');
  let value;
  try {
    value = await main(mcpk.inputs());
  } catch (e) {
    return fail((e && e.stack) || String(e));
  }
  if (value !== undefined || !mcpk.resultWasSent()) {
    try { JSON.stringify(value); } catch (e) { return fail('main() returned a value that is not JSON-serialisable: ' + e.message); }
    mcpk.result(value === undefined ? null : value);
  }
}

run().catch((e) => fail((e && e.stack) || String(e)));
