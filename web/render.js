// render.js — turns the core's response into DOM. Formatting only: every number shown is a number the core
// returned; the one conversion is bytes -> GiB (2^30 bytes) for display, rounded exactly as the CLI's printf
// ("%.2f") rounds. Text always goes in through text nodes (h() below), never through innerHTML, so strings from
// a config.json (architecture names, model types) can never become markup.
//
// This file renders what every estimate shows (summary, verdict, bars, table, engine output, reverse solves);
// panels that start closed (speed, charts, recommendations) and the fine-tuning view are their own modules,
// loaded when first needed. A top-level section no module knows is still shown, as a generic table
// (renderGeneric), so new core output lights up.

const GIB = 1n << 30n;

/**
 * Bytes as GiB with two decimals, rounded half-to-even on the exact value as C's printf("%.2f", b / 2^30) does,
 * so the page and the CLI's table print the same digits.
 * @param {number} bytes  an integer (the core's *_bytes)
 */
export function gib(bytes) {
  if (typeof bytes !== 'number' || !Number.isFinite(bytes)) return '–';
  if (!Number.isSafeInteger(bytes)) return (bytes / 2 ** 30).toFixed(2);
  let b = BigInt(bytes);
  const neg = b < 0n;
  if (neg) b = -b;
  const scaled = b * 100n;
  let q = scaled / GIB;
  const r2 = (scaled % GIB) * 2n;
  if (r2 > GIB || (r2 === GIB && (q & 1n) === 1n)) q += 1n;
  const digits = q.toString().padStart(3, '0');
  return `${neg ? '-' : ''}${digits.slice(0, -2)}.${digits.slice(-2)}`;
}

/** |bytes| as GiB (for "short by …"). */
export function gibMagnitude(bytes) {
  return gib(bytes).replace(/^-/, '');
}

/** An integer with thousands separators: 7,615,616,512. */
export function count(n) {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '–';
  return n.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

const compactFmt = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 2 });
/** 7.62B */
export function compact(n) {
  return typeof n === 'number' && Number.isFinite(n) ? compactFmt.format(n) : '–';
}

/**
 * Creates an element. `props`: class, id, title, text-free attributes (data-*, aria-*, role, for, …) and `style`
 * as an object of CSSOM properties. Children: nodes, strings (as text), arrays, null/false (skipped).
 * Event-handler attributes are refused.
 * @returns {HTMLElement}
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (/^on/i.test(k)) throw new Error(`h(): refusing event attribute ${k}`);
    if (k === 'style') Object.assign(el.style, v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** A GiB figure with the exact bytes in data-bytes and the tooltip. */
function bytesCell(tag, bytes, extra = {}) {
  return h(tag, { class: 'num', 'data-bytes': String(bytes), title: `${count(bytes)} bytes`, ...extra }, gib(bytes));
}

// ---------------------------------------------------------------------------------------------------------
// Model summary
// ---------------------------------------------------------------------------------------------------------

function dl(rows) {
  return h('dl', { class: 'kv' }, rows.filter(Boolean).map(([k, v, key]) => [h('dt', null, k), h('dd', { 'data-key': key }, v)]));
}

/** Where the parameter count comes from, in words. */
function parametersSource(r) {
  if (r.model.parameters_source === 'safetensors') return 'exact, from the Hub';
  return r.gguf ? 'counted from the GGUF file’s tensors' : 'counted from config.json';
}

/** The weights' precision; the checkpoint's quantisation only when it says something else. */
function weightsText(p, m) {
  const q = m.quantization;
  return !q || q === p.weights ? p.weights : `${p.weights}; the checkpoint is ${q}`;
}

