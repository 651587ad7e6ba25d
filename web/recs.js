// recs.js — the recommendations panel: every GPU preset ranked by the core for the workload (a request with
// "recommend": true, made only while the panel is open), filtered by the request's recommend_* keys, with
// sortable columns. Sorting orders the core's rows; it computes nothing. Loaded when the panel opens.
import { xyChart } from './charts.js';
import { count, gib, h, sequences, sig } from './render.js';

/**
 * A GPU's name as a column fits it: the catalogue's name without its parenthetical remarks and brand words
 * ("B200 (HGX/DGX B200, SXM)" -> "B200", "GeForce RTX 4090 24GB" -> "RTX 4090 24GB"). The full name stays in the
 * cell's title. Text only: the catalogue has no short name yet.
 */
export function shortName(name) {
  const s = String(name).replace(/\s*\([^)]*\)/g, '').replace(/\b(GeForce|Instinct|Cloud|Workstation Edition|Generation)\s+/g, '')
    .replace(/\s+(Workstation Edition|Generation)\b/g, '').replace(/\s{2,}/g, ' ').trim();
  return s || String(name);
}

// [sort key, heading, cell text, class]: the columns people compare first come first (GPUs x GPU, layout,
// concurrency, tokens/s, headroom); numbers right-aligned.
const BASE_COLS = [
  ['count', 'GPUs × GPU', (x) => `${count(x.count)} × ${shortName(x.name)}`, 'gpu'],
  [null, 'Layout', (x) => `TP ${x.tp} × PP ${x.pp}${x.dp > 1 ? ` × DP ${x.dp}` : ''}${x.nodes > 1 ? ` · ${x.nodes} nodes` : ''}`, 'layout'],
  ['max_concurrency', 'Max concurrency', (x) => sequences(x.max_concurrency), 'num'],
  ['tokens_per_second', 'Tokens/s per request', (x) => sig(x.tokens_per_second), 'num'],
  ['headroom_bytes', 'Headroom GiB', (x) => gib(x.headroom_bytes), 'num'],
  ['throughput_tokens_per_second', 'Throughput tokens/s', (x) => sig(x.throughput_tokens_per_second), 'num'],
  ['throughput_tokens_per_second_per_gpu', 'Tokens/s per GPU', (x) => sig(x.throughput_tokens_per_second_per_gpu), 'num'],
  ['memory_gib', 'GiB per GPU', (x) => String(x.memory_gib), 'num'],
];
// Shown only when the request set a latency target or a price (the core then fills them).
const TARGET_COL = ['concurrency_at_target', 'Users at target', (x) => (x.concurrency_at_target ? count(x.concurrency_at_target) : '—'), 'num'];
const COST_COL = ['cost_per_million_output_tokens_usd', 'USD per M output tokens',
  (x) => (x.cost_per_million_output_tokens_usd === undefined ? '—' : `$${sig(x.cost_per_million_output_tokens_usd)}`), 'num'];

/** Tokens/s per GPU against tokens/s per user for the top layouts (the core's curves), the TPOT target drawn. */
function tradeoffChart(rows, tpotMs) {
  const top = rows.filter((x) => Array.isArray(x.curve) && x.curve.length);
  if (!top.length) return null;
  const layout = (x) => `${count(x.count)} × ${shortName(x.name)}, TP ${x.tp} × PP ${x.pp}${x.dp > 1 ? ` × DP ${x.dp}` : ''}`;
  return xyChart(h, {
    id: 'chart-recs', title: 'Tokens/s per GPU vs tokens/s per user', fmt: sig,
    desc: `For the first ${top.length} recommendations, from one user at a time to as many as the KV cache holds: more users ` +
      'raise the tokens each GPU makes and lower what each user sees.',
    xLabel: 'tokens/s per user', yLabel: 'tokens/s per GPU',
    series: top.map((x, i) => ({ name: layout(x), cls: ['c-a', 'c-b', 'c-cap'][i],
      pts: x.curve.map((p) => ({ x: p.tokens_per_second_per_user, y: p.tokens_per_second_per_gpu, label: `${count(p.concurrency)} at once` })) })),
    vrefs: tpotMs > 0 ? [{ name: `target: ${sig(tpotMs)} ms per token = ${sig(1000 / tpotMs)} tokens/s per user`, x: 1000 / tpotMs, cls: 'c-ref' }] : [],
  });
}

/** The GPUs the engine does not run on (or that no layout serves), folded, each with the core's reason. */
function excludedList(r) {
  const rows = Array.isArray(r.recommendations_excluded) ? r.recommendations_excluded : [];
  if (!rows.length) return null;
  return h('details', { id: 'recs-excluded' }, h('summary', null, `${count(rows.length)} GPU types left out, and why`),
    h('ul', null, rows.map((x) => h('li', { 'data-gpu': x.gpu }, h('strong', null, shortName(x.name)), `: ${x.reason}`))));
}

