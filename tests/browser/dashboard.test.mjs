// Browser test of the Models dashboard: drives the system chromium (playwright-core)
// against a real `ferry up --profile kubeflow` and the S3 test server, as a profile
// owner, a contributor with view and an outsider (the dashboard acts as each of them).
// Env: FERRY_BIN (required), S3_ENDPOINT (scripts/test.sh; else started by
// prepare_model.py), SCREENSHOT_DIR. Exits 77 (skipped) without chromium,
// 1 on any failed step. Prints "N passed, N failed".
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../..');
const CHROMIUM = '/usr/bin/chromium';
const FERRY = process.env.FERRY_BIN || path.join(REPO, 'build', 'ferry');
const SHOTS = process.env.SCREENSHOT_DIR || path.join(path.dirname(FERRY), 'browser-screenshots');
const SEED = path.join(REPO, 'tests/e2e/seed');
const NS = 'kubeflow-user-example-com';  // the default user's Profile
const USERS = { carol: ['carol@example.com', 'carol-pass-1'], eve: ['eve@example.com', 'eve-pass-1'] };
const KUBEFLOW_ROLES = ['common/kubeflow-roles/base/cluster-roles.yaml', 'contrib/kserve/kserve/aggregated-roles.yaml']
  .map(f => path.join(REPO, 'tests/fixtures/kubeflow-1.9.1', f));
const SEED_REQUEST = { parameters: { content_type: 'np' }, inputs: [{ name: 'features', shape: [2, 4],
  datatype: 'FP64', data: [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]] }] };

if (!fs.existsSync(CHROMIUM)) { console.log(`SKIP: ${CHROMIUM} missing (scripts/install-deps.sh test)`); process.exit(77); }
if (!fs.existsSync(FERRY)) { console.error(`FERRY_BIN ${FERRY} does not exist: build the ferry target`); process.exit(1); }
if (!fs.existsSync(path.join(HERE, 'node_modules/playwright-core'))) {
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: HERE, stdio: 'inherit',
    env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' } });
}
const { chromium } = await import('playwright-core');

let passed = 0, failed = 0;
async function step(name, fn) {
  const t0 = Date.now();
  try { await fn(); passed++; console.log(`ok   ${name} (${Date.now() - t0} ms)`); }
  catch (e) { failed++; e.reported = true; console.log(`FAIL ${name}: ${e.stack || e}`); throw e; }
}
const assert = (cond, msg) => { if (!cond) throw new Error(msg); };

const freePort = () => new Promise((res, rej) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); });
  s.on('error', rej);
});

async function startFerry() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-browser-'));
  const [api, http, internal] = [await freePort(), await freePort(), await freePort()];
  const logPath = path.join(dataDir, 'ferry-up.log');
  const log = fs.openSync(logPath, 'a');
  const proc = spawn(FERRY, ['up', '--data-dir', dataDir, '--bind', '127.0.0.1', '--api-port', api,
    '--http-port', http, '--internal-port', internal, '--profile', 'kubeflow'].map(String),
  { stdio: ['ignore', log, log] });
  const deadline = Date.now() + 30000;
  for (;;) {
    const out = fs.readFileSync(logPath, 'utf8');
    if (out.includes('export KUBECONFIG')) {
      // The dashboard is served where `ferry up` says; else on the API port.
      const m = out.match(/dashboard\s+(https?:\/\/\S+)/i);
      // The kubeflow profile also serves it on the external gateway behind the oauth2-proxy login.
      const ext = out.match(/Kubeflow dashboard \(oauth2-proxy login\)\s+(http:\/\/\S+)/);
      return { proc, dataDir, logPath, url: (m ? m[1] : `https://127.0.0.1:${api}/`).replace(/\/?$/, '/'),
        extUrl: (ext ? ext[1] : `http://127.0.0.1:${http}/`).replace(/\/?$/, '/') };
    }
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`ferry up did not start:\n${out}`);
    await new Promise(r => setTimeout(r, 100));
  }
}