export function renderSummary(r) {
  const m = r.model;
  const p = r.precision || {};
  const enc = m.kind === 'encoder' && m.encoder;
  const rows = [
    ['Architecture', `${m.architecture} (${m.model_type}${m.family && m.family !== m.model_type ? `, ${m.family}` : ''})`, 'architecture'],
    ['Kind', enc ? `encoder: ${enc.head.replace(/_/g, ' ')} head, one forward per text of up to ${count(enc.max_sequence)} tokens, no KV cache`
      : (m.kind || 'decoder'), 'kind'],
    ['Parameters', `${compact(m.parameters)} (${count(m.parameters)}; ${parametersSource(r)})`, 'parameters'],
    m.active_parameters !== m.parameters_from_config && ['Active per token', `${compact(m.active_parameters)} (${count(m.active_parameters)})`, 'active_parameters'],
    ['Layers', count(m.num_hidden_layers), 'num_hidden_layers'],
    ['Hidden size', count(m.hidden_size), 'hidden_size'],
    ['Heads / KV heads', `${count(m.num_attention_heads)} / ${count(m.num_key_value_heads)}`, 'heads'],
    ['Head dim', count(m.head_dim), 'head_dim'],
    ['Attention', m.attention, 'attention'],
    ['Max context', m.max_position_embeddings > 0 ? `${count(m.max_position_embeddings)} tokens`
      : `not given (${r.gguf ? 'the GGUF header' : 'config.json'} has no max_position_embeddings)`, 'max_position_embeddings'],
    m.sliding_window_layers > 0 && ['Sliding window', `${count(m.sliding_window)} tokens on ${count(m.sliding_window_layers)} layers`, 'sliding_window'],
    m.moe && ['Experts', `${count(m.moe.experts)} routed, ${count(m.moe.experts_per_token)} per token${m.moe.shared_experts ? `, ${count(m.moe.shared_experts)} shared` : ''}`, 'moe'],
    m.mla && ['MLA', `KV LoRA rank ${count(m.mla.kv_lora_rank)}, RoPE head dim ${count(m.mla.qk_rope_head_dim)}`, 'mla'],
    m.vision && ['Vision tower', `${m.vision.family}${m.vision.exact ? '' : ' (generic ViT estimate)'}: ${compact(m.vision.tower_parameters + m.vision.projector_parameters)} with its projector; ${r.workload.images.tokens_per_image} tokens per ${r.workload.images.image_size} image`, 'vision'],
    ['Weights', weightsText(p, m), 'weights_precision'],
    ['KV cache', enc ? 'none (encoder)' : p.kv_cache, 'kv_precision'],
  ];
  return h('div', null, h('h2', { id: 'model-title' }, m.id || m.architecture), dl(rows),
    m.vision_note ? h('p', { class: 'note' }, m.vision_note) : null);
}

// ---------------------------------------------------------------------------------------------------------
// Verdict: fits, GPUs needed, concurrency, deployment
// ---------------------------------------------------------------------------------------------------------

/** Sequences at once as a whole number: a fraction of a sequence is not served (vLLM's log keeps its own). */
export function sequences(x) {
  return typeof x === 'number' && Number.isFinite(x) ? count(Math.floor(x)) : '–';
}

/** "on each GPU" / "on the tightest GPU (stage 1)" / nothing for one GPU. */
function where(r) {
  const stages = r.memory && r.memory.per_gpu ? r.memory.per_gpu.length : 1;
  if (r.layout.gpus <= 1) return '';
  return stages > 1 ? ` on the tightest GPU (stage ${r.memory.binding_stage})` : ' on each GPU';
}

// "How sure": the core's bands (r.bands, keyed by the dotted path of the figure) and its verdict on them.
const VERDICTS = { fits: ['Fits', 'fits'], 'may not fit': ['May not fit', 'maybe'], 'does not fit': ['Does not fit', 'nofit'] };

/** [label, class] of the core's verdict on the band; the plain fit when a response has none. */
export function verdictOf(r, fits) {
  return VERDICTS[r.how_sure && r.how_sure.verdict] || VERDICTS[fits ? 'fits' : 'does not fit'];
}

/** The core's [low, high] for a figure, or null. */
export function band(r, path) {
  const b = r.bands && r.bands[path];
  return Array.isArray(b) && b.length === 2 && b[1] > 0 ? b : null;
}

