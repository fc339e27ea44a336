// bench.js - validations per second of Ajv on the same schema and
// documents as bench/schema_bench.c, printed in the same format. The Ajv
// build follows the schema's $schema: draft-07 (Ajv's default class) or
// 2020-12. Formats are annotations (validateFormats: false), as in hotconf's
// default; documents are parsed once, only validation is timed.
//   node bench.js SCHEMA DOC...
'use strict';
const fs = require('fs');
const path = require('path');
const Ajv2020 = require('ajv/dist/2020').default;
const AjvDraft7 = require('ajv').default;

// The best of five rounds: the machine is shared, and interference only
// ever makes a round slower.
function measure(validate, doc, secs) {
  let best = { rate: 0, ok: true };
  for (let r = 0; r < 5; r++) {
    const m = measureOnce(validate, doc, secs / 5);
    if (m.rate > best.rate) best = m;
  }
  return best;
}

function measureOnce(validate, doc, secs) {
  for (let i = 0; i < 3; i++) validate(doc);
  let n = 0, batch = 1, ok = true;
  const t0 = process.hrtime.bigint();
  let el = 0;
  do {
    for (let i = 0; i < batch; i++) ok = validate(doc);
    n += batch;
    el = Number(process.hrtime.bigint() - t0) / 1e9;
    if (batch < (1 << 20) && el < secs / 8) batch *= 2;
  } while (el < secs);
  return { rate: n / el, ok };
}

const [schemaPath, ...docs] = process.argv.slice(2);
if (!schemaPath || docs.length === 0) {
  console.error('usage: node bench.js SCHEMA DOC...');
  process.exit(2);
}
const schema = JSON.parse(fs.readFileSync(schemaPath, 'utf8'));
const Ajv = /draft-07/.test(schema.$schema || '') ? AjvDraft7 : Ajv2020;
let t0 = process.hrtime.bigint();
const fast = new Ajv({ strict: false, validateFormats: false }).compile(schema);
const compileUs = Number(process.hrtime.bigint() - t0) / 1e3;
const full = new Ajv({ strict: false, validateFormats: false, allErrors: true }).compile(schema);
console.log(`ajv      compile ${path.basename(schemaPath).padEnd(24)} ${compileUs.toFixed(1).padStart(10)} us`);
for (const p of docs) {
  const doc = JSON.parse(fs.readFileSync(p, 'utf8'));
  const size = fs.statSync(p).size;
  const a = measure(fast, doc, 2.0);
  const b = measure(full, doc, 2.0);
  console.log(`ajv      ${path.basename(p).padEnd(16)} ${String(size).padStart(8)} B  ${(a.ok ? 'valid' : 'INVALID').padEnd(7)} ${a.rate.toFixed(0).padStart(12)} validations/s  (${(1e6 / a.rate).toFixed(2)} us each; with allErrors: ${b.rate.toFixed(0)}/s)`);
  if (!a.ok) console.error(fast.errors);
}
