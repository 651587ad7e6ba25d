// charts.js — line charts as inline SVG, built with DOM calls (no library, no markup strings), for the
// speed and context-length panels. Accessible: the SVG is role="img" with a <title> and a <desc>, the axes
// say their units, every point has a tooltip, and the same numbers follow in a data table.
//
// The chart places the core's numbers and computes none: positions are proportional to the values (x on a
// log scale when the points double, as context lengths and concurrencies do), and the axis ticks are round
// numbers of the axis unit.

const NS = 'http://www.w3.org/2000/svg';
const W = 560;
const H = 270;
const M = { l: 58, r: 24, t: 14, b: 46 };
let uid = 0;

function s(tag, attrs, ...text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v != null) el.setAttribute(k, String(v));
  for (const t of text) el.append(t instanceof Node ? t : document.createTextNode(String(t)));
  return el;
}

/** A round step for about `n` ticks up to `max` (1, 2 or 5 times a power of ten). */
function step(max, n) {
  const raw = max / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

/** Tokens as "32K" when a multiple of 1,024 (how context lengths are spoken of), else with separators. */
export function tokens(x) {
  return x >= 1024 && x % 1024 === 0 ? `${(x / 1024).toLocaleString('en-US')}K` : x.toLocaleString('en-US');
}

/**
 * A line chart in a <figure>, with a legend and a data table.
 * @param {Function} h  render.js h()
 * @param {Object} o
 * @param {string} o.id  @param {string} o.title  @param {string} o.desc
 * @param {string} o.xLabel  @param {string} o.yLabel  axis titles, with units
 * @param {number[]} o.xs  x values, ascending
 * @param {Array<{name: string, ys: Array<number|null>, cls: string, marks?: boolean[]}>} o.series
 *   `marks`: points drawn hollow (e.g. "does not fit")
 * @param {Array<{name: string, y: number, cls: string}>} [o.refs]  horizontal reference lines
 * @param {(x: number) => string} o.fmtX  @param {(y: number) => string} o.fmtY  ticks, tooltips, table
 * @param {number} [o.unit]  the y unit in raw values (2^30 for bytes shown as GiB): ticks at round units,
 *   labelled in that unit
 * @param {string} [o.markNote]  what a hollow point means
 */
export function lineChart(h, o) {
  const n = ++uid;
  const all = [...o.series.flatMap((x) => x.ys), ...(o.refs || []).map((r) => r.y)].filter((v) => typeof v === 'number' && Number.isFinite(v));
  const unit = o.unit || 1;
  const top = Math.max(...all, 0) / unit;
  const dy = top > 0 ? step(top, 4) : 1;
  const ymax = Math.max(dy, Math.ceil(top / dy) * dy);
  const pw = W - M.l - M.r;
  const ph = H - M.t - M.b;
  const lo = Math.log(o.xs[0]);
  const span = Math.log(o.xs[o.xs.length - 1]) - lo;
  const px = (x) => M.l + (span > 0 ? ((Math.log(x) - lo) / span) * pw : pw / 2);
  const py = (y) => M.t + ph - (y / unit / ymax) * ph;
  const fx = (v) => v.toFixed(1);

  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': `ch${n}t ch${n}d`, class: 'chart', id: o.id });
  svg.append(s('title', { id: `ch${n}t` }, o.title), s('desc', { id: `ch${n}d` }, o.desc));
  const grid = s('g', { class: 'grid', 'aria-hidden': 'true' });
  for (let t = 0; t <= ymax + dy / 2; t += dy) {
    const y = fx(py(t * unit));
    grid.append(s('line', { x1: M.l, x2: W - M.r, y1: y, y2: y }),
      s('text', { x: M.l - 6, y, class: 'ty' }, unit === 1 ? o.fmtY(t) : t.toLocaleString('en-US')));
  }
  const every = Math.ceil(o.xs.length / 8);
  o.xs.forEach((x, i) => {
    if (i % every && i !== o.xs.length - 1) return;
    grid.append(s('line', { x1: fx(px(x)), x2: fx(px(x)), y1: M.t + ph, y2: M.t + ph + 4 }),
      s('text', { x: fx(px(x)), y: M.t + ph + 17, class: 'tx' }, o.fmtX(x)));
  });
  grid.append(s('text', { x: M.l + pw / 2, y: H - 6, class: 'axis' }, o.xLabel),
    s('text', { x: 12, y: M.t + ph / 2, class: 'axis', transform: `rotate(-90 12 ${M.t + ph / 2})` }, o.yLabel),
    s('line', { x1: M.l, x2: W - M.r, y1: M.t + ph, y2: M.t + ph, class: 'base' }));
  svg.append(grid);
  for (const r of o.refs || []) {
    const y = fx(py(r.y));
    svg.append(s('line', { x1: M.l, x2: W - M.r, y1: y, y2: y, class: `ref ${r.cls}` }, s('title', null, `${r.name}: ${o.fmtY(r.y)}`)));
  }
  for (const ser of o.series) {
    const pts = o.xs.map((x, i) => [x, ser.ys[i], ser.marks && ser.marks[i]]).filter(([, y]) => typeof y === 'number');
    svg.append(s('polyline', { class: `line ${ser.cls}`, points: pts.map(([x, y]) => `${fx(px(x))},${fx(py(y))}`).join(' ') }));
    const g = s('g', { class: `pts ${ser.cls}` });
    for (const [x, y, hollow] of pts) {
      g.append(s('circle', { cx: fx(px(x)), cy: fx(py(y)), r: 3.5, class: hollow ? 'hollow' : null },
        s('title', null, `${ser.name} at ${o.fmtX(x)}: ${o.fmtY(y)}`)));
    }
    svg.append(g);
  }

  const legend = h('ul', { class: 'legend' }, [...o.series, ...(o.refs || [])].map((x) =>
    h('li', null, h('span', { class: `swatch ${x.cls}${'y' in x ? ' dash' : ''}`, 'aria-hidden': 'true' }), x.name)),
  o.markNote ? h('li', null, h('span', { class: 'swatch hollow', 'aria-hidden': 'true' }), o.markNote) : null);
  const table = h('table', { class: 'data' },
    h('caption', null, `${o.title} (data)`),
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, o.xLabel), o.series.map((x) => h('th', { scope: 'col', class: 'num' }, `${x.name} (${o.yLabel})`)))),
    h('tbody', null, o.xs.map((x, i) => h('tr', null, h('th', { scope: 'row' }, o.fmtX(x)),
      o.series.map((ser) => h('td', { class: 'num' }, typeof ser.ys[i] === 'number'
        ? `${o.fmtY(ser.ys[i])}${ser.marks && ser.marks[i] ? ` (${o.markNote})` : ''}` : '–'))))));
  return h('figure', { class: 'chart-box' }, h('figcaption', null, o.title), svg, legend,
    h('details', null, h('summary', null, 'Data table'), h('div', { class: 'table-wrap' }, table)));
}

