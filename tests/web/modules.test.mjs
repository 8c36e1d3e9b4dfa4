// The dashboard's module structure (web/*.js), without a browser: every
// module but the router loads with no DOM and no app started, nothing
// imports the router, the import graph has no cycle, and the domain helpers
// read InferenceService statuses as the views show them.
// Usage: node tests/web/modules.test.mjs   (ctest: web_modules)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const WEB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web');
let failed = 0;
const check = (cond, msg) => { if (!cond) { failed++; console.log(`FAIL ${msg}`); } else console.log(`ok   ${msg}`); };

// Node reads .js as ES modules only under a package.json that says so: copy.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-web-modules-'));
const files = fs.readdirSync(WEB).filter(f => f.endsWith('.js'));
for (const f of files) fs.copyFileSync(path.join(WEB, f), path.join(dir, f));
fs.writeFileSync(path.join(dir, 'package.json'), '{"type": "module"}');

const imports = new Map(files.map(f => [f, [...fs.readFileSync(path.join(WEB, f), 'utf8')
  .matchAll(/^import\s[^;]*?from\s+'\.\/([\w.-]+)'/gm)].map(m => m[1])]));

for (const [f, deps] of imports) {
  check(!deps.includes('app.js'), `${f} does not import the router`);
}
const cycle = (() => {
  const state = new Map();  // 1 visiting, 2 done
  const visit = (f, trail) => {
    if (state.get(f) === 2) return null;
    if (state.get(f) === 1) return [...trail, f];
    state.set(f, 1);
    for (const d of imports.get(f) || []) {
      const c = visit(d, [...trail, f]);
      if (c) return c;
    }
    state.set(f, 2);
    return null;
  };
  for (const f of files) { const c = visit(f, []); if (c) return c; }
  return null;
})();
check(!cycle, `no import cycle${cycle ? ': ' + cycle.join(' -> ') : ''}`);

const want = {
  'ui.js': ['h', 'table', 'section', 'toast', 'copyButton', 'age'],
  'isvc.js': ['ISVC', 'isvcsPath', 'isvcPath', 'modelState', 'deleteModel'],
  'api.js': ['api', 'listWatch', 'applyDoc'],
  'list.js': ['renderList'],
  'model.js': ['renderModel'],
  'new.js': ['renderNew'],
};
const loaded = {};
for (const f of files.filter(f => f !== 'app.js')) {
  try {
    loaded[f] = await import(pathToFileURL(path.join(dir, f)).href);
    check(true, `${f} loads without a DOM`);
  } catch (e) {
    check(false, `${f} loads without a DOM: ${e.message}`);
  }
}
for (const [f, names] of Object.entries(want)) {
  for (const n of names) check(loaded[f] && n in loaded[f], `${f} exports ${n}`);
}

const { modelState, isvcPath } = loaded['isvc.js'] || {};
if (modelState) {
  const cond = (status, reason, message) => ({ conditions: [{ type: 'Ready', status, reason, message }] });
  check(modelState({ status: cond('True') }).state === 'Ready', 'a Ready condition is Ready');
  const loading = modelState({ status: cond('False', 'Loading', 'revision m-predictor-00001: downloading') });
  check(loading.state === 'Loading' && loading.text.includes('downloading'), 'loading shows the progress');
  const failed_ = modelState({ status: { ...cond('False', 'InvalidPredictorSpec', 'x'),
    modelStatus: { states: { targetModelState: 'FailedToLoad' },
      lastFailureInfo: { reason: 'InvalidPredictorSpec', message: 'spec.predictor.batcher.maxBatchSize is "big"' } } } });
  check(failed_.state === 'FailedToLoad' && failed_.text.includes('maxBatchSize'), 'a failure shows its cause');
  check(modelState({}).state === 'Loading', 'no status yet is Loading');
  check(isvcPath('ns', 'm') === '/apis/serving.kserve.io/v1beta1/namespaces/ns/inferenceservices/m',
    'the InferenceService path');
}

fs.rmSync(dir, { recursive: true, force: true });
console.log(failed ? `${failed} failed` : 'all passed');
process.exit(failed ? 1 : 0);