/** " (13.90–14.47 GiB)" beside a GiB figure; " (exact)" for one read from the checkpoint. */
export function gibBand(r, path) {
  const f = r.how_sure && r.how_sure.figures && r.how_sure.figures[path];
  if (f && f.exact) return ' (exact)';
  const b = band(r, path);
  return b ? ` (${gib(b[0])}–${gib(b[1])} GiB)` : '';
}

/** " (21.1–29.4 ms)" beside a duration. */
export function durationBand(r, path) {
  const b = band(r, path);
  return b ? ` (${duration(b[0])}–${duration(b[1])})` : '';
}

/** The "How sure" note: where the case stands against the measurements, one line per figure (of one view). */
export function howSure(r, prefix = '') {
  const hs = r.how_sure;
  if (!hs || !Array.isArray(hs.notes)) return null;
  const notes = hs.notes.filter((n) => n.startsWith(prefix));
  return h('details', { class: 'how-sure', id: 'how-sure' },
    h('summary', null, `How sure: ranges are 5–95 % of measured errors; ${hs.inside_envelope ? 'inside' : 'partly outside'} the measured envelope`),
    h('ul', { class: 'note' }, notes.map((n) => h('li', null, n))));
}

/** "; 3 at the high end of the memory band" when that differs from the estimate's GPUs needed. */
function gpusHigh(r) {
  const hi = r.how_sure && r.how_sure.gpus_needed_at_high_end;
  if (typeof hi !== 'number' || hi === r.serving.gpus_needed) return '';
  return `; ${hi > 0 ? count(hi) : 'none found'} at the high end of the memory band`;
}

export function renderVerdict(r) {
  const s = r.serving;
  const l = r.layout;
  const w = r.workload;
  const fits = s.fits === true;
  const [label, cls] = verdictOf(r, fits);
  const conc = band(r, 'serving.max_concurrency');
  const concRange = conc && Math.floor(conc[0]) !== Math.floor(conc[1]) ? ` (${sequences(conc[0])}–${sequences(conc[1])})` : '';
  const margin = fits
    ? [h('strong', { 'data-bytes': String(s.margin_bytes), id: 'margin' }, `${gib(s.margin_bytes)} GiB`), ` to spare${where(r)}`]
    : ['short by ', h('strong', { 'data-bytes': String(s.margin_bytes), id: 'margin' }, `${gibMagnitude(s.margin_bytes)} GiB`), where(r)];
  const layout = s.gpus_needed_layout ? ` (TP ${s.gpus_needed_layout.tp} × PP ${s.gpus_needed_layout.pp})` : '';
  const enc = r.model && r.model.kind === 'encoder';
  const unit = enc ? 'text' : 'sequence';
  return h('div', null,
    h('p', { class: `verdict ${cls}`, id: 'verdict' }, h('span', { class: 'badge' }, label), ' ', margin, '.'),
    h('dl', { class: 'kv facts' },
      h('dt', null, 'Memory needed'),
      h('dd', { id: 'memory-needed' }, `${gib(r.memory.total_bytes)} GiB${gibBand(r, 'memory.total_bytes')} of ` +
        `${gib(r.memory.usable_bytes)} GiB usable${where(r)}`),
      h('dt', null, 'Deployment'),
      h('dd', { id: 'deployment' }, `${count(l.gpus)} × ${l.gpu_name} (${gib(l.gpu_memory_bytes)} GiB each), TP ${l.tp}, PP ${l.pp}, DP ${l.dp}`),
      h('dt', null, 'Workload'),
      h('dd', { id: 'workload' }, `${count(w.batch)} ${unit}${w.batch === 1 ? '' : 's'} × ${count(w.context)} tokens`),
      h('dt', null, 'GPUs needed'),
      h('dd', { id: 'gpus-needed' }, s.gpus_needed > 0 ? `${count(s.gpus_needed)}${layout}` : 'none found', gpusHigh(r),
        s.gpus_needed_note ? ` — ${s.gpus_needed_note}` : ''),
      h('dt', null, enc ? 'Texts per forward' : 'Max concurrency'),
      h('dd', { id: 'max-concurrency' }, `${sequences(s.max_concurrency)} ${unit}s of ${count(w.context)} tokens ${enc ? 'in one forward' : 'at once'}${concRange}`)),
    howSure(r));
}

