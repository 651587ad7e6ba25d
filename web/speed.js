// speed.js — the speed panel: the core's speed section for the request (time to first token, time per
// output token, tokens/s per request and in total, end-to-end latency, the bound and every assumption) and a
// chart of throughput and per-user tokens/s against concurrency (speed.curve). Loaded when the panel opens.
import { lineChart } from './charts.js';
import { count, duration, durationBand, h, sig } from './render.js';

function dl(rows) {
  return h('dl', { class: 'kv' }, rows.filter(Boolean).map(([k, v, key]) => [h('dt', null, k), h('dd', { 'data-key': key }, v)]));
}

const tps = (x) => `${sig(x)} tokens/s`;

export function renderSpeed(r) {
  const s = r.speed;
  if (!s || !s.available) {
    return h('p', { class: 'note', id: 'speed-unavailable' }, `No speed estimate: ${(s && s.unavailable_reason) || 'the core gave none'}.`);
  }
  const a = s.assumptions || {};
  const enc = s.kind === 'encoder';
  const facts = enc ? dl([
    ['Batch', `${count(s.batch)} texts × ${count(s.tokens_per_text)} tokens in ${count(s.forwards)} forward pass${s.forwards === 1 ? '' : 'es'} (no decode)`, 'speed-request'],
    ['Time for the batch', duration(s.seconds), 'batch_seconds'],
    ['Sequences/s', sig(s.sequences_per_second), 'sequences_per_second'],
    ['Tokens/s', tps(s.tokens_per_second), 'tokens_per_second'],
    ['Bound by', s.bound, 'bound'],
  ]) : dl([
    ['Request', `${count(s.input_tokens)} prompt tokens, ${count(s.output_tokens)} generated, ${count(s.batch)} at once`, 'speed-request'],
    ['Time to first token (TTFT)', duration(s.ttft_seconds), 'ttft'],
    ['TTFT range', durationBand(r, 'speed.ttft_seconds').slice(2, -1) || '–', 'ttft-range'],
    ['Time per output token (TPOT)', duration(s.tpot_seconds), 'tpot'],
    ['TPOT range', durationBand(r, 'speed.tpot_seconds').slice(2, -1) || '–', 'tpot-range'],
    ['Tokens/s per request', tps(s.decode_tokens_per_second), 'tokens_per_second'],
    ['Total throughput', `${tps(s.throughput_tokens_per_second)} (prompt processing included)`, 'throughput'],
    ['End-to-end latency', duration(s.e2e_latency_seconds), 'e2e'],
    ['Decode step bound by', s.host_bound ? 'the host (no CUDA graphs: the CPU launching each layer sets the pace)'
      : `${s.bound} (${{ memory: 'reading weights and KV cache', 'host memory': 'the CPU reading the weights left in host memory' }[s.bound] || 'arithmetic'})`, 'bound'],
    s.host_offload && ['Weights in host memory', `${duration(s.host_offload.decode_seconds)} of each decode step and ` +
      `${duration(s.host_offload.prefill_seconds)} of prefill, ` + (s.host_offload.pcie_weight_bytes
        ? `read over PCIe at ${sig(s.host_offload.host_to_gpu_gbps)} GB/s every forward (--cpu-offload-gb)`
        : `at ${sig(s.host_offload.host_memory_bandwidth_gbps)} GB/s (${s.host_offload.host_memory_bandwidth_basis})`), 'host_offload'],
    ['Prefill bound by', `${s.prefill_bound}${s.prefill_chunks > 1 ? `, in ${count(s.prefill_chunks)} chunks` : ''}`, 'prefill_bound'],
  ]);
  const notes = [...(Array.isArray(a.notes) ? a.notes : []), ...(Array.isArray(s.warnings) ? s.warnings.map((w) => w.message || w) : [])];
  const assumed = dl(Object.entries(a).filter(([k]) => k !== 'notes').map(([k, v]) => [k, typeof v === 'number' ? sig(v, 6) : String(v), `speed-${k}`]));
  const parts = [facts];
  if (Array.isArray(s.curve) && s.curve.length) {
    const xs = s.curve.map((p) => p.concurrency);
    const common = { xLabel: 'concurrent requests', yLabel: 'tokens/s', xs, fmtX: (x) => count(x), fmtY: (v) => sig(v) };
    parts.push(lineChart(h, {
      ...common,
      id: 'chart-throughput',
      title: 'Total throughput vs concurrency',
      desc: `Generated tokens per second over all requests, at ${count(xs[0])} to ${count(xs[xs.length - 1])} requests at once ` +
        `(${count(s.input_tokens)} prompt and ${count(s.output_tokens)} generated tokens each).`,
      series: [{ name: 'Throughput', ys: s.curve.map((p) => p.throughput_tokens_per_second), cls: 'c-a' },
        { name: 'Decode throughput', ys: s.curve.map((p) => p.decode_throughput_tokens_per_second), cls: 'c-b' }],
    }), lineChart(h, {
      ...common,
      id: 'chart-per-user',
      title: 'Tokens/s per user vs concurrency',
      desc: `Tokens per second each request sees while generating, at ${count(xs[0])} to ${count(xs[xs.length - 1])} requests at once.`,
      series: [{ name: 'Per user', ys: s.curve.map((p) => p.per_user_tokens_per_second), cls: 'c-a' }],
    }));
  }
  parts.push(h('details', null, h('summary', null, 'Speed assumptions'), assumed,
    notes.length ? h('ul', null, notes.map((t) => h('li', null, String(t)))) : null));
  return h('div', null, parts);
}