// The seed's Secret + ServiceAccount and InferenceService (no namespace: the dashboard's).
// No allow-all policy: the profile's own policy (ns-owner-access-istio) decides who calls.
function manifests(s3) {
  const hostport = s3.endpoint.split('://')[1];
  const sa = fs.readFileSync(path.join(SEED, 'sa.yaml'), 'utf8').replace('S3_ENDPOINT_HOSTPORT', hostport)
    .replace('S3_ACCESS_KEY', s3.access).replace('S3_SECRET_KEY', s3.secret);
  return [sa, fs.readFileSync(path.join(SEED, 'is_mlflow.yaml'), 'utf8')].join('\n---\n');
}

const roleBinding = (name, role, user) => `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ${name}, namespace: ${NS}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ${role}}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "${user}"}]
`;

// What an admin does for these users: passwords (ferry passwd), the default user's
// Profile, Kubeflow's roles, the owner's binding (profile controller) and a view
// contributor's (KFAM), and the right to ask `authz check` for the owner.
function setUpUsers(up) {
  const kubectl = (args, input) => execFileSync('kubectl', ['--kubeconfig', path.join(up.dataDir, 'kubeconfig'), ...args],
    { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'inherit'] });
  for (const [email, password] of Object.values(USERS)) {
    execFileSync(FERRY, ['passwd', email, '--data-dir', up.dataDir], { input: password + '\n', stdio: ['pipe', 'ignore', 'inherit'] });
  }
  for (const f of KUBEFLOW_ROLES) kubectl(['apply', '-f', f]);
  kubectl(['apply', '-f', '-'], `apiVersion: kubeflow.org/v1\nkind: Profile\nmetadata: {name: ${NS}}\n` +
    'spec: {owner: {kind: User, name: user@example.com}}\n');
  for (let i = 0; ; i++) {
    try { kubectl(['get', 'namespace', NS]); break; } catch (e) { if (i > 100) throw e; execFileSync('sleep', ['0.1']); }
  }
  kubectl(['apply', '-f', '-'], roleBinding('namespaceAdmin', 'kubeflow-admin', 'user@example.com'));
  kubectl(['apply', '-f', '-'], roleBinding('user-carol-example-com-clusterrole-view', 'kubeflow-view', USERS.carol[0]));
  kubectl(['create', 'clusterrole', 'ferry-authz-check', '--verb=post', '--non-resource-url=/ferry/v1/authz/check']);
  kubectl(['create', 'clusterrolebinding', 'owner-authz-check', '--clusterrole=ferry-authz-check', '--user=user@example.com']);
  return kubectl;
}

// Signs `page` in on the HTTPS dashboard's form.
async function signIn(page, url, email, password) {
  await page.goto(url);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByLabel('Password').press('Enter');
  await page.locator('#who').filter({ hasText: email }).waitFor();
}

// Every visible form control has an accessible name; every button has text or aria-label.
const unlabeled = page => page.evaluate(() => [...document.querySelectorAll('input, select, textarea, button')]
  .filter(el => el.type !== 'hidden' && el.offsetParent !== null)
  .filter(el => !(el.labels?.length || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') ||
    (el.tagName === 'BUTTON' && el.textContent.trim())))
  .map(el => el.outerHTML.slice(0, 80)));

