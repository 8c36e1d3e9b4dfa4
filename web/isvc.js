// InferenceServices as the dashboard sees them: where they live in the API,
// the state a status amounts to, and deleting one. Imports no view.
import { api } from './api.js';
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

// Asks first; true when the InferenceService was deleted.
export async function deleteModel(ns, name) {
  if (!confirm(`Delete the model ${name} in ${ns}? This cannot be undone.`)) return false;
  const r = await api('DELETE', isvcPath(ns, name));
  toast(r.ok ? `Deleted ${name}` : `Delete failed: ${r.json?.message || r.status}`);
  return r.ok;
}
