// The model page: status, revisions and traffic, events, V2 metadata, snippets, Try it, edit, delete.
import { api, applyDoc, listWatch, toYaml, tryGateway } from './api.js';
import { canIsvc, deleteModel, deniedText, isvcPath, isvcsPath, modelState } from './isvc.js';
import { age, copyButton, h, section, table, toast } from './ui.js';

function snippets(ns, isvc, name) {
  const body = "'{\"inputs\": [...]}'";
  const out = [];
  for (const [which, url] of [['internal', isvc.status?.address?.url], ['external', isvc.status?.url]]) {
    if (!url) continue;
    const host = new URL(url).host;
    const target = which === 'external' ? `http://<ingress-host>:<port>` : url;
    const curl = `TOKEN=$(kubectl create token default-editor -n ${ns})\n` +
      `curl -H "Host: ${host}" -H "Authorization: Bearer $TOKEN" \\\n` +
      `  -H "Content-Type: application/json" ${target}/v2/models/${name}/infer -d ${body}`;
    const py = `import requests\n` +
      `token = "..."  # kubectl create token default-editor -n ${ns}\n` +
      `r = requests.post("${target}/v2/models/${name}/infer",\n` +
      `                  headers={"Host": "${host}", "Authorization": f"Bearer {token}"},\n` +
      `                  json={"inputs": [...]})\nprint(r.status_code, r.json())`;
    out.push(h('h3', {}, `${which} URL`),
      h('pre', { 'aria-label': `curl for the ${which} URL` }, curl), copyButton(curl, `${which} curl`),
      h('pre', { 'aria-label': `Python for the ${which} URL` }, py), copyButton(py, `${which} Python`));
  }
  return out.length ? out : [h('p', { class: 'muted' }, 'URLs appear once the model is ready.')];
}

function exampleRequest(meta) {
  const inputs = (meta?.inputs || []).map(i => {
    const shape = i.shape.map(d => (d < 0 ? 1 : d));
    const n = shape.reduce((a, b) => a * b, 1);
    return { name: i.name, shape, datatype: i.datatype, data: Array(n).fill(i.datatype === 'BYTES' ? '' : 0) };
  });
  return JSON.stringify({ inputs }, null, 2);
}

function tryIt(ns, current, name, metaBox) {
  // External first: the call goes as the signed-in user (their gateway
  // session → user JWT → kubeflow-userid), so the profile's policies decide.
  const gw = h('select', { id: 'try-gateway', name: 'gateway', onchange: () => loadMeta() },
    h('option', { value: 'external' }, 'external gateway (status.url; as you, through the Kubeflow login, or with the token)'),
    h('option', { value: 'internal' }, 'cluster-local gateway (status.address.url)'));
  const token = h('input', { id: 'try-token', type: 'password', autocomplete: 'off',
    'aria-describedby': 'try-token-help' });
  // Filled with an example from the metadata only while the user has not
  // touched it: a late metadata answer must not rewrite (or, mid-typing,
  // prepend to) what they are entering.
  let touched = false;
  const body = h('textarea', { id: 'try-body', spellcheck: 'false',
    onfocus: () => { touched = true; }, oninput: () => { touched = true; } }, '{"inputs": []}');
  const out = h('pre', { id: 'try-response', 'aria-live': 'polite', 'aria-label': 'Response' });
  const why = h('div', { id: 'try-explanation', 'aria-live': 'polite' });
  const urlOf = () => (gw.value === 'external' ? current()?.status?.url : current()?.status?.address?.url);
  const send = async e => {
    e.preventDefault();
    if (!urlOf()) { out.textContent = 'The model has no URL yet: wait until it is Ready.'; return; }
    out.textContent = 'Sending...';
    why.replaceChildren();
    const path = `/v2/models/${name}/infer`;
    const r = await tryGateway(gw.value, urlOf(), path, 'POST', body.value, token.value);
    out.textContent = `HTTP ${r.status}\n${r.text}`;
    out.dataset.status = r.status;
    if (r.status === 401 || r.status === 403) {
      why.replaceChildren(h('p', { class: 'muted' }, 'Asking the gateway why...'));
      why.replaceChildren(await explainDenial(urlOf() + path, token.value));
    }
  };
  const loadMeta = async () => {
    if (!urlOf()) return;
    const r = await tryGateway(gw.value, urlOf(), `/v2/models/${name}`, 'GET', undefined, token.value);
    let meta = null;
    try { meta = JSON.parse(r.text); } catch { /* shown raw */ }
    if (r.status === 200 && meta) {
      metaBox.replaceChildren(h('p', {}, `Platform: ${meta.platform || '—'}; versions: ${(meta.versions || []).join(', ') || '—'}`),
        h('h3', {}, 'Inputs'), table('Inputs', ['Name', 'Datatype', 'Shape'], (meta.inputs || []).map(i => [i.name, i.datatype, JSON.stringify(i.shape)])),
        h('h3', {}, 'Outputs'), table('Outputs', ['Name', 'Datatype', 'Shape'], (meta.outputs || []).map(i => [i.name, i.datatype, JSON.stringify(i.shape)])));
      if (!touched && document.activeElement !== body) body.value = exampleRequest(meta);
    } else {
      metaBox.replaceChildren(h('p', { class: 'error' }, `GET /v2/models/${name} answered HTTP ${r.status}: ${r.text}`),
        h('p', { class: 'muted' }, 'A token (or an ALLOW AuthorizationPolicy) may be needed: fill in the token and reload.'));
    }
  };
  const form = h('form', { id: 'try-form', 'aria-labelledby': 'try-title', onsubmit: send },
    h('label', { for: 'try-gateway' }, 'Gateway'), gw,
    h('label', { for: 'try-token' }, 'Bearer token (optional)'), token,
    h('p', { id: 'try-token-help', class: 'muted' },
      `kubectl create token default-editor -n ${ns}; sent as Authorization: Bearer.`),
    h('label', { for: 'try-body' }, 'V2 request body (JSON)'), body,
    h('p', {}, h('button', { type: 'submit', id: 'try-send' }, 'Send'), ' ',
      h('button', { type: 'button', class: 'secondary', id: 'try-meta', onclick: loadMeta }, 'Reload metadata')),
    out, why);
  return { form, loadMeta };
}

