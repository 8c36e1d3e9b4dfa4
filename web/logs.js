// The model page's Logs tab: the pod logs `kubectl logs POD -c CONTAINER [-f]`
// shows — the storage-initializer's download and the kserve-container's model
// server — read from the Kubernetes API as the signed-in user
// (GET /api/v1/namespaces/NS/pods/POD/log, follow=true streams new lines).
// The stream ends when `signal` aborts or the choice changes. Imports no view.
import { api } from './api.js';
import { h } from './ui.js';

const CONTAINERS = ['kserve-container', 'storage-initializer'];

export function renderLogs(box, ns, name, signal) {
  const pod = h('select', { id: 'logs-pod' });
  const container = h('select', { id: 'logs-container' },
    CONTAINERS.map(c => h('option', { value: c }, c)));
  const follow = h('input', { type: 'checkbox', id: 'logs-follow', checked: true });
  const pre = h('pre', { id: 'pod-logs', 'aria-label': 'Pod log', 'aria-live': 'off', tabindex: '0' });
  const note = h('p', { class: 'muted', id: 'logs-command' });
  let stream = null;  // AbortController of the current request

  const show = async () => {
    stream?.abort();
    stream = new AbortController();
    const mine = stream;
    if (!pod.value) { pre.textContent = 'No pod yet: the model has not started a revision.'; return; }
    const q = `container=${container.value}&tailLines=1000${follow.checked ? '&follow=true' : ''}`;
    note.textContent = `Same as: kubectl logs ${pod.value} -n ${ns} -c ${container.value}${follow.checked ? ' -f' : ''}`;
    pre.textContent = '';
    delete pre.dataset.status;
    try {
      const res = await fetch(`/api/v1/namespaces/${ns}/pods/${pod.value}/log?${q}`,
        { credentials: 'same-origin', signal: mine.signal });
      pre.dataset.status = String(res.status);
      if (!res.ok) {
        const t = await res.text();
        let msg = t;
        try { msg = JSON.parse(t).message || t; } catch { /* text */ }
        pre.textContent = `Logs unavailable: HTTP ${res.status} ${msg}`;
        return;
      }
      const reader = res.body.getReader();
      const dec = new TextDecoder();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
        pre.append(dec.decode(value, { stream: true }));
        if (atEnd) pre.scrollTop = pre.scrollHeight;  // keep following unless the user scrolled up
      }
      if (!pre.textContent) pre.textContent = 'No log lines yet.';
    } catch (e) {
      if (!mine.signal.aborted) pre.append(`\n(log stream ended: ${e.message})`);
    }
  };

  // The InferenceService's pods, newest first (one per loaded revision).
  const loadPods = async () => {
    const sel = encodeURIComponent(`serving.kserve.io/inferenceservice=${name}`);
    const r = await api('GET', `/api/v1/namespaces/${ns}/pods?labelSelector=${sel}`);
    if (signal.aborted) return;
    if (!r.ok) {
      pre.textContent = `Pods unavailable: HTTP ${r.status} ${r.json?.message || r.text}`;
      pre.dataset.status = String(r.status);
      return;
    }
    const items = (r.json.items || []).sort((a, b) =>
      (b.metadata.creationTimestamp || '').localeCompare(a.metadata.creationTimestamp || ''));
    const names = items.map(p => p.metadata.name);
    if (names.join() === [...pod.options].map(o => o.value).join()) return;
    const keep = names.includes(pod.value) ? pod.value : names[0] || '';
    pod.replaceChildren(...names.map(n => h('option', { value: n }, n)));
    pod.value = keep;
    show();
  };

  for (const el of [pod, container, follow]) el.addEventListener('change', show);
  box.replaceChildren(
    h('div', { class: 'logs-controls' },
      h('label', { for: 'logs-pod' }, 'Pod'), pod,
      h('label', { for: 'logs-container' }, 'Container'), container,
      h('label', { for: 'logs-follow', class: 'inline' }, follow, ' Follow')),
    note, pre);
  signal.addEventListener('abort', () => stream?.abort());
  return loadPods;
}