/**
 * The one-line summary a phone keeps in view (verdict, GiB needed of GiB usable on the binding GPU, sequences
 * at once), as the children of the bar.
 */
export function summaryLine(r) {
  const t = r.training && r.training.mode && r.training.mode !== 'inference' && r.training.breakdown ? r.training : null;
  const mem = r.memory || {};
  const g = t || (mem.per_gpu || []).find((x) => x.stage === mem.binding_stage) || (mem.per_gpu || [])[0];
  const fits = t ? t.fits === true : r.serving && r.serving.fits === true;
  const [label, cls] = verdictOf(r, fits);
  const parts = [h('span', { class: `badge ${cls}` }, label)];
  if (g) parts.push(` ${gib(g.total_bytes)} of ${gib(g.usable_bytes)} GiB`);
  if (!t && r.serving) parts.push(` · ${sequences(r.serving.max_concurrency)} at once`);
  parts.push(h('span', { class: 'go' }, ' ↓'));
  return parts;
}

// ---------------------------------------------------------------------------------------------------------
// Stacked bars (one per pipeline stage: every GPU of a stage holds the same) and the table
// ---------------------------------------------------------------------------------------------------------

const PARTS = [
  ['weights_bytes', 'Weights', 'seg-weights'],
  ['kv_cache_bytes', 'KV cache', 'seg-kv'],
  ['activations_bytes', 'Activations', 'seg-act'],
  ['overhead_bytes', 'Overhead', 'seg-over'],
];

function stageLabel(g, stages) {
  return stages > 1 ? `Stage ${g.stage} (layers ${g.layers[0]}–${g.layers[1]}), each GPU` : 'Each GPU';
}

export function renderBars(r) {
  const mem = r.memory;
  const stages = mem.per_gpu.length;
  const legend = h('ul', { class: 'legend' },
    [...PARTS, [null, 'Free', 'seg-free'], reserveLabel(r) && [null, reserveLabel(r)[0], 'seg-reserve']].filter(Boolean).map(([, name, cls]) =>
      h('li', null, h('span', { class: `swatch ${cls}`, 'aria-hidden': 'true' }), name)));
  const bars = mem.per_gpu.map((g) => {
    // Widths are the byte counts themselves as flex-grow factors: the browser lays out the proportions.
    const segs = PARTS.map(([k, name, cls]) =>
      h('span', { class: `seg ${cls}`, style: { flexGrow: String(Math.max(g[k], 0)) }, title: `${name}: ${gib(g[k])} GiB` }));
    if (g.free_bytes >= 0) {
      segs.push(h('span', { class: 'seg seg-free', style: { flexGrow: String(g.free_bytes) }, title: `Free: ${gib(g.free_bytes)} GiB` }));
      if (g.gpu_memory_bytes === mem.gpu_memory_bytes) {
        segs.push(h('span', { class: 'seg seg-reserve', style: { flexGrow: String(mem.reserve_bytes) }, title: `${(reserveLabel(r) || ['Reserve'])[0]}: ${gib(mem.reserve_bytes)} GiB` }));
      }
    }
    const parts = PARTS.map(([k, name]) => `${name} ${gib(g[k])} GiB`).join(', ');
    const summary = g.free_bytes >= 0
      ? `${parts}; ${gib(g.free_bytes)} GiB free of ${gib(g.gpu_memory_bytes)} GiB`
      : `${parts}; over the usable ${gib(g.usable_bytes)} GiB by ${gibMagnitude(g.free_bytes)} GiB`;
    const track = h('div', { class: 'track', role: 'img', 'aria-label': summary }, segs);
    const wrap = h('div', { class: `bar${g.free_bytes < 0 ? ' over' : ''}` }, track);
    if (g.free_bytes < 0) {
      // The usable limit marked on the overflowing bar: usable | overflow, again as flex factors.
      wrap.append(h('div', { class: 'limit', 'aria-hidden': 'true' },
        h('span', { style: { flexGrow: String(g.usable_bytes) } }),
        h('span', { class: 'overflow', style: { flexGrow: String(g.free_bytes).replace(/^-/, '') } })));
    }
    return h('figure', { class: 'gpu', 'data-stage': String(g.stage) },
      h('figcaption', null, `${stageLabel(g, stages)}: ${gib(g.total_bytes)} of ${gib(g.gpu_memory_bytes)} GiB`), wrap);
  });
  return h('div', null, h('h2', null, 'Memory per GPU'), legend, bars);
}