async function run() {
  fs.mkdirSync(SHOTS, { recursive: true });
  const s3 = JSON.parse(execFileSync('/usr/bin/python3', [path.join(HERE, 'prepare_model.py')],
    { env: { ...process.env, FERRY_BIN: FERRY }, encoding: 'utf8' }).trim().split('\n').pop());
  s3Started = s3.started;  // started here (no S3_ENDPOINT): stopped at the end
  const up = await startFerry();
  setUpUsers(up);
  // The contributor and the outsider browse in their own contexts (own cookies).
  const others = await chromium.launch({ executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-chromium-'));
  const ctx = await chromium.launchPersistentContext(userDir, {
    executablePath: CHROMIUM, headless: true, ignoreHTTPSErrors: true, viewport: { width: 1400, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run'],
  });
  const page = ctx.pages()[0] || await ctx.newPage();
  page.setDefaultTimeout(15000);
  const shot = name => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  const errors = [];
  page.on('pageerror', e => errors.push(e.message));
  // Content-Encoding of every response the dashboard got (checked in the gzip step).
  const encodings = new Map();
  page.on('response', r => {
    const p = new URL(r.url()).pathname;  // the first full (200) answer per path; later ones may be 304s
    if (r.status() === 200 && !encodings.has(p)) encodings.set(p, r.headers()['content-encoding'] || '');
  });
  try {
    await step('login page says the default user and is labelled', async () => {
      await page.goto(up.url);
      assert(page.url().includes('/login'), `not redirected to /login: ${page.url()}`);
      assert(await page.locator('#default-user-note').textContent().then(t => t.includes('user@example.com')),
        'the default user note is missing');
      assert((await unlabeled(page)).length === 0, `unlabeled controls: ${await unlabeled(page)}`);
      await shot('01-login');
    });
    await step('wrong password is refused', async () => {
      await page.getByLabel('Email').fill('user@example.com');
      await page.getByLabel('Password').fill('wrong');
      await page.getByLabel('Password').press('Enter');
      await page.locator('#login-error').waitFor();
    });
    await step('the form carries a CSRF token; a post without it is refused', async () => {
      const token = await page.locator('form input[name="csrf"]').first().inputValue();
      assert(/^[0-9a-f]{64}$/.test(token), `csrf field: ${token}`);
      // Same browser (its CSRF cookie goes along), but not from the page's form.
      const r = await page.request.post(new URL('login', up.url).href,
        { form: { email: 'user@example.com', password: '12341234' }, maxRedirects: 0 });
      assert(r.status() === 403 && (await r.text()).includes('CSRF'), `post without token: ${r.status()}`);
    });
    await step('sign in with the keyboard', async () => {
      await page.getByLabel('Email').fill('user@example.com');
      await page.getByLabel('Password').fill('12341234');
      await page.getByLabel('Password').press('Enter');
      await page.locator('#models').waitFor();
      assert((await page.locator('#who').textContent()) === 'user@example.com', 'user not shown');
      // Only what the user can reach: their profile, not default, kubeflow or kube-system.
      await page.locator(`#ns option[value="${NS}"]`).waitFor({ state: 'attached' });
      const opts = await page.locator('#ns option').allTextContents();
      assert(JSON.stringify(opts) === JSON.stringify([NS]), `namespaces: ${opts}`);
    });
    await step('paste the seed YAML (Secret, ServiceAccount, InferenceService) into the profile', async () => {
      await page.locator('#new-model').click();
      await page.getByLabel('Manifests').fill(manifests(s3));
      assert((await unlabeled(page)).length === 0, `unlabeled controls: ${await unlabeled(page)}`);
      await page.locator('#apply').click();
      await page.locator('#apply-result li').nth(2).waitFor();
      const lines = await page.locator('#apply-result li').allTextContents();
      assert(lines.every(l => /created|configured/.test(l)), `apply: ${lines.join(' | ')}`);
      await shot('02-new-yaml');
    });
    await step('invalid YAML field is reported next to its line', async () => {
      await page.getByLabel('Manifests').fill('apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\n' +
        'metadata:\n  name: Bad_Name\nspec:\n  predictor:\n    model:\n      modelFormat:\n        name: mlflow\n' +
        '      storageUri: s3://mlflow/x\n');
      await page.locator('#apply').click();
      await page.locator('#apply-result li.error').waitFor();
      const text = await page.locator('#apply-result').textContent();
      assert(/InferenceService Bad_Name/.test(text) && /line 4: metadata.name/.test(text), `error: ${text}`);
      await shot('03-yaml-error');
    });
    await step('the model goes Ready in the live list (watch)', async () => {
      await page.goto(up.url + `#/ns/${NS}`);
      const row = page.locator('tr[data-name="irish-s3"]');
      await row.waitFor();
      await row.locator('td[data-state="Ready"]').waitFor({ timeout: 120000 });
      const text = await row.textContent();
      assert(text.includes('mlflow') && text.includes('v2') && text.includes('svc.cluster.local') &&
        text.includes('example.com'), `row: ${text}`);
      await shot('04-list-ready');
    });
    await step('keyboard: Tab reaches the model link, Enter opens it', async () => {
      await page.locator('#main').focus();
      let found = false;
      for (let i = 0; i < 40 && !found; i++) {
        await page.keyboard.press('Tab');
        found = await page.evaluate(() => document.activeElement?.textContent === 'irish-s3');
      }
      assert(found, 'Tab never reached the irish-s3 link');
      await page.keyboard.press('Enter');
      await page.locator('#model-state[data-state="Ready"]').waitFor();
    });
    await step('model page: conditions, traffic, events, metadata, snippets', async () => {
      await page.locator('table[aria-label="Inputs"]').waitFor();
      const body = await page.locator('main').textContent();
      for (const want of ['PredictorReady', 'Revisions and traffic', '100%', 'kubectl create token default-editor', 'import requests']) {
        assert(body.includes(want), `model page lacks ${want}`);
      }
      assert((await unlabeled(page)).length === 0, `unlabeled controls: ${await unlabeled(page)}`);
    });
    await step('model page shows recent log lines', async () => {
      const logs = page.locator('#model-logs[data-loaded]');
      await logs.waitFor();
      const status = await logs.getAttribute('data-loaded');
      const text = await logs.textContent();
      assert(status === '200', `log endpoint answered ${status}: ${text}`);
      assert(text.trim().length > 0 && !text.startsWith('No log lines'), `no log lines: ${text}`);
      await page.locator('#logs-refresh').focus();
      await page.keyboard.press('Enter');
      await shot('05a-model-logs');
    });
    await step('Try it (external gateway, as the signed-in owner: no token) returns [1, 1]', async () => {
      assert(await page.getByLabel('Gateway').inputValue() === 'external', 'Try does not start on the external gateway');
      await page.getByLabel('V2 request body (JSON)').fill(JSON.stringify(SEED_REQUEST));
      await page.locator('#try-send').click();
      await page.locator('#try-response[data-status]').waitFor();
      const text = await page.locator('#try-response').textContent();
      assert(text.startsWith('HTTP 200'), `try: ${text}`);
      const out = JSON.parse(text.slice(text.indexOf('\n') + 1));
      assert(JSON.stringify(out.outputs[0].data) === '[1,1]', `outputs: ${JSON.stringify(out.outputs)}`);
      await shot('05-model-try');
    });
    const sendTry = async () => {
      await page.locator('#try-response').evaluate(e => { e.textContent = ''; delete e.dataset.status; });
      await page.locator('#try-send').click();
      await page.locator('#try-response[data-status]').waitFor();
      return page.locator('#try-response').textContent();
    };
    await step('a late metadata answer never rewrites a body being typed (the Try race)', async () => {
      // Playwright's fill() is focus + select-all, then insertText in a later round trip;
      // under load the page's metadata answer could land in between, replace the body
      // with the example (caret at the end) and the typed body was appended to it:
      // "V2 request body is not valid JSON (... improper structure ...)". Held here.
      const meta = /\/ferry\/try\/external\/[^/]+\/v2\/models\/irish-s3$/;
      let release;
      const held = new Promise(r => { release = r; });
      await page.route(meta, async route => { await held; await route.continue(); });
      try {
        await page.reload();
        const body = page.getByLabel('V2 request body (JSON)');
        await body.evaluate(b => { b.focus(); b.select(); });
        release();
        await page.locator('table[aria-label="Inputs"]').waitFor();
        await page.keyboard.insertText(JSON.stringify(SEED_REQUEST));
        const value = await body.inputValue();
        assert(value === JSON.stringify(SEED_REQUEST), `the body became: ${value}`);
        const text = await sendTry();
        assert(text.startsWith('HTTP 200'), `try after the late metadata: ${text}`);
      } finally {
        release();
        await page.unroute(meta);
      }
    });
    await step('Try it on the cluster-local gateway is refused by the profile policy', async () => {
      // ns-owner-access-istio: the owner's kubeflow-userid through the ingress gateway only.
      await page.getByLabel('Gateway').selectOption('internal');
      const text = await sendTry();
      assert(/^HTTP 403\nRBAC: access denied/.test(text), `internal try: ${text}`);
      await page.getByLabel('Gateway').selectOption('external');
    });
    await step('a denied Try it shows the authz check explanation', async () => {
      await page.getByLabel('Bearer token (optional)').fill('not-a-jwt');
      const text = await sendTry();
      assert(/^HTTP 401/.test(text), `external try with a bad token: ${text}`);
      await page.locator('#why-lines li').first().waitFor();
      const why = await page.locator('#try-explanation').textContent();
      assert(/denied/i.test(why) && /jwt/i.test(why), `explanation: ${why}`);
      await page.getByLabel('Bearer token (optional)').fill('');
      await shot('05b-external-denied-explained');
    });
    await step('the dashboard is served gzip-compressed', async () => {
      const js = encodings.get('/app.js'), css = encodings.get('/app.css');
      assert(js === 'gzip' && css === 'gzip', `assets: app.js ${js}, app.css ${css}`);
      const lists = [...encodings].filter(([p]) => p.startsWith('/api'));
      assert(lists.some(([, e]) => e === 'gzip'), `no API JSON was gzipped: ${JSON.stringify(lists)}`);
    });
    await step('external gateway: the dashboard behind the Kubeflow login', async () => {
      const ext = await ctx.newPage();
      ext.on('pageerror', e => errors.push(e.message));
      try {
        // The gateway's oauth2-proxy CUSTOM policy answers an unauthenticated page
        // with its sign-in form in place (403, as Kubeflow's does).
        await ext.goto(up.extUrl);
        assert(await ext.locator('form[action="/oauth2/sign_in"]').count() === 1,
               `no sign-in form at ${ext.url()}`);
        assert((await unlabeled(ext)).length === 0, `unlabeled controls: ${await unlabeled(ext)}`);
        await ext.screenshot({ path: path.join(SHOTS, '09-gateway-login.png'), fullPage: true });
        const r = await ext.request.post(new URL('oauth2/sign_in', up.extUrl).href,
          { form: { username: 'user@example.com', password: '12341234', rd: '/' }, maxRedirects: 0 });
        assert(r.status() === 403, `gateway sign-in post without the CSRF token: ${r.status()}`);
        await ext.getByLabel('Email').fill('user@example.com');
        await ext.getByLabel('Password').fill('wrong');
        await ext.getByLabel('Password').press('Enter');
        await ext.locator('#login-error').waitFor();
        await ext.getByLabel('Email').fill('user@example.com');
        await ext.getByLabel('Password').fill('12341234');
        await ext.getByLabel('Password').press('Enter');
        await ext.locator('#models').waitFor();
        assert((await ext.locator('#who').textContent()) === 'user@example.com', 'user not shown');
        await ext.locator('#read-only').waitFor();
        const cookies = await ctx.cookies(up.extUrl);
        const c = cookies.find(k => k.name === 'oauth2_proxy_kubeflow');
        assert(c && c.httpOnly && c.sameSite === 'Lax', `session cookie: ${JSON.stringify(cookies)}`);
        await ext.goto(up.extUrl + `#/ns/${NS}/models/irish-s3`);
        await ext.locator('#model-state[data-state="Ready"]').waitFor();
        // Read-only here: no write control is enabled, whatever RBAC allows the owner.
        await ext.locator('#delete[disabled][title*="only reads"]').waitFor();
        // As a user would: the metadata (and the example body) first, then the request.
        await ext.locator('table[aria-label="Inputs"]').waitFor();
        assert(await ext.getByLabel('Gateway').inputValue() === 'external', 'Try does not start on the external gateway');
        await ext.getByLabel('V2 request body (JSON)').fill(JSON.stringify(SEED_REQUEST));
        // Keyboard only: Tab from the body to Send, Enter sends.
        await ext.getByLabel('V2 request body (JSON)').press('Tab');
        assert(await ext.evaluate(() => document.activeElement?.id === 'try-send'), 'Tab did not reach Send');
        await ext.keyboard.press('Enter');
        await ext.locator('#try-response[data-status]').waitFor();
        const text = await ext.locator('#try-response').textContent();
        assert(text.startsWith('HTTP 200'), `gateway dashboard try: ${text}`);
        const out = JSON.parse(text.slice(text.indexOf('\n') + 1));
        assert(JSON.stringify(out.outputs[0].data) === '[1,1]', `outputs: ${JSON.stringify(out.outputs)}`);
        await ext.screenshot({ path: path.join(SHOTS, '10-gateway-dashboard-try.png'), fullPage: true });
      } finally {
        await ext.close();
      }
    });
    await step('a contributor with view sees the profile and its models but cannot change them', async () => {
      const c = await others.newContext({ ignoreHTTPSErrors: true });
      const p = await c.newPage();
      p.on('pageerror', e => errors.push(e.message));
      try {
        await signIn(p, up.url, ...USERS.carol);
        await p.locator(`#ns option[value="${NS}"]`).waitFor({ state: 'attached' });
        assert(JSON.stringify(await p.locator('#ns option').allTextContents()) === JSON.stringify([NS]), 'carol\'s namespaces');
        await p.locator('tr[data-name="irish-s3"] td[data-state="Ready"]').waitFor();
        await p.locator('#permissions-note').filter({ hasText: 'may not change' }).waitFor();
        assert(await p.locator('#new-model').isHidden(), 'New model offered to a viewer');
        assert(await p.getByRole('button', { name: 'Delete irish-s3' }).isDisabled(), 'Delete enabled for a viewer');
        await p.goto(up.url + `#/ns/${NS}/models/irish-s3`);
        await p.locator('#edit-denied').waitFor();
        await p.locator('#delete[disabled][title*="may not delete"]').waitFor();
        assert(await p.locator('#edit-save').isDisabled(), 'Save enabled for a viewer');
        // The API refuses it too, in Kubernetes' words, as the contributor.
        const r = await p.request.delete(new URL(`apis/serving.kserve.io/v1beta1/namespaces/${NS}/inferenceservices/irish-s3`, up.url).href);
        const msg = (await r.json()).message;
        assert(r.status() === 403 && msg === `inferenceservices.serving.kserve.io "irish-s3" is forbidden: User "carol@example.com" ` +
          `cannot delete resource "inferenceservices" in API group "serving.kserve.io" in the namespace "${NS}"`, `viewer delete: ${r.status()} ${msg}`);
        await p.screenshot({ path: path.join(SHOTS, '11-contributor-view.png'), fullPage: true });
      } finally {
        await c.close();
      }
    });
    await step('an outsider does not see the profile and a direct Try is refused', async () => {
      const c = await others.newContext({ ignoreHTTPSErrors: true });
      const p = await c.newPage();
      p.on('pageerror', e => errors.push(e.message));
      try {
        await signIn(p, up.url, ...USERS.eve);
        await p.locator('#no-namespace').waitFor();
        const opts = await p.locator('#ns option').allTextContents();
        assert(!opts.includes(NS), `the outsider is offered ${opts}`);
        await p.goto(up.url + `#/ns/${NS}`);
        const err = await p.locator('#list-error').textContent();
        assert(err.includes(`User "eve@example.com" cannot list resource "inferenceservices"`), `outsider list: ${err}`);
        assert(await p.locator('tr[data-name="irish-s3"]').count() === 0, 'the outsider sees the model');
        // Straight at the Try proxy: through the gateway as eve, refused by the profile's policy.
        const host = `irish-s3.${NS}.example.com`;
        const r = await p.request.post(new URL(`ferry/try/external/${host}/v2/models/irish-s3/infer`, up.url).href,
          { data: SEED_REQUEST });
        assert(r.status() === 403 && (await r.text()) === 'RBAC: access denied', `outsider try: ${r.status()} ${await r.text()}`);
        await p.screenshot({ path: path.join(SHOTS, '12-outsider.png'), fullPage: true });
      } finally {
        await c.close();
      }
    });
    await step('short form with a wrong storageUri shows FailedToLoad', async () => {
      await page.goto(up.url + `#/ns/${NS}/new`);
      await page.getByLabel('Name', { exact: true }).fill('wrong-uri');
      await page.getByLabel('Model format').fill('mlflow');
      await page.getByLabel('Storage URI').fill('s3://mlflow/no/such/model');
      await page.getByLabel('Service account').fill('sa');
      await page.locator('#create').click();
      await page.locator('#model-state[data-state="FailedToLoad"]').waitFor({ timeout: 90000 });
      const text = await page.locator('#model-state').textContent();
      assert(text.length > 'FailedToLoad: '.length + 5, `no reason: ${text}`);
      await shot('06-failed-to-load');
    });
    await step('short form validation error is shown next to the field', async () => {
      await page.goto(up.url + `#/ns/${NS}/new`);
      await page.getByLabel('Name', { exact: true }).fill('Bad_Name');
      await page.getByLabel('Model format').fill('mlflow');
      await page.getByLabel('Storage URI').fill('s3://mlflow/x');
      await page.locator('#create').click();
      await page.waitForFunction(() => document.querySelector('#form-error').textContent.length > 0);
      const field = await page.locator('#err-name').textContent();
      const general = await page.locator('#form-error').textContent();
      assert(field.length > 0, `no error next to Name; general: ${general}`);
      await shot('07-form-error');
    });
    await step('delete with confirmation removes the rows live', async () => {
      await page.goto(up.url + `#/ns/${NS}`);
      page.on('dialog', d => d.accept());
      for (const name of ['wrong-uri', 'irish-s3']) {
        await page.getByRole('button', { name: `Delete ${name}` }).click();
        await page.locator(`tr[data-name="${name}"]`).waitFor({ state: 'detached', timeout: 30000 });
      }
      await shot('08-deleted');
    });
    await step('no script errors on the pages', async () => {
      assert(errors.length === 0, `page errors: ${errors.join('; ')}`);
    });
  } finally {
    await shot('99-last').catch(() => {});
    await ctx.close();
    await others.close();
    const exited = new Promise(r => up.proc.once('exit', r));
    up.proc.kill('SIGTERM');
    await Promise.race([exited, new Promise(r => setTimeout(r, 15000))]);
    fs.rmSync(userDir, { recursive: true, force: true });
    if (failed) console.log(`ferry up log (${up.dataDir}):\n${fs.readFileSync(up.logPath, 'utf8').slice(-4000)}`);
    else fs.rmSync(up.dataDir, { recursive: true, force: true });
  }
}

let s3Started = false;
try { await run(); } catch (e) { if (!e.reported) { failed++; console.log(`FAIL setup: ${e.stack || e}`); } }
if (s3Started) execFileSync(path.join(REPO, 'scripts/s3-test-server.sh'), ['stop'], { stdio: 'inherit' });
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed || !passed ? 1 : 0);
