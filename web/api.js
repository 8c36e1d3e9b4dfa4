// Talks to the Kubernetes-compatible API of `ferry up` as the signed-in user
// (the session cookie; the server makes each call with the user's own token,
// so RBAC decides as for the user's kubectl) and to the "Try it" gateway proxy.

export async function api(method, path, body, contentType) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = contentType || 'application/json';
  const res = await fetch(path, {
    method, headers, credentials: 'same-origin',
    body: body === undefined ? undefined : (typeof body === 'string' ? body : JSON.stringify(body)),
  });
  if (res.status === 401) location.href = '/login?next=' + encodeURIComponent('/' + location.hash);
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { ok: res.ok, status: res.status, json, text };
}

let me = null;

// Who is signed in: {user, readOnly} (readOnly: the dashboard on the external
// gateway, which only reads). Asked once per page.
export function whoami() {
  me ||= api('GET', '/ferry/whoami').then(r => (r.ok && r.json ? r.json : { user: '', readOnly: true }));
  return me;
}

// `kubectl auth can-i VERB RESOURCE [NAME] -n NS` for the signed-in user (a
// SelfSubjectAccessReview); writes are never allowed on a read-only dashboard.
export async function canI(verb, group, resource, ns, name) {
  const who = await whoami();
  if (who.readOnly && !['get', 'list', 'watch'].includes(verb)) return false;
  const r = await api('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
    apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview',
    spec: { resourceAttributes: { verb, group, resource, namespace: ns, name } } });
  return r.json?.status?.allowed === true;
}

// The namespaces the signed-in user can reach (their profiles and those they
// contribute to), sorted; the server checks each one as the user.
export async function reachableNamespaces() {
  const r = await api('GET', '/ferry/namespaces');
  return r.ok ? (r.json?.namespaces || []) : [];
}

// Lists `path`, then follows `path?watch=true` (newline-delimited JSON events)
// until `signal` aborts; calls onList(items) and onEvent({type, object}).
export async function listWatch(path, onList, onEvent, signal) {
  const sep = path.includes('?') ? '&' : '?';
  while (!signal.aborted) {
    const list = await api('GET', path);
    if (!list.ok) throw new Error(list.json?.message || list.text);
    onList(list.json.items || []);
    const rv = list.json.metadata?.resourceVersion || '';
    try {
      const res = await fetch(`${path}${sep}watch=true&resourceVersion=${rv}`,
        { credentials: 'same-origin', signal });
      const reader = res.body.getReader();
      const dec = new TextDecoder();
      let buf = '', stale = false;
      while (!stale) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          const ev = line ? JSON.parse(line) : null;
          // ERROR (e.g. 410 Gone): the resourceVersion expired; list again.
          if (ev?.type === 'ERROR') stale = true;
          else if (ev && ev.type !== 'BOOKMARK') onEvent(ev);
        }
      }
      if (stale) reader.cancel();
    } catch (e) {
      if (signal.aborted) return;
      await new Promise(r => setTimeout(r, 1000));
    }
  }
}

// Splits multi-document YAML at `---` lines; keeps each document's first line number.
export function splitDocs(text) {
  const docs = [];
  let cur = [], start = 1;
  text.split('\n').forEach((line, i) => {
    if (/^---\s*(#.*)?$/.test(line)) {
      docs.push({ text: cur.join('\n'), line: start });
      cur = []; start = i + 2;
    } else cur.push(line);
  });
  docs.push({ text: cur.join('\n'), line: start });
  return docs.filter(d => d.text.split('\n').some(l => l.trim() && !l.trim().startsWith('#')));
}

const scalar = v => v.replace(/\s+#.*$/, '').trim().replace(/^(["'])(.*)\1$/, '$2');

// apiVersion, kind, metadata.name and metadata.namespace of one block-style document.
export function docHeader(text) {
  const h = {};
  let inMeta = false;
  for (const line of text.split('\n')) {
    const top = line.match(/^([A-Za-z]+):\s*(.*)$/);
    if (top) {
      inMeta = top[1] === 'metadata';
      if (top[1] === 'apiVersion' || top[1] === 'kind') h[top[1]] = scalar(top[2]);
      continue;
    }
    const m = inMeta && line.match(/^\s{1,4}(name|namespace):\s*(.*)$/);
    if (m && !(m[1] in h)) h[m[1]] = scalar(m[2]);
  }
  return h;
}

// The 1-based line of `field` (a cause's path like spec.predictor.model.storageUri) in `text`.
export function lineOfField(text, field) {
  const key = (field || '').split('.').pop().replace(/\[.*\]$/, '');
  if (!key) return 0;
  const i = text.split('\n').findIndex(l => new RegExp(`^\\s*-?\\s*${key}:`).test(l));
  return i + 1;
}

const discovery = new Map();

// {plural, namespaced, path prefix} of a kind from API discovery.
export async function resourceFor(apiVersion, kind) {
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  if (!discovery.has(base)) {
    const r = await api('GET', base);
    if (!r.ok) throw new Error(`unknown apiVersion ${apiVersion}: ${r.json?.message || r.status}`);
    discovery.set(base, r.json.resources || []);
  }
  const res = discovery.get(base).find(r => r.kind === kind && !r.name.includes('/'));
  if (!res) throw new Error(`the API has no kind ${kind} in ${apiVersion}`);
  return { base, plural: res.name, namespaced: res.namespaced };
}

// Server-side apply of one YAML document (creates or merges), like `kubectl apply --server-side`.
export async function applyDoc(text, defaultNs) {
  const h = docHeader(text);
  if (!h.apiVersion || !h.kind || !h.name) {
    return { ok: false, status: 0, json: { message: 'each document needs apiVersion, kind and metadata.name' } };
  }
  const r = await resourceFor(h.apiVersion, h.kind);
  const ns = h.namespace || defaultNs;
  const path = `${r.base}/${r.namespaced ? `namespaces/${ns}/` : ''}${r.plural}/${h.name}` +
    '?fieldManager=ferry-dashboard';
  const res = await api('PATCH', path, text, 'application/apply-patch+yaml');
  res.header = h;
  return res;
}

// Minimal JSON -> YAML for editing objects in place (block style; strings quoted when needed).
export function toYaml(v, indent = '') {
  const q = s => (/^[\w./@:-]+$/.test(s) && !/^(true|false|null|yes|no|on|off|[-+.\deE]+)$/i.test(s)
    ? s : JSON.stringify(s));
  if (Array.isArray(v)) {
    if (!v.length) return ' []';
    return v.map(x => `\n${indent}- ` + (x && typeof x === 'object'
      ? toYaml(x, indent + '  ').trimStart() : q(String(x)))).join('');
  }
  if (v && typeof v === 'object') {
    const keys = Object.keys(v);
    if (!keys.length) return ' {}';
    return keys.map(k => {
      const x = v[k];
      if (x && typeof x === 'object') return `\n${indent}${q(k)}:${toYaml(x, indent + '  ')}`;
      return `\n${indent}${q(k)}: ${typeof x === 'string' ? q(x) : JSON.stringify(x)}`;
    }).join('');
  }
  return typeof v === 'string' ? q(v) : JSON.stringify(v);
}

// "Try it": a request through the external or internal gateway, in-process.
export async function tryGateway(which, url, path, method, body, token) {
  const host = new URL(url).host;
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers['X-Ferry-Token'] = token;
  const res = await fetch(`/ferry/try/${which}/${host}${path}`,
    { method, headers, body, credentials: 'same-origin' });
  return { status: res.status, text: await res.text() };
}