// The `ferry authz check` explanation of a denied Try-it call.
async function explainDenial(url, token) {
  const r = await api('POST', '/ferry/v1/authz/check',
    { url, method: 'POST', headers: { 'Content-Type': 'application/json' }, token: token || undefined });
  if (r.status === 404) {
    return h('p', { class: 'muted', id: 'why-missing' },
      'This server has no authorization check (POST /ferry/v1/authz/check answered 404).');
  }
  if (r.status === 403) {
    // RBAC: the check reveals the gateway's policies, so it is granted, not given.
    return h('p', { class: 'muted', id: 'why-forbidden' },
      `No explanation: ${r.json?.message || 'forbidden'}. An admin can run ferry authz check -X POST ${url}, ` +
      'or allow you the non-resource URL /ferry/v1/authz/check (verb post).');
  }
  if (!r.ok || !r.json) return h('p', { class: 'error' }, `authz check failed: HTTP ${r.status} ${r.text}`);
  const lines = r.json.explanation || [];
  return h('section', { 'aria-labelledby': 'why-title', class: 'why' },
    h('h3', { id: 'why-title' }, `Why: ${r.json.allowed ? 'allowed' : `denied (HTTP ${r.json.status})`}`),
    h('ul', { id: 'why-lines' }, lines.map(l => h('li', {}, l))),
    h('p', { class: 'muted' }, `Same as: ferry authz check -X POST ${url}` + (token ? ' --token $TOKEN' : '')));
}

// Recent model-server log lines (download, load, errors) of the InferenceService.
function logsBox(ns, name) {
  const pre = h('pre', { id: 'model-logs', 'aria-label': 'Recent log lines', tabindex: '0' }, 'Loading...');
  const load = async () => {
    const r = await api('GET', `${isvcPath(ns, name)}/log?tailLines=100`);
    if (r.status === 404) {
      pre.textContent = 'No log lines from this server (the log endpoint answered 404).';
    } else if (!r.ok) {
      pre.textContent = `Logs unavailable: HTTP ${r.status} ${r.json?.message || r.text}`;
    } else {
      pre.textContent = r.text.trim() || 'No log lines yet.';
      pre.scrollTop = pre.scrollHeight;
    }
    pre.dataset.loaded = String(r.status);
  };
  const box = h('div', {}, pre,
    h('p', {}, h('button', { type: 'button', class: 'secondary', id: 'logs-refresh', onclick: load }, 'Refresh logs')));
  return { box, load };
}

function editor(ns, isvc, allowed) {
  const obj = { apiVersion: isvc.apiVersion, kind: isvc.kind,
    metadata: { name: isvc.metadata.name, namespace: isvc.metadata.namespace }, spec: isvc.spec };
  for (const k of ['labels', 'annotations']) if (isvc.metadata[k]) obj.metadata[k] = isvc.metadata[k];
  const text = h('textarea', { id: 'edit-yaml', spellcheck: 'false' }, toYaml(obj).trimStart() + '\n');
  const out = h('div', { id: 'edit-result', role: 'alert', class: 'error' });
  return h('form', { 'aria-labelledby': 'edit-title', onsubmit: async e => {
    e.preventDefault();
    const r = await applyDoc(text.value, ns);
    out.textContent = r.ok ? '' : `${r.json?.message || r.text}` +
      (r.json?.details?.causes || []).map(c => `\n${c.field}: ${c.message}`).join('');
    if (r.ok) toast('Saved');
  } }, h('label', { for: 'edit-yaml' }, 'InferenceService YAML (applied as a merge)'), text,
  h('p', {}, h('button', { type: 'submit', id: 'edit-save', disabled: !allowed.patch,
    title: allowed.patch ? null : allowed.why }, 'Save')), out);
}

