// The Models dashboard's router: the namespace picker and the hash routes
// #/ns/NS (list), #/ns/NS/new and #/ns/NS/models/NAME. Views get the
// namespace and an AbortSignal (aborted when the route changes) and never
// import this file.
import { api } from './api.js';
import { renderList } from './list.js';
import { renderModel } from './model.js';
import { renderNew } from './new.js';
import { h } from './ui.js';

const main = document.getElementById('main');
const nsSelect = document.getElementById('ns');
let current = null;  // AbortController of the live view

async function loadNamespaces(want) {
  const r = await api('GET', '/api/v1/namespaces');
  const names = (r.json?.items || []).map(n => n.metadata.name).sort();
  if (!names.includes(want)) names.push(want);
  nsSelect.replaceChildren(...names.map(n => h('option', { value: n }, n)));
  nsSelect.value = want;
}

async function route() {
  current?.abort();
  current = new AbortController();
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  const want = parts[0] === 'ns' && parts[1] ? decodeURIComponent(parts[1])
    : localStorage.getItem('ferry.ns') || 'default';
  if (nsSelect.value !== want) await loadNamespaces(want);
  localStorage.setItem('ferry.ns', want);
  const view = { ns: want, signal: current.signal };
  if (parts[2] === 'new') renderNew(main, view);
  else if (parts[2] === 'models' && parts[3]) renderModel(main, { ...view, name: decodeURIComponent(parts[3]) });
  else renderList(main, view);
  main.focus();
}

nsSelect.addEventListener('change', () => { location.hash = `#/ns/${nsSelect.value}`; });
window.addEventListener('hashchange', route);
api('GET', '/ferry/whoami').then(r => {
  if (r.ok) document.getElementById('who').textContent = r.json.user;
});
loadNamespaces(localStorage.getItem('ferry.ns') || 'default').then(route);
