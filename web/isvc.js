// InferenceServices as the dashboard sees them: where they live in the API,
// the state a status amounts to, and deleting one. Imports no view.
import { api, canI, whoami } from './api.js';
import { toast } from './ui.js';

export const ISVC = '/apis/serving.kserve.io/v1beta1';

export const isvcsPath = ns => `${ISVC}/namespaces/${ns}/inferenceservices`;
export const isvcPath = (ns, name) => `${isvcsPath(ns)}/${name}`;

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

// Whether the signed-in user may VERB InferenceServices (or NAME) in NS.
export const canIsvc = (verb, ns, name) => canI(verb, 'serving.kserve.io', 'inferenceservices', ns, name);

// Why a control is disabled: the user's permissions, or a read-only dashboard.
export async function deniedText(verb, ns) {
  const who = await whoami();
  return who.readOnly
    ? 'This dashboard (on the external gateway) only reads: make changes from the dashboard on the API port or with kubectl.'
    : `${who.user || 'You'} may not ${verb} InferenceServices in ${ns} (RBAC: ask the namespace's owner to add you as a contributor with edit).`;
}

// Asks first; true when the InferenceService was deleted.
export async function deleteModel(ns, name) {
  if (!confirm(`Delete the model ${name} in ${ns}? This cannot be undone.`)) return false;
  const r = await api('DELETE', isvcPath(ns, name));
  toast(r.ok ? `Deleted ${name}` : `Delete failed: ${r.json?.message || r.status}`);
  return r.ok;
}
