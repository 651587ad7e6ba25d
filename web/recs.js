// recs.js — the recommendations panel: every GPU preset ranked by the core for the workload (a request with
// "recommend": true, made only while the panel is open), filtered by the request's recommend_* keys, with
// sortable columns. Sorting orders the core's rows; it computes nothing. Loaded when the panel opens.
import { count, gib, h, sig } from './render.js';

// [key, heading, cell text]
const COLS = [
  ['name', 'GPU', (x) => x.name],
  ['memory_gib', 'Memory (GiB)', (x) => String(x.memory_gib)],
  ['count', 'GPUs', (x) => count(x.count)],
  [null, 'Layout', (x) => `TP ${x.tp} × PP ${x.pp}${x.dp > 1 ? ` × DP ${x.dp}` : ''}`],
  ['max_concurrency', 'Max concurrency', (x) => count(x.max_concurrency)],
  ['headroom_bytes', 'Headroom (GiB)', (x) => gib(x.headroom_bytes)],
  ['tokens_per_second', 'Tokens/s per request', (x) => sig(x.tokens_per_second)],
  ['throughput_tokens_per_second', 'Throughput (tokens/s)', (x) => sig(x.throughput_tokens_per_second)],
];

/** Rows in the order `sort` names ("key" ascending, "-key" descending; missing values last), else the core's. */
export function sortRows(rows, sort) {
  if (!sort) return rows;
  const desc = sort.startsWith('-');
  const key = desc ? sort.slice(1) : sort;
  const ranked = rows.map((x, i) => [x, i]);
  ranked.sort(([a, i], [b, j]) => {
    const u = a[key];
    const v = b[key];
    const missU = u === null || u === undefined;
    const missV = v === null || v === undefined;
    if (missU || missV) return missU === missV ? i - j : missU ? 1 : -1;
    const c = typeof u === 'string' ? u.localeCompare(v) : u < v ? -1 : u > v ? 1 : 0;
    return (desc ? -c : c) || i - j;
  });
  return ranked.map(([x]) => x);
}

/**
 * @param {Object} r  the response of the recommend request
 * @param {{sort: string, onSort: (sort: string) => void, current: string}} ui  `current`: the chosen GPU id
 */
export function renderRecs(r, ui) {
  const rows = Array.isArray(r.recommendations) ? r.recommendations : [];
  if (!rows.length) {
    return h('p', { class: 'note', id: 'recs-empty' }, 'No GPU preset serves this workload (with these filters) within the layouts searched.');
  }
  const head = h('tr', null, h('th', { scope: 'col', class: 'num' }, 'Rank'), COLS.map(([key, label]) => {
    if (!key) return h('th', { scope: 'col' }, label);
    const dir = ui.sort === key ? 'ascending' : ui.sort === `-${key}` ? 'descending' : null;
    const b = h('button', { type: 'button', class: 'sort', 'data-sort': key }, label, dir ? (dir === 'ascending' ? ' ▲' : ' ▼') : '');
    b.addEventListener('click', () => ui.onSort(ui.sort === key ? `-${key}` : ui.sort === `-${key}` ? '' : key));
    return h('th', { scope: 'col', class: key === 'name' ? null : 'num', 'aria-sort': dir || 'none' }, b);
  }));
  const rank = new Map(rows.map((x, i) => [x, i + 1]));
  const body = sortRows(rows, ui.sort).map((x) => h('tr', { 'data-gpu': x.gpu, class: x.gpu === ui.current ? 'current' : null },
    h('td', { class: 'num' }, String(rank.get(x))),
    COLS.map(([key, , cell]) => (key === 'name'
      ? h('th', { scope: 'row', title: `${x.vendor}, ${x.market}` }, cell(x))
      : h('td', { class: key ? 'num' : null, 'data-key': key }, cell(x))))));
  return h('div', { class: 'table-wrap' }, h('table', { id: 'recs-table' },
    h('caption', null, `${count(rows.length)} GPU types, ranked by the core (fewest GPUs, then headroom). Headroom in GiB ` +
      '(1 GiB = 2', h('sup', null, '30'), ' bytes). Click a heading to sort.'),
    h('thead', null, head), h('tbody', null, body)));
}
