// train.js — the fine-tuning view (modes full, lora, qlora): the core's training section as a verdict, a
// breakdown bar per GPU (weights / gradients / optimizer / activations / other against the GPU's capacity)
// and a table in GiB. Every figure is the core's; bar widths are its byte counts as flex factors.
// Loaded when a fine-tuning mode is chosen.
import { count, duration, durationBand, gib, gibBand, gibMagnitude, h, howSure, sig, verdictOf } from './render.js';

const SEG = { weights: 'seg-weights', gradients: 'seg-grad', optimizer: 'seg-opt', activations: 'seg-act', other: 'seg-over' };

function row(k, v, id) {
  return [h('dt', null, k), h('dd', { id }, v)];
}

export function renderTrainingVerdict(r) {
  const t = r.training;
  const fits = t.fits === true;
  const [label, cls] = verdictOf(r, fits);
  const sp = t.speed || {};
  const zero = Array.isArray(t.gpus_needed_by_zero)
    ? t.gpus_needed_by_zero.map((n, z) => `ZeRO-${z}: ${n > 0 ? count(n) : 'none'}`).join(', ') : '';
  return h('div', null,
    h('p', { class: `verdict ${cls}`, id: 'verdict' },
      h('span', { class: 'badge' }, label), ' ',
      fits ? [h('strong', { id: 'margin', 'data-bytes': String(t.free_bytes) }, `${gib(t.free_bytes)} GiB`), ' free per GPU']
        : ['short by ', h('strong', { id: 'margin', 'data-bytes': String(t.free_bytes) }, `${gibMagnitude(t.free_bytes)} GiB`), ' per GPU'],
      !fits && t.fits_with_paging ? ' (fits with paged optimizer states spilling to CPU memory)' : '', '.'),
    h('dl', { class: 'kv facts' },
      row('Peak memory', `${gib(t.total_bytes)} GiB${gibBand(r, 'training.total_bytes')} of ${gib(t.usable_bytes)} GiB usable per GPU`, 'training-peak'),
      row('Method', t.method, 'training-method'),
      row('Peak set by', t.peak_phase_label || t.peak_phase, 'training-peak-phase'),
      row('Trainable parameters', `${count(t.trainable_parameters)} (${sig(t.trainable_percent)} % of ${count(t.parameters)})`, 'trainable'),
      row('GPUs', `${count(t.inputs && t.inputs.gpus)} × ${t.inputs && t.inputs.gpu_name}, ZeRO stage ${t.inputs && t.inputs.zero}`, 'training-gpus'),
      row('GPUs needed', `${t.gpus_needed > 0 ? count(t.gpus_needed) : 'none found at this ZeRO stage'}${zero ? ` (${zero})` : ''}`, 'training-gpus-needed'),
      row('Training speed', sp.available === false ? 'not available' : `${sig(t.tokens_per_second_per_gpu)} tokens/s per GPU, ` +
        `${sig(sp.tokens_per_second)} tokens/s in all, ${duration(sp.seconds_per_step)}${durationBand(r, 'training.speed.seconds_per_step')} per step`, 'training-speed'),
      row('Time per epoch', typeof t.seconds_per_epoch === 'number'
        ? `${duration(t.seconds_per_epoch)} for ${count(sp.dataset_tokens)} tokens` : 'set the dataset’s tokens to get it', 'epoch'),
      t.cpu_offload_bytes > 0 ? row('CPU memory (offload)', `${gib(t.cpu_offload_bytes)} GiB per GPU`, 'cpu-offload') : null),
    howSure(r, 'training.'));
}

export function renderTrainingBars(r) {
  const t = r.training;
  const parts = t.breakdown || [];
  const segs = parts.map((p) => h('span', { class: `seg ${SEG[p.key] || 'seg-over'}`, style: { flexGrow: String(Math.max(p.bytes, 0)) },
    title: `${p.label}: ${gib(p.bytes)} GiB` }));
  if (t.free_bytes >= 0) {
    segs.push(h('span', { class: 'seg seg-free', style: { flexGrow: String(t.free_bytes) }, title: `Free: ${gib(t.free_bytes)} GiB` }),
      h('span', { class: 'seg seg-reserve', style: { flexGrow: String(t.reserve_bytes) }, title: `Reserve: ${gib(t.reserve_bytes)} GiB` }));
  }
  const text = `${parts.map((p) => `${p.label} ${gib(p.bytes)} GiB`).join(', ')}; ` + (t.free_bytes >= 0
    ? `${gib(t.free_bytes)} GiB free of ${gib(t.gpu_memory_bytes)} GiB`
    : `over the usable ${gib(t.usable_bytes)} GiB by ${gibMagnitude(t.free_bytes)} GiB`);
  const wrap = h('div', { class: `bar${t.free_bytes < 0 ? ' over' : ''}` }, h('div', { class: 'track', role: 'img', 'aria-label': text }, segs));
  if (t.free_bytes < 0) {
    wrap.append(h('div', { class: 'limit', 'aria-hidden': 'true' }, h('span', { style: { flexGrow: String(t.usable_bytes) } }),
      h('span', { class: 'overflow', style: { flexGrow: String(t.free_bytes).replace(/^-/, '') } })));
  }
  const legend = h('ul', { class: 'legend' }, [...parts.map((p) => [p.label, SEG[p.key] || 'seg-over']), ['Free', 'seg-free'], ['Reserve', 'seg-reserve']]
    .map(([name, cls]) => h('li', null, h('span', { class: `swatch ${cls}`, 'aria-hidden': 'true' }), name)));
  return h('div', null, h('h2', null, 'Training memory per GPU'), legend,
    h('figure', { class: 'gpu' }, h('figcaption', null, `Each GPU: ${gib(t.total_bytes)} of ${gib(t.gpu_memory_bytes)} GiB`), wrap));
}

export function renderTrainingTable(r) {
  const t = r.training;
  const cell = (b) => h('td', { class: 'num', 'data-bytes': String(b), title: `${count(b)} bytes` }, gib(b));
  const rows = (t.breakdown || []).map((p) => h('tr', { 'data-row': p.key }, h('th', { scope: 'row' }, p.label), cell(p.bytes), h('td', null, p.detail || '')));
  for (const [k, name] of [['total_bytes', 'Total'], ['gpu_memory_bytes', 'GPU capacity'], ['reserve_bytes', 'Reserve'],
    ['usable_bytes', 'Usable (capacity − reserve)'], ['free_bytes', 'Free']]) {
    rows.push(h('tr', { 'data-row': k, class: k === 'total_bytes' ? 'total' : null }, h('th', { scope: 'row' }, name), cell(t[k]), h('td', null, '')));
  }
  return h('div', { class: 'table-wrap' }, h('table', { id: 'training-table' },
    h('caption', null, 'Training memory per GPU in GiB (1 GiB = 2', h('sup', null, '30'), ' bytes).'),
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Part'), h('th', { scope: 'col', class: 'num' }, 'GiB'), h('th', { scope: 'col' }, 'What'))),
    h('tbody', null, rows)));
}