/**
 * Why a GGUF's weights on the GPUs are less than the file: llama.cpp keeps the token embeddings (and any layer
 * not offloaded) in host memory. Beside the Weights figure, with the core's numbers.
 */
function hostWeights(r) {
  const g = r.gguf;
  if (!g || !(r.serving && r.serving.engine === 'llama.cpp') || !(g.input_bytes > 0)) return null;
  return h('span', { id: 'host-weights', class: 'host-weights' }, `Weights: the file holds ${gib(g.weights_bytes)} GiB; ` +
    `llama.cpp keeps its token embeddings (${gib(g.input_bytes)} GiB), and any layer -ngl leaves out, in host memory, ` +
    'so the GPUs hold less.');
}

/**
 * What the memory the estimate leaves out of use is called: the generic estimate's safety reserve; under vLLM
 * what gpu_memory_utilization leaves out; null for an engine that keeps none (the row and legend entry go).
 */
function reserveLabel(r) {
  const engine = (r.serving && r.serving.engine) || 'generic';
  if (engine === 'generic') return ['Safety reserve', 'Usable (capacity − reserve)'];
  if (engine === 'vllm') return ['Outside gpu_memory_utilization', 'Usable (capacity × gpu_memory_utilization)'];
  return r.memory.reserve_bytes > 0 ? ['Kept free by the engine', 'Usable'] : null;
}

export function renderTable(r) {
  const mem = r.memory;
  const reserve = reserveLabel(r);
  const stages = mem.per_gpu.length;
  const cols = mem.per_gpu.map((g) => ({
    head: stages > 1 ? `Stage ${g.stage} (layers ${g.layers[0]}–${g.layers[1]})` : 'Per GPU',
    v: {
      ...g,
      reserve_bytes: g.gpu_memory_bytes === mem.gpu_memory_bytes ? mem.reserve_bytes : undefined,
    },
  }));
  const all = mem.all_gpus;
  const rows = [
    ['weights_bytes', 'Weights'],
    ['kv_cache_bytes', 'KV cache'],
    ['activations_bytes', 'Activations'],
    ['overhead_bytes', 'Overhead'],
    ['total_bytes', 'Total'],
    ['gpu_memory_bytes', 'GPU capacity'],
    reserve && ['reserve_bytes', reserve[0]],
    ['usable_bytes', reserve ? reserve[1] : 'Usable'],
    ['free_bytes', 'Free'],
  ].filter(Boolean);
  const head = h('tr', null, h('th', { scope: 'col' }, 'GiB'), cols.map((c) => h('th', { scope: 'col', class: 'num' }, c.head)),
    all ? h('th', { scope: 'col', class: 'num' }, `All GPUs (${count(r.layout.gpus)})`) : null);
  const body = rows.map(([k, name]) => h('tr', { 'data-row': k, class: k === 'total_bytes' ? 'total' : null },
    h('th', { scope: 'row' }, name),
    cols.map((c) => (c.v[k] === undefined ? h('td', null, '') : bytesCell('td', c.v[k]))),
    all ? (all[k] === undefined ? h('td', null, '') : bytesCell('td', all[k])) : null));
  return h('div', { class: 'table-wrap' },
    h('table', { id: 'memory-table' },
      h('caption', null, 'Memory in GiB (1 GiB = 2', h('sup', null, '30'), ' bytes). KV cache: ',
        `${count(mem.kv_cache_bytes_per_token)} bytes per token per GPU.`, hostWeights(r)),
      h('thead', null, head), h('tbody', null, body)));
}

