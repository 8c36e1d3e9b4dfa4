// The Models dashboard's router: the namespace picker (only the namespaces
// the signed-in user can reach) and the hash routes #/ns/NS (list),
// #/ns/NS/new and #/ns/NS/models/NAME. Views get the namespace and an
// AbortSignal (aborted when the route changes) and never import this file.
import { reachableNamespaces, whoami } from './api.js';
import { renderList } from './list.js';
import { renderModel } from './model.js';
import { renderNew } from './new.js';
import { h } from './ui.js';

const main = document.getElementById('main');
const nsSelect = document.getElementById('ns');
let current = null;  // AbortController of the live view
let names = null;  // reachable namespaces, loaded once per page

// A namespace outside `names` (typed into the URL) is not offered: its view
// shows the API's answer (Forbidden).
function drawPicker(want) {
  const opts = names.map(n => h('option', { value: n }, n));
  if (!names.includes(want)) {
    opts.unshift(h('option', { value: '', disabled: true }, names.length ? 'Choose a namespace' : 'No namespace'));
  }
  nsSelect.replaceChildren(...opts);
  nsSelect.value = names.includes(want) ? want : '';
}

function noNamespace(main, user) {
  main.replaceChildren(h('h1', {}, 'No namespace yet'),
    h('p', { id: 'no-namespace' }, `${user || 'You'} can reach no namespace. As in Kubeflow, a ` +
      'namespace is a Profile you own, or one whose owner added you as a contributor: ask your ' +
      'administrator for a Profile, or a profile owner to add you.'));
}

async function route() {
  current?.abort();
  current = new AbortController();
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  names ||= await reachableNamespaces();
  const stored = localStorage.getItem('ferry.ns');
  const want = parts[0] === 'ns' && parts[1] ? decodeURIComponent(parts[1])
    : (names.includes(stored) ? stored : names[0]);
  drawPicker(want);
  if (!want) { noNamespace(main, (await whoami()).user); return; }
  if (names.includes(want)) localStorage.setItem('ferry.ns', want);
  const view = { ns: want, signal: current.signal };
  if (parts[2] === 'new') renderNew(main, view);
  else if (parts[2] === 'models' && parts[3]) renderModel(main, { ...view, name: decodeURIComponent(parts[3]) });
  else renderList(main, view);
  main.focus();
}

nsSelect.addEventListener('change', () => { location.hash = `#/ns/${nsSelect.value}`; });
window.addEventListener('hashchange', route);
whoami().then(me => {
  const who = document.getElementById('who');
  who.textContent = me.user;
  if (me.readOnly) who.after(h('span', { class: 'muted', id: 'read-only' }, 'read-only'));
});
route();