export function renderModel(main, { ns, name, signal }) {
  const statusBox = h('div', { id: 'model-status' });
  const metaBox = h('div', { id: 'model-metadata' }, h('p', { class: 'muted' }, 'Loading metadata...'));
  const eventsBox = h('div', { id: 'model-events' });
  const logs = logsBox(ns, name);
  const allowed = canIsvc('patch', ns, name).then(async patch => ({ patch, why: await deniedText('change', ns) }));
  let built = false, metaLoaded = false, t = null, latest = null, lastState = '';
  const draw = async isvc => {
    if (!isvc) { statusBox.replaceChildren(h('p', { class: 'error' }, `${name} was deleted.`)); return; }
    const st = isvc.status || {};
    const s = modelState(isvc);
    const ms = st.modelStatus || {};
    const pred = st.components?.predictor || {};
    statusBox.replaceChildren(
      h('p', {}, 'Status: ', h('span', { class: `status ${s.state}`, id: 'model-state', 'data-state': s.state }, s.text)),
      table('Conditions', ['Type', 'Status', 'Reason', 'Message', 'Last transition'],
        (st.conditions || []).map(c => [c.type, c.status, c.reason, c.message, c.lastTransitionTime])),
      h('h3', {}, 'Model status'),
      table('Model status', ['Transition', 'Active', 'Target', 'Failure'], [[ms.transitionStatus,
        ms.states?.activeModelState, ms.states?.targetModelState,
        ms.lastFailureInfo ? `${ms.lastFailureInfo.reason}: ${ms.lastFailureInfo.message}` : '']]),
      h('h3', {}, 'Revisions and traffic'),
      h('p', {}, `Latest created: ${pred.latestCreatedRevision || '—'}; latest ready: ${pred.latestReadyRevision || '—'}`),
      table('Traffic', ['Revision', 'Percent', 'Tag', 'Latest'],
        (pred.traffic || []).map(t => [t.revisionName, `${t.percent}%`, t.tag, String(!!t.latestRevision)])));
    const ev = await api('GET', `/api/v1/namespaces/${ns}/events?fieldSelector=${encodeURIComponent('involvedObject.name=' + name)}`);
    eventsBox.replaceChildren(table('Events', ['Type', 'Reason', 'Message', 'Age'],
      (ev.json?.items || []).map(e => [e.type, e.reason, e.message, age(e.lastTimestamp || e.eventTime || e.metadata.creationTimestamp)])));
    if (s.state !== lastState) { lastState = s.state; logs.load(); }
    if (s.state === 'Ready' && t && !metaLoaded) { metaLoaded = true; t.loadMeta(); }
    if (built) return;
    built = true;
    t = tryIt(ns, () => latest, name, metaBox);
    const edit = h('div', { id: 'edit-box' }, h('p', { class: 'muted' }, 'Checking your permissions...'));
    allowed.then(a => {
      edit.replaceChildren(editor(ns, isvc, a));
      if (!a.patch) edit.prepend(h('p', { class: 'muted', id: 'edit-denied' }, a.why));
    });
    main.append(h('div', { class: 'row' },
      section('meta-title', 'Metadata', metaBox),
      section('try-title', 'Try it', t.form)),
    section('snip-title', 'Call it', snippets(ns, isvc, name)),
    section('edit-title', 'Edit', edit));
    if (s.state === 'Ready') { metaLoaded = true; t.loadMeta(); } else metaBox.replaceChildren(h('p', { class: 'muted' }, 'Metadata appears once the model is Ready (then use Reload metadata).'));
  };
  const deleteButton = h('button', { class: 'danger', type: 'button', id: 'delete', disabled: true,
    title: 'Checking your permissions...', onclick: async () => {
      if (await deleteModel(ns, name)) location.hash = `#/ns/${ns}`;
    } }, 'Delete');
  Promise.all([canIsvc('delete', ns, name), deniedText('delete', ns)]).then(([ok, why]) => {
    deleteButton.disabled = !ok;
    deleteButton.title = ok ? '' : why;
  });
  main.replaceChildren(
    h('div', { class: 'toolbar' }, h('h1', {}, name),
      h('a', { href: `#/ns/${ns}` }, 'Back to models'),
      deleteButton),
    section('status-title', 'Status', statusBox),
    section('events-title', 'Events', eventsBox),
    section('logs-title', 'Recent log lines', logs.box));
  listWatch(`${isvcsPath(ns)}?fieldSelector=${encodeURIComponent('metadata.name=' + name)}`,
    items => { latest = items[0] || null; draw(latest); },
    ev => { latest = ev.type === 'DELETED' ? null : ev.object; draw(latest); }, signal)
    .catch(e => main.append(h('p', { class: 'error', role: 'alert', id: 'model-error' }, e.message)));
}