// ---------------------------------------------------------------------------------------------------------
// Warnings, assumptions, engine output, and sections yet to come
// ---------------------------------------------------------------------------------------------------------

export function renderWarnings(r) {
  if (!Array.isArray(r.warnings) || r.warnings.length === 0) return null;
  return h('div', null, h('h2', null, 'Warnings'),
    h('ul', { class: 'warnings' }, r.warnings.map((w) => h('li', { 'data-code': w.code }, w.message))));
}

export function renderAssumptions(r) {
  if (!Array.isArray(r.assumptions) || r.assumptions.length === 0) return null;
  return h('details', null, h('summary', null, `Assumptions (${r.assumptions.length})`),
    h('ul', null, r.assumptions.map((a) => h('li', null, String(a)))));
}

/** A number with at most `digits` significant digits (en-US grouping): 113.14 -> "113", 0.0088386 -> "0.00884". */
export function sig(x, digits = 3) {
  return typeof x === 'number' && Number.isFinite(x) ? x.toLocaleString('en-US', { maximumSignificantDigits: digits }) : '–';
}

/**
 * A duration the core gave in seconds, in the unit people read it in: ms below 1 s, s below 2 min, min
 * below 2 h, h below 2 days, days beyond (3 significant digits; 60 s, 3,600 s, 86,400 s a unit). A unit
 * change, like GiB for bytes: the number is the core's.
 */
export function duration(x, digits = 3) {
  if (typeof x !== 'number' || !Number.isFinite(x)) return '–';
  if (x < 1) return `${sig(x * 1000, digits)} ms`;
  if (x < 120) return `${sig(x, digits)} s`;
  if (x < 7200) return `${sig(x / 60, digits)} min`;
  if (x < 172800) return `${sig(x / 3600, digits)} h`;
  return `${sig(x / 86400, digits)} days`;
}

/** Copies `text` to the clipboard (or selects `fallback` for a manual copy); says which in `status`. */
export async function copyText(text, status, fallback) {
  try {
    await navigator.clipboard.writeText(text);
    status.textContent = 'Copied.';
  } catch {
    if (fallback) getSelection().selectAllChildren(fallback);
    status.textContent = 'Select and copy it.';
  }
  status.hidden = false;
}

/** An engine's failure, start-up log, settings and launch command (serving.* fields of engine profiles). */
export function renderEngine(r) {
  const s = r.serving || {};
  const parts = [];
  const extra = [];
  for (const [k, label] of [['kv_cache_tokens', 'KV-cache tokens'], ['kv_cache_blocks', 'KV-cache blocks'],
    ['max_model_len_that_fits', 'Longest request that fits']]) {
    if (typeof s[k] === 'number') extra.push([label, count(s[k]), k]);
  }
  for (const [k, label] of [['available_kv_cache_bytes', 'KV cache available per GPU'], ['system_ram_bytes', 'Host RAM used']]) {
    if (typeof s[k] === 'number') extra.push([label, `${gib(s[k])} GiB`, k]);
  }
  if (extra.length) parts.push(dl(extra));
  if (s.failure) parts.push(h('p', { class: 'failure', id: 'engine-failure' }, s.failure));
  if (Array.isArray(s.startup_log) && s.startup_log.length) {
    // engine_rules: the release whose rules (and log lines) the core followed, e.g. "vLLM 0.6 (V0 engine)".
    const who = typeof s.engine_rules === 'string' && s.engine_rules ? s.engine_rules : 'the engine';
    parts.push(h('h3', { id: 'startup-log-title' }, `What ${who} would print at start-up`),
      h('pre', { id: 'startup-log' }, s.startup_log.join('\n')));
  }
  if (s.settings && typeof s.settings === 'object') {
    parts.push(h('h3', null, 'Engine settings used'),
      dl(Object.entries(s.settings).map(([k, v]) => [k, /_bytes$/.test(k) ? `${gib(v)} GiB` : scalar(k, v), `setting-${k}`])));
  }
  if (s.commands && typeof s.commands === 'object') {
    parts.push(h('h3', null, 'Every engine that serves this encoder'),
      h('pre', { id: 'encoder-commands' }, Object.entries(s.commands).map(([k, c]) => `# ${k}\n${c}`).join('\n')));
  }
  if (s.launch_command) {
    const code = h('code', null, s.launch_command);
    const status = h('span', { class: 'hint', role: 'status', hidden: true });
    const button = h('button', { type: 'button', id: 'copy-command' }, 'Copy');
    button.addEventListener('click', () => copyText(s.launch_command, status, code));
    parts.push(h('h3', null, 'Launch command'), h('pre', { id: 'launch-command' }, code), h('p', { class: 'row' }, button, status));
  }
  if (!parts.length) return null;
  return h('div', null, h('h2', null, `Engine: ${s.engine}`), parts);
}

