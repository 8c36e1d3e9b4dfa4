// The model page's Metrics tab: requests/s, p50/p99 latency and error rate
// over the last hour, drawn as SVG from GET .../inferenceservices/NAME/series
// (10-second buckets kept by the server), polled every 10 s until `signal`
// aborts. Imports no view.
import { api } from './api.js';
import { isvcPath } from './isvc.js';
import { h } from './ui.js';

const SVG = 'http://www.w3.org/2000/svg';
const W = 720, H = 160, PAD = { l: 56, r: 8, t: 10, b: 22 };

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  el.append(...children);
  return el;
}

const fmt = v => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toPrecision(2));

// One chart: `lines` = [{label, cls, values}] (null = no data in that bucket).
// The path breaks at nulls; the y axis starts at 0 and ends at the largest value.
function chart(id, title, unit, lines, bucketSeconds) {
  const n = Math.max(...lines.map(l => l.values.length));
  const max = Math.max(0, ...lines.flatMap(l => l.values.filter(v => v !== null)));
  const top = max > 0 ? max * 1.1 : 1;
  const x = i => PAD.l + (i * (W - PAD.l - PAD.r)) / Math.max(1, n - 1);
  const y = v => H - PAD.b - (v / top) * (H - PAD.t - PAD.b);
  const paths = lines.map(l => {
    let d = '', pen = false;
    l.values.forEach((v, i) => {
      if (v === null) { pen = false; return; }
      // A segment's first point gets a zero-length stroke, so a lone bucket shows as a dot.
      d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}${pen ? '' : 'l0.01,0'}`;
      pen = true;
    });
    return s('path', { d, class: `line ${l.cls}`, 'data-series': l.cls });
  });
  const minutes = Math.round((n * bucketSeconds) / 60);
  const grid = [0, 0.5, 1].map(f => s('g', {},
    s('line', { x1: PAD.l, x2: W - PAD.r, y1: y(top * f), y2: y(top * f), class: 'grid' }),
    s('text', { x: PAD.l - 6, y: y(top * f) + 4, 'text-anchor': 'end' }, fmt(top * f))));
  const labels = [[0, `-${minutes} min`], [0.5, `-${minutes / 2} min`], [1, 'now']].map(([f, t]) =>
    s('text', { x: PAD.l + f * (W - PAD.l - PAD.r), y: H - 6, 'text-anchor': f === 0 ? 'start' : f === 1 ? 'end' : 'middle' }, t));
  const last = lines.map(l => [...l.values].reverse().find(v => v !== null) ?? null);
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', id, class: 'chart',
    'aria-label': `${title} over the last ${minutes} minutes` +
      lines.map((l, i) => `; ${l.label} latest ${last[i] === null ? 'none' : fmt(last[i]) + ' ' + unit}`).join(''),
    'data-max': String(max) }, ...grid, ...labels, ...paths);
  const legend = h('p', { class: 'legend' }, lines.map((l, i) =>
    h('span', { class: `key ${l.cls}` }, `${l.label}: ${last[i] === null ? '—' : `${fmt(last[i])} ${unit}`}`)));
  return h('figure', {}, h('figcaption', {}, `${title} (${unit})`), svg, legend);
}

// The totals of the last `minutes` (text above the charts).
function summary(d, minutes) {
  const k = Math.min(d.requests.length, (minutes * 60) / d.bucketSeconds);
  const from = d.requests.length - k;
  const sum = a => a.slice(from).reduce((x, y) => x + y, 0);
  const req = sum(d.requests), err = sum(d.clientErrors) + sum(d.serverErrors);
  return `Last ${minutes} minutes: ${req} requests (${fmt(req / (k * d.bucketSeconds))}/s), ` +
    `${err} errors (${req ? fmt((100 * err) / req) : 0}%).`;
}

export function renderCharts(box, ns, name, signal) {
  const status = h('p', { id: 'charts-summary', 'aria-live': 'polite' }, 'Loading...');
  const figures = h('div', { id: 'charts', class: 'charts' });
  box.replaceChildren(status, figures,
    h('p', { class: 'muted' }, 'Inference requests only (V2 infer, V1 predict/explain, MLflow invocations; REST and gRPC), ' +
      'in 10-second buckets kept by the server for one hour; refreshed every 10 s while this page is open. ' +
      'Latency is server time, from request read to response ready.'));
  const load = async () => {
    const r = await api('GET', `${isvcPath(ns, name)}/series`);
    if (signal.aborted) return;
    if (!r.ok || !r.json) {
      status.textContent = `Charts unavailable: HTTP ${r.status} ${r.json?.message || r.text}`;
      status.dataset.status = String(r.status);
      return;
    }
    const d = r.json, b = d.bucketSeconds;
    const none = (v, i) => (d.requests[i] ? v : null);
    figures.replaceChildren(
      chart('chart-rps', 'Requests per second', 'req/s', [{ label: 'requests/s', cls: 'rps', values: d.requests.map(v => v / b) }], b),
      chart('chart-latency', 'Latency', 'ms', [
        { label: 'p50', cls: 'p50', values: d.p50Ms.map(none) },
        { label: 'p99', cls: 'p99', values: d.p99Ms.map(none) }], b),
      chart('chart-errors', 'Error rate', '%', [
        { label: '4xx', cls: 'e4xx', values: d.clientErrors.map((v, i) => none((100 * v) / d.requests[i], i)) },
        { label: '5xx', cls: 'e5xx', values: d.serverErrors.map((v, i) => none((100 * v) / d.requests[i], i)) }], b));
    status.textContent = summary(d, 5);
    status.dataset.status = '200';
    status.dataset.total = String(d.requests.reduce((x, y) => x + y, 0));
  };
  load();
  const timer = setInterval(load, 10000);
  signal.addEventListener('abort', () => clearInterval(timer));
  return load;
}
