// The model list of one namespace, kept current by a watch.
import { listWatch } from './api.js';
import { canIsvc, deleteModel, deniedText, isvcsPath, modelState } from './isvc.js';
import { age, copyButton, h } from './ui.js';

function urlCell(url, what) {
  return url ? h('td', { class: 'url' }, h('code', {}, url), ' ', copyButton(url, what))
    : h('td', { class: 'muted' }, '—');
}

// perms: {delete: bool, why: text} — Delete is disabled (with the reason) unless allowed.
function row(ns, isvc, perms) {
  const name = isvc.metadata.name;
  const m = isvc.spec?.predictor?.model || {};
  const st = modelState(isvc);
  return h('tr', { 'data-name': name },
    h('td', {}, h('a', { href: `#/ns/${ns}/models/${name}` }, name)),
    h('td', { class: `status ${st.state}`, 'data-state': st.state }, st.text),
    h('td', {}, m.modelFormat?.name || ''),
    h('td', {}, m.protocolVersion || 'v1'),
    h('td', {}, isvc.status?.clusterServingRuntimeName || m.runtime || ''),
    urlCell(isvc.status?.address?.url, `internal URL of ${name}`),
    urlCell(isvc.status?.url, `external URL of ${name}`),
    h('td', {}, age(isvc.metadata.creationTimestamp)),
    h('td', {}, h('button', { class: 'danger small', type: 'button', 'aria-label': `Delete ${name}`,
      disabled: !perms.delete, title: perms.delete ? null : perms.why,
      onclick: () => deleteModel(ns, name) }, 'Delete')));
}

export function renderList(main, { ns, signal }) {
  const tbody = h('tbody');
  const items = new Map();
  const perms = { delete: false, why: 'Checking your permissions...' };
  const draw = () => {
    const rows = [...items.values()].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    tbody.replaceChildren(...rows.map(i => row(ns, i, perms)));
    if (!rows.length) tbody.append(h('tr', {}, h('td', { colspan: 9, class: 'muted' },
      'No models in this namespace yet. Use "New model".')));
  };
  // Shown once `can-i create` says yes.
  const newModel = h('a', { class: 'button', href: `#/ns/${ns}/new`, id: 'new-model', hidden: true }, 'New model');
  const note = h('p', { class: 'muted', id: 'permissions-note' });
  main.replaceChildren(
    h('div', { class: 'toolbar' }, h('h1', {}, `Models in ${ns}`), newModel), note,
    h('table', { 'aria-label': 'Models', id: 'models' },
      h('thead', {}, h('tr', {}, ...['Name', 'Status', 'Format', 'Protocol', 'Runtime',
        'Internal URL', 'External URL', 'Age', ''].map(c => h('th', { scope: 'col' }, c)))),
      tbody));
  listWatch(isvcsPath(ns),
    list => { items.clear(); list.forEach(i => items.set(i.metadata.name, i)); draw(); },
    ev => {
      if (ev.type === 'DELETED') items.delete(ev.object.metadata.name);
      else if (ev.type === 'ADDED' || ev.type === 'MODIFIED') items.set(ev.object.metadata.name, ev.object);
      draw();
    }, signal).catch(e => main.append(h('p', { class: 'error', role: 'alert', id: 'list-error' }, String(e.message))));
  Promise.all([canIsvc('create', ns), canIsvc('delete', ns), deniedText('change', ns)])
    .then(([create, del, why]) => {
      if (signal.aborted) return;
      newModel.hidden = !create;
      perms.delete = del;
      perms.why = why;
      note.textContent = create && del ? '' : why;
      draw();
    });
  const timer = setInterval(draw, 30000);  // ages only; data comes from the watch
  signal.addEventListener('abort', () => clearInterval(timer));
}