/** The knob's value and the core's note; without a value, the note alone says why (else "none works"). */
function knobText(k) {
  if (k.value === null || k.value === undefined) return k.note ? k.note.charAt(0).toUpperCase() + k.note.slice(1) : 'none works';
  return `${k.value}${k.note ? ` — ${k.note}` : ''}`;
}

/** The reverse solves (serving.solves): largest context, the memory fraction needed, fewest GPUs. */
export function renderSolves(r) {
  const v = r.serving && r.serving.solves;
  if (!v) return null;
  const users = `${count(v.batch)} concurrent sequence${v.batch === 1 ? '' : 's'}`;
  const mc = v.max_context || {};
  const rows = [[`Largest context for ${users}`, mc.tokens > 0 ? `${count(mc.tokens)} tokens${mc.note ? ` — ${mc.note}` : ''}`
    : `none${mc.note ? ` — ${mc.note}` : ''}`, 'solve-context']];
  if (v.knob) {
    rows.push([`${v.knob.name} needed for ${users} of ${count(v.context)} tokens`,
      knobText(v.knob), 'solve-knob']);
  }
  const f = v.fewest_gpus || {};
  rows.push([`Fewest GPUs of this type for ${users} of ${count(v.context)} tokens`,
    f.gpus > 0 ? `${count(f.gpus)} (TP ${f.tp} × PP ${f.pp} × DP ${f.dp})${f.note ? ` — ${f.note}` : ''}` : `none${f.note ? ` — ${f.note}` : ''}`,
    'solve-gpus']);
  return h('div', null, h('h2', null, 'Reverse solves'), dl(rows));
}

/** One line for the closed speed panel: the request's tokens/s, TTFT and bound. */
export function speedLine(r) {
  const s = r.speed;
  if (!s || !s.available) return s && s.unavailable_reason ? ` — not available: ${s.unavailable_reason}` : '';
  if (s.kind === 'encoder') return ` — ${sig(s.sequences_per_second)} sequences/s (${sig(s.tokens_per_second)} tokens/s), ${s.bound}-bound`;
  return ` — ${sig(s.decode_tokens_per_second)} tokens/s per request, first token after ${duration(s.ttft_seconds)}, ${s.bound}-bound`;
}