/**
 * Points (x, y) per series on linear axes from 0, joined in order, with vertical reference lines: the
 * recommendations' tokens/s per GPU against tokens/s per user. A legend and a data table follow.
 * @param {Function} h  render.js h()
 * @param {{id: string, title: string, desc: string, xLabel: string, yLabel: string,
 *   series: Array<{name: string, cls: string, pts: Array<{x: number, y: number, label: string}>}>,
 *   vrefs?: Array<{name: string, x: number, cls: string}>, fmt: (v: number) => string}} o
 */
export function xyChart(h, o) {
  const n = ++uid;
  const pts = o.series.flatMap((x) => x.pts);
  const axis = (vals) => { const t = Math.max(...vals, 0); const d = t > 0 ? step(t, 4) : 1; return [d, Math.max(d, Math.ceil(t / d) * d)]; };
  const [dx, xmax] = axis([...pts.map((p) => p.x), ...(o.vrefs || []).map((r) => r.x)]);
  const [dy, ymax] = axis(pts.map((p) => p.y));
  const pw = W - M.l - M.r;
  const ph = H - M.t - M.b;
  const px = (x) => (M.l + (x / xmax) * pw).toFixed(1);
  const py = (y) => (M.t + ph - (y / ymax) * ph).toFixed(1);
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': `ch${n}t ch${n}d`, class: 'chart', id: o.id });
  svg.append(s('title', { id: `ch${n}t` }, o.title), s('desc', { id: `ch${n}d` }, o.desc));
  const grid = s('g', { class: 'grid', 'aria-hidden': 'true' });
  for (let t = 0; t <= ymax + dy / 2; t += dy) grid.append(s('line', { x1: M.l, x2: W - M.r, y1: py(t), y2: py(t) }), s('text', { x: M.l - 6, y: py(t), class: 'ty' }, o.fmt(t)));
  for (let t = 0; t <= xmax + dx / 2; t += dx) grid.append(s('text', { x: px(t), y: M.t + ph + 17, class: 'tx' }, o.fmt(t)));
  grid.append(s('text', { x: M.l + pw / 2, y: H - 6, class: 'axis' }, o.xLabel),
    s('text', { x: 12, y: M.t + ph / 2, class: 'axis', transform: `rotate(-90 12 ${M.t + ph / 2})` }, o.yLabel),
    s('line', { x1: M.l, x2: W - M.r, y1: M.t + ph, y2: M.t + ph, class: 'base' }));
  svg.append(grid);
  for (const r of o.vrefs || []) svg.append(s('line', { x1: px(r.x), x2: px(r.x), y1: M.t, y2: M.t + ph, class: `ref ${r.cls}` }, s('title', null, r.name)));
  for (const ser of o.series) {
    svg.append(s('polyline', { class: `line ${ser.cls}`, points: ser.pts.map((p) => `${px(p.x)},${py(p.y)}`).join(' ') }));
    svg.append(s('g', { class: `pts ${ser.cls}` }, ...ser.pts.map((p) => s('circle', { cx: px(p.x), cy: py(p.y), r: 3.5 },
      s('title', null, `${ser.name}, ${p.label}: ${o.fmt(p.x)} per user, ${o.fmt(p.y)} per GPU`)))));
  }
  const legend = h('ul', { class: 'legend' }, [...o.series, ...(o.vrefs || [])].map((x) =>
    h('li', null, h('span', { class: `swatch ${x.cls}${'x' in x ? ' dash' : ''}`, 'aria-hidden': 'true' }), x.name)));
  const table = h('table', { class: 'data' }, h('caption', null, `${o.title} (data)`),
    h('thead', null, h('tr', null, ['', 'At once', o.xLabel, o.yLabel].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', null, o.series.flatMap((ser) => ser.pts.map((p) => h('tr', null, h('th', { scope: 'row' }, ser.name),
      h('td', { class: 'num' }, p.label), h('td', { class: 'num' }, o.fmt(p.x)), h('td', { class: 'num' }, o.fmt(p.y)))))));
  return h('figure', { class: 'chart-box', id: `${o.id}-box` }, h('figcaption', null, o.title), svg, legend,
    h('details', null, h('summary', null, 'Data table'), h('div', { class: 'data-wrap' }, table)));
}
