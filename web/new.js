// "New model": paste multi-document YAML (server-side apply per document) or fill a short form.
import { api, applyDoc, lineOfField, splitDocs } from './api.js';
import { canIsvc, deniedText, isvcsPath } from './isvc.js';
import { h, toast } from './ui.js';

const causes = r => r.json?.details?.causes || [];
const message = r => r.json?.message || r.text || `HTTP ${r.status}`;

async function applyYaml(ns, text, out) {
  out.replaceChildren();
  let failed = false;
  for (const doc of splitDocs(text)) {
    let r;
    try { r = await applyDoc(doc.text, ns); }
    catch (e) { r = { ok: false, json: { message: e.message } }; }
    const what = `${r.header?.kind || 'document'} ${r.header?.name || ''}`.trim();
    if (r.ok) {
      out.append(h('li', {}, `${what}: ${r.status === 201 ? 'created' : 'configured'}`));
      continue;
    }
    failed = true;
    const li = h('li', { class: 'error' }, `${what} (document at line ${doc.line}): ${message(r)}`);
    const list = causes(r).map(c => {
      const line = lineOfField(doc.text, c.field);
      return h('li', { 'data-line': line ? doc.line + line - 1 : '' },
        (line ? `line ${doc.line + line - 1}: ` : '') + `${c.field || ''} ${c.message || ''}`.trim());
    });
    if (list.length) li.append(h('ul', {}, list));
    out.append(li);
  }
  return !failed;
}

const FIELDS = [
  ['name', 'Name', 'text', 'metadata.name', 'irish-s3'],
  ['namespace', 'Namespace', 'text', 'metadata.namespace', ''],
  ['format', 'Model format', 'text', 'spec.predictor.model.modelFormat.name', 'mlflow'],
  ['storageUri', 'Storage URI', 'text', 'spec.predictor.model.storageUri', 's3://bucket/path'],
  ['serviceAccountName', 'Service account', 'text', 'spec.predictor.serviceAccountName', 'sa'],
];

function formObject(ns, f) {
  const v = k => f.elements[k].value.trim();
  const predictor = { model: { modelFormat: { name: v('format') }, protocolVersion: v('protocol'),
    storageUri: v('storageUri') } };
  if (v('serviceAccountName')) predictor.serviceAccountName = v('serviceAccountName');
  return { apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService',
    metadata: { name: v('name'), namespace: v('namespace') || ns }, spec: { predictor } };
}

async function submitForm(ns, e) {
  e.preventDefault();
  const f = e.target;
  f.querySelectorAll('.field-error').forEach(x => { x.textContent = ''; });
  f.querySelectorAll('[aria-invalid]').forEach(x => x.removeAttribute('aria-invalid'));
  const obj = formObject(ns, f);
  const r = await api('POST', isvcsPath(obj.metadata.namespace), obj);
  const general = f.querySelector('#form-error');
  if (r.ok) {
    toast(`Created ${obj.metadata.name}`);
    location.hash = `#/ns/${obj.metadata.namespace}/models/${obj.metadata.name}`;
    return;
  }
  let placed = false;
  for (const c of causes(r)) {
    const fld = FIELDS.find(x => c.field && (c.field === x[3] || c.field.endsWith('.' + x[0])));
    if (!fld) continue;
    placed = true;
    f.elements[fld[0]].setAttribute('aria-invalid', 'true');
    f.querySelector(`#err-${fld[0]}`).textContent = c.message || message(r);
  }
  general.textContent = placed ? `${message(r)} (see the fields above)` : message(r);
}

export function renderNew(main, { ns }) {
  const out = h('ul', { id: 'apply-result', 'aria-live': 'polite' });
  const yaml = h('textarea', { id: 'yaml', name: 'yaml', spellcheck: 'false',
    'aria-describedby': 'yaml-help', placeholder: 'apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\n...' });
  const yamlForm = h('form', { 'aria-labelledby': 'yaml-title', onsubmit: async e => {
    e.preventDefault();
    if (await applyYaml(ns, yaml.value, out)) toast('Applied');
  } },
  h('h2', { id: 'yaml-title' }, 'Paste YAML'),
  h('label', { for: 'yaml' }, 'Manifests'),
  h('p', { id: 'yaml-help', class: 'muted' },
    `One or more documents separated by ---: InferenceService, Secret, ServiceAccount, ` +
    `AuthorizationPolicy... Documents without a namespace go to ${ns}. Same as kubectl apply --server-side.`),
  yaml, h('p', {}, h('button', { type: 'submit', id: 'apply' }, 'Apply')), out);

  const inputs = FIELDS.map(([id, label, type, , ph]) => [
    h('label', { for: `f-${id}` }, label),
    h('input', { id: `f-${id}`, name: id, type, placeholder: ph || null,
      required: id !== 'serviceAccountName' && id !== 'namespace',
      value: id === 'namespace' ? ns : null, 'aria-describedby': `err-${id}` }),
    h('div', { class: 'field-error', id: `err-${id}`, 'aria-live': 'polite' })]);
  const protocol = h('select', { id: 'f-protocol', name: 'protocol' },
    h('option', { value: 'v2' }, 'v2 (Open Inference Protocol)'), h('option', { value: 'v1' }, 'v1'));
  const form = h('form', { 'aria-labelledby': 'form-title', onsubmit: e => submitForm(ns, e), id: 'short-form' },
    h('h2', { id: 'form-title' }, 'Or fill in a short form'), inputs,
    h('label', { for: 'f-protocol' }, 'Protocol'), protocol,
    h('p', {}, h('button', { type: 'submit', id: 'create' }, 'Create')),
    h('div', { id: 'form-error', class: 'error', role: 'alert' }));
  const note = h('p', { class: 'muted', id: 'permissions-note' });
  main.replaceChildren(h('div', { class: 'toolbar' }, h('h1', {}, 'New model'),
    h('a', { href: `#/ns/${ns}` }, 'Back to models')), note,
  h('div', { class: 'row' }, h('section', {}, yamlForm), h('section', {}, form)));
  // The API decides each document; this only spares a form that cannot work.
  Promise.all([canIsvc('create', ns), deniedText('create', ns)]).then(([ok, why]) => {
    if (ok) return;
    note.textContent = why;
    for (const b of main.querySelectorAll('#apply, #create')) { b.disabled = true; b.title = why; }
  });
}