function label(key) {
  const s = key.replace(/_bytes$/, '').replace(/_/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function scalar(key, v) {
  if (typeof v === 'number') return /_bytes$/.test(key) ? `${gib(v)} GiB` : count(v);
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (v === null || v === undefined) return '–';
  return String(v);
}

/** Any JSON value as nested lists and tables, GiB for *_bytes keys. */
export function renderValue(key, v, depth = 0) {
  if (v === null || typeof v !== 'object') return scalar(key, v);
  if (depth > 4) return '…';
  if (Array.isArray(v)) {
    if (v.length && v.every((x) => x && typeof x === 'object' && !Array.isArray(x))) {
      const cols = [...new Set(v.flatMap((x) => Object.keys(x)))];
      return h('div', { class: 'table-wrap' }, h('table', { class: 'generic' },
        h('thead', null, h('tr', null, cols.map((c) => h('th', { scope: 'col' }, label(c) + (/_bytes$/.test(c) ? ' (GiB)' : ''))))),
        h('tbody', null, v.map((x) => h('tr', null, cols.map((c) =>
          h('td', null, /_bytes$/.test(c) && typeof x[c] === 'number' ? gib(x[c]) : renderValue(c, x[c], depth + 1))))))));
    }
    return v.map((x) => scalar(key, x)).join(', ');
  }
  return h('dl', { class: 'kv' }, Object.entries(v).map(([k, x]) => [h('dt', null, label(k)), h('dd', { 'data-key': k }, renderValue(k, x, depth + 1))]));
}

/** A section the page has no dedicated renderer for (yet): speed, training, recommendations, ... */
export function renderGeneric(title, value) {
  return h('div', null, h('h2', null, title), renderValue('', value));
}

// Response keys with a dedicated renderer (or that are inputs echoed back); the rest go to renderGeneric.
export const KNOWN_SECTIONS = new Set(['ok', 'version', 'model', 'precision', 'layout', 'workload', 'memory', 'serving',
  'warnings', 'assumptions', 'speed', 'training', 'recommendations', 'recommendations_excluded', 'gguf', 'bands', 'how_sure']);

// ---------------------------------------------------------------------------------------------------------
// What a result fills (app.js renders it; the site build prerenders the default one into index.html)
// ---------------------------------------------------------------------------------------------------------

/** The result slots of an inference estimate: slot id -> node, or null for a slot left empty. */
export function resultSlots(r) {
  return {
    'r-summary': renderSummary(r), 'r-verdict': renderVerdict(r), 'r-warnings': renderWarnings(r), 'r-bars': renderBars(r),
    'r-table': renderTable(r), 'r-engine': renderEngine(r), 'r-solves': renderSolves(r), 'r-gguf': null, 'r-more': null,
    'r-assumptions': renderAssumptions(r),
  };
}

// Inputs left blank take the core's default; the placeholder (or a select's first option) shows the core's value.
const SHOWN_DEFAULTS = {
  n: (r) => r.layout.gpus, tp: (r) => r.layout.tp, pp: (r) => r.layout.pp, ctx: (r) => r.workload.context,
  batch: (r) => r.workload.batch, reserve: (r) => r.workload.reserve, in: (r) => r.speed.input_tokens,
  out: (r) => r.speed.output_tokens, gmu: (r) => r.serving.settings.gpu_memory_utilization,
  mml: (r) => r.serving.settings.max_model_len, mnbt: (r) => r.serving.settings.max_num_batched_tokens,
  mns: (r) => r.serving.settings.max_num_seqs, bs: (r) => r.serving.settings.block_size,
  mfs: (r) => r.serving.settings.mem_fraction_static, opt: (r) => r.training.inputs.optimizer,
  tprec: (r) => r.training.inputs.training_precision, mb: (r) => r.training.inputs.micro_batch,
  seq: (r) => r.training.inputs.seq_len, gc: (r) => r.training.inputs.gradient_checkpointing,
  rank: (r) => r.training.inputs.lora_rank, targets: (r) => r.training.inputs.lora_targets.join(','),
  zero: (r) => r.training.inputs.zero,
};

/** The core's values for blank inputs: control key -> text (keys the response has no value for are left out). */
export function shownDefaults(r) {
  const out = {};
  for (const [key, get] of Object.entries(SHOWN_DEFAULTS)) {
    let v;
    try {
      v = get(r);
    } catch {
      v = undefined;
    }
    if (v !== undefined && v !== null) out[key] = String(v);
  }
  return out;
}

/** A GPU picker entry. */
export const gpuLabel = (g) => `${g.name} — ${g.memory_gib} GiB`;
/** An engine or mode picker entry (the catalogue lists strings or {id, name}). */
export const choice = (x) => (typeof x === 'string' ? [x, x] : [x.id, x.name || x.id]);
