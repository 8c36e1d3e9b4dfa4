// The dashboard's UI kit: building elements, tables, sections, copy buttons,
// the status toast and relative ages. No state and nothing runs on import.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat(Infinity)) if (c !== null && c !== undefined) el.append(c);
  return el;
}

export const section = (id, title, ...body) =>
  h('section', { 'aria-labelledby': id }, h('h2', { id }, title), ...body);

export function table(label, cols, rows) {
  if (!rows.length) return h('p', { class: 'muted' }, `No ${label.toLowerCase()}.`);
  return h('table', { 'aria-label': label },
    h('thead', {}, h('tr', {}, cols.map(c => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows.map(r => h('tr', {}, r.map(c => h('td', {}, c ?? ''))))));
}

// A short message in the page's status region (#toast), gone after 3 s.
export function toast(msg) {
  const t = document.getElementById('toast');
  if (!t) return;
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

// kubectl's age column: "42s", "5m", "3h", "2d".
export function age(ts) {
  const s = Math.max(0, (Date.now() - Date.parse(ts)) / 1000);
  if (s < 120) return `${Math.floor(s)}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}