/** The core's launch commands (one per node) for the first three recommendations, folded. */
function launchList(rows) {
  const top = rows.filter((x) => Array.isArray(x.launch_commands) && x.launch_commands.length).slice(0, 3);
  if (!top.length) return null;
  return h('details', { id: 'recs-launch' }, h('summary', null, 'Launch commands of the top three, one per node'),
    top.map((x) => h('div', { 'data-gpu': x.gpu }, h('p', null, h('strong', null, shortName(x.name)),
      ` × ${count(x.gpus)}${x.nodes > 1 ? ` on ${count(x.nodes)} nodes` : ''}`),
    x.launch_commands.map((c) => h('div', null, h('span', { class: 'note' }, `node ${c.node} (${c.role})`),
      h('pre', null, h('code', null, c.command)))))));
}

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
 * @param {{sort: string, onSort: (sort: string) => void, current: string, tpotMs?: number}} ui  `current`: the chosen GPU
 *   id; `tpotMs`: the request's target_tpot_ms (drawn on the chart)
 */
export function renderRecs(r, ui) {
  const rows = Array.isArray(r.recommendations) ? r.recommendations : [];
  if (!rows.length) {
    return h('div', null, h('p', { class: 'note', id: 'recs-empty' }, 'No GPU preset serves this workload (with these filters) within the layouts searched.'),
      excludedList(r));
  }
  const COLS = [...BASE_COLS, ...(rows.some((x) => 'concurrency_at_target' in x) ? [TARGET_COL] : []),
    ...(rows.some((x) => 'cost_per_million_output_tokens_usd' in x) ? [COST_COL] : [])];
  const next = (key) => (ui.sort === key ? `-${key}` : ui.sort === `-${key}` ? '' : key);
  const head = h('tr', null, h('th', { scope: 'col', class: 'num' }, '#'), COLS.map(([key, label, , cls]) => {
    if (!key) return h('th', { scope: 'col', class: cls }, label);
    const dir = ui.sort === key ? 'ascending' : ui.sort === `-${key}` ? 'descending' : null;
    const b = h('button', { type: 'button', class: 'sort', 'data-sort': key }, label, dir ? (dir === 'ascending' ? ' ▲' : ' ▼') : '');
    b.addEventListener('click', () => ui.onSort(next(key)));
    return h('th', { scope: 'col', class: cls, 'aria-sort': dir || 'none' }, b);
  }));
  const rank = new Map(rows.map((x, i) => [x, i + 1]));
  const body = sortRows(rows, ui.sort).map((x) => h('tr', { 'data-gpu': x.gpu, class: x.gpu === ui.current ? 'current' : null },
    h('td', { class: 'num rank', 'data-label': '#' }, String(rank.get(x))),
    COLS.map(([key, label, cell, cls]) => (cls === 'gpu'
      ? h('th', { scope: 'row', class: cls, title: `${x.name} (${x.vendor}, ${x.market})` }, cell(x))
      : h('td', { class: cls, 'data-key': key, 'data-label': label }, cell(x))))));
  // Phones show each GPU as a card (no header row): sorting is a picker there.
  const sortPick = h('select', { id: 'recs-sort', class: 'phone-only' },
    h('option', { value: '' }, 'the core’s ranking'),
    COLS.filter(([key]) => key).flatMap(([key, label]) => [h('option', { value: `-${key}` }, `${label}, highest first`),
      h('option', { value: key }, `${label}, lowest first`)]));
  sortPick.value = ui.sort || '';
  sortPick.addEventListener('change', () => ui.onSort(sortPick.value));
  return h('div', null,
    h('p', { class: 'note', id: 'recs-about' }, `${count(rows.length)} GPU types the engine runs on, ranked by the core (fewest nodes, ` +
      'then fewest GPUs, then tokens/s per GPU, at the latency target when one is set; # is the rank). Tensor parallel stays inside ' +
      'a node. Headroom in GiB (1 GiB = 2', h('sup', null, '30'), ' bytes). Click a heading to sort.'),
    h('p', { class: 'phone-only recs-sort' }, h('label', { for: 'recs-sort' }, 'Sort by'), sortPick),
    h('div', { class: 'table-wrap' }, h('table', { id: 'recs-table', class: 'recs', 'aria-describedby': 'recs-about' },
      h('thead', null, head), h('tbody', null, body))),
    tradeoffChart(rows, ui.tpotMs), launchList(rows), excludedList(r));
}
