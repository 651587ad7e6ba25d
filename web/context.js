// context.js — the "memory and concurrency vs context length" panel: two charts from the core's
// serving.context_curve (the engine's plan at context lengths doubling from 1,024 to the model's maximum,
// and the request's own), for the request's engine, batch and layout. Loaded when the panel opens.
import { lineChart, tokens } from './charts.js';
import { count, gib, h } from './render.js';

const GIB = 2 ** 30;

export function renderContext(r) {
  const curve = r.serving && r.serving.context_curve;
  if (!Array.isArray(curve) || curve.length === 0) {
    return h('p', { class: 'note' }, r.model && r.model.kind === 'encoder'
      ? 'An encoder keeps no KV cache: its memory is the weights and one forward pass, shown above.'
      : 'This version of the core returns no context-length curve.');
  }
  const xs = curve.map((p) => p.context);
  const misfit = curve.map((p) => !p.fits);
  const range = `from ${count(xs[0])} to ${count(xs[xs.length - 1])} tokens`;
  const engine = r.serving.engine;
  const batch = r.workload.batch;
  const conc = lineChart(h, {
    id: 'chart-concurrency',
    title: 'Max concurrency vs context length',
    desc: `Sequences of each context length (${range}) that ${engine} serves at once on ${count(r.layout.gpus)} × ` +
      `${r.layout.gpu_name}; the line at ${count(batch)} is the request's concurrent sequences.`,
    xLabel: 'context length (tokens)',
    yLabel: 'sequences at once',
    xs,
    series: [{ name: 'Max concurrency', ys: curve.map((p) => p.max_concurrency), cls: 'c-a', marks: misfit }],
    refs: [{ name: `Requested: ${count(batch)}`, y: batch, cls: 'c-ref' }],
    fmtX: tokens,
    fmtY: (v) => count(v),
    markNote: 'does not fit',
  });
  const parts = [['weights_bytes', 'Weights', 'c-weights'], ['kv_cache_bytes', 'KV cache', 'c-kv'],
    ['activations_bytes', 'Activations', 'c-act'], ['overhead_bytes', 'Overhead', 'c-over'], ['total_bytes', 'Total', 'c-total']];
  const mem = lineChart(h, {
    id: 'chart-memory',
    title: 'Memory per GPU vs context length',
    desc: `Memory of the tightest GPU with ${count(batch)} sequence${batch === 1 ? '' : 's'} at each context length ` +
      `(${range}), by part, against the usable ${gib(r.memory.usable_bytes)} GiB of ${gib(r.layout.gpu_memory_bytes)} GiB.`,
    xLabel: 'context length (tokens)',
    yLabel: 'GiB per GPU',
    xs,
    series: parts.map(([k, name, cls]) => ({ name, ys: curve.map((p) => p.memory && p.memory[k]), cls, marks: k === 'total_bytes' ? misfit : null })),
    refs: [{ name: 'Usable', y: r.memory.usable_bytes, cls: 'c-cap' }, { name: 'GPU capacity', y: r.layout.gpu_memory_bytes, cls: 'c-ref' }],
    fmtX: tokens,
    fmtY: (v) => gib(v),
    unit: GIB,
    markNote: 'does not fit',
  });
  return h('div', null, conc, mem);
}
