// The Models dashboard: a hash router over three views (list, new, model page).
import { api, listWatch } from './api.js';
import { renderNew } from './new.js';
import { renderModel } from './model.js';

export const ISVC = '/apis/serving.kserve.io/v1beta1';
const main = document.getElementById('main');
const nsSelect = document.getElementById('ns');
let current = null;  // AbortController of the live view

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat(Infinity)) if (c !== null && c !== undefined) el.append(c);
  return el;
}

export function toast(msg) {
  const t = document.getElementById('toast');
  t.textContent = msg;
  setTimeout(() => { if (t.textContent === msg) t.textContent = ''; }, 3000);
}

export function copyButton(text, what) {
  return h('button', { class: 'secondary small', type: 'button', 'aria-label': `Copy ${what}`,
    onclick: async () => {
      try { await navigator.clipboard.writeText(text); toast(`Copied ${what}`); }
      catch { toast(`Copy failed: select the ${what} and copy it by hand`); }
    } }, 'Copy');
}

export function age(ts) {
  const s = Math.max(0, (Date.now() - Date.parse(ts)) / 1000);
  if (s < 120) return `${Math.floor(s)}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

// {state, text}: Ready / Loading (with the download progress) / FailedToLoad (with the cause).
export function modelState(isvc) {
  const st = isvc.status || {};
  const ready = (st.conditions || []).find(c => c.type === 'Ready');
  if (ready?.status === 'True') return { state: 'Ready', text: 'Ready' };
  const ms = st.modelStatus || {};
  if (ms.states?.targetModelState === 'FailedToLoad' || ms.lastFailureInfo) {
    const f = ms.lastFailureInfo || {};
    return { state: 'FailedToLoad', text: `FailedToLoad: ${f.reason || ''} ${f.message || ''}`.trim() };
  }
  return { state: 'Loading', text: `Loading${ready?.message ? ': ' + ready.message : ''}` };
}

export const ns = () => nsSelect.value || 'default';

async function loadNamespaces(want) {
  const r = await api('GET', '/api/v1/namespaces');
  const names = (r.json?.items || []).map(n => n.metadata.name).sort();
  if (!names.includes(want)) names.push(want);
  nsSelect.replaceChildren(...names.map(n => h('option', { value: n }, n)));
  nsSelect.value = want;
}

function renderList(signal) {
  const tbody = h('tbody');
  const items = new Map();
  const draw = () => {
    const rows = [...items.values()].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    tbody.replaceChildren(...rows.map(row));
    if (!rows.length) tbody.append(h('tr', {}, h('td', { colspan: 9, class: 'muted' },
      'No models in this namespace yet. Use "New model".')));
  };
  main.replaceChildren(
    h('div', { class: 'toolbar' }, h('h1', {}, `Models in ${ns()}`),
      h('a', { class: 'button', href: `#/ns/${ns()}/new`, id: 'new-model' }, 'New model')),
    h('table', { 'aria-label': 'Models', id: 'models' },
      h('thead', {}, h('tr', {}, ...['Name', 'Status', 'Format', 'Protocol', 'Runtime',
        'Internal URL', 'External URL', 'Age', ''].map(c => h('th', { scope: 'col' }, c)))),
      tbody));
  listWatch(`${ISVC}/namespaces/${ns()}/inferenceservices`,
    list => { items.clear(); list.forEach(i => items.set(i.metadata.name, i)); draw(); },
    ev => {
      if (ev.type === 'DELETED') items.delete(ev.object.metadata.name);
      else if (ev.type === 'ADDED' || ev.type === 'MODIFIED') items.set(ev.object.metadata.name, ev.object);
      draw();
    }, signal).catch(e => main.append(h('p', { class: 'error', role: 'alert' }, String(e.message))));
  const timer = setInterval(draw, 30000);  // ages only; data comes from the watch
  signal.addEventListener('abort', () => clearInterval(timer));
}

function urlCell(url, what) {
  return url ? h('td', { class: 'url' }, h('code', {}, url), ' ', copyButton(url, what))
    : h('td', { class: 'muted' }, '—');
}

function row(isvc) {
  const name = isvc.metadata.name;
  const m = isvc.spec?.predictor?.model || {};
  const st = modelState(isvc);
  return h('tr', { 'data-name': name },
    h('td', {}, h('a', { href: `#/ns/${ns()}/models/${name}` }, name)),
    h('td', { class: `status ${st.state}`, 'data-state': st.state }, st.text),
    h('td', {}, m.modelFormat?.name || ''),
    h('td', {}, m.protocolVersion || 'v1'),
    h('td', {}, isvc.status?.clusterServingRuntimeName || m.runtime || ''),
    urlCell(isvc.status?.address?.url, `internal URL of ${name}`),
    urlCell(isvc.status?.url, `external URL of ${name}`),
    h('td', {}, age(isvc.metadata.creationTimestamp)),
    h('td', {}, h('button', { class: 'danger small', type: 'button', 'aria-label': `Delete ${name}`,
      onclick: () => deleteModel(name) }, 'Delete')));
}

export async function deleteModel(name) {
  if (!confirm(`Delete the model ${name} in ${ns()}? This cannot be undone.`)) return false;
  const r = await api('DELETE', `${ISVC}/namespaces/${ns()}/inferenceservices/${name}`);
  toast(r.ok ? `Deleted ${name}` : `Delete failed: ${r.json?.message || r.status}`);
  return r.ok;
}

async function route() {
  current?.abort();
  current = new AbortController();
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  const want = parts[0] === 'ns' && parts[1] ? decodeURIComponent(parts[1])
    : localStorage.getItem('ferry.ns') || 'default';
  if (nsSelect.value !== want) await loadNamespaces(want);
  localStorage.setItem('ferry.ns', want);
  if (parts[2] === 'new') renderNew(main);
  else if (parts[2] === 'models' && parts[3]) renderModel(main, decodeURIComponent(parts[3]), current.signal);
  else renderList(current.signal);
  main.focus();
}

nsSelect.addEventListener('change', () => { location.hash = `#/ns/${nsSelect.value}`; });
window.addEventListener('hashchange', route);
api('GET', '/ferry/whoami').then(r => {
  if (r.ok) document.getElementById('who').textContent = r.json.user;
});
loadNamespaces(localStorage.getItem('ferry.ns') || 'default').then(route);
