// state.js — the page's inputs as a share URL, and back. No DOM here (node:test imports it).
//
// Every input lives in the query string under a short key (README "The page" lists them); a pasted
// config.json travels compressed in the fragment (#config=<deflate-raw, base64url>), which browsers never
// send to a server. The access token is not an input here and never enters a URL.
//
// A parameter that is unknown, repeated, malformed or out of range is dropped with a note the page shows;
// values are only ever compared against lists, patterns and ranges, never evaluated or written into markup.

export const DTYPES = ['auto', 'fp32', 'fp16', 'bf16', 'fp8', 'int8', 'int4', 'nf4'];
export const KV_DTYPES = ['auto', 'fp16', 'bf16', 'fp8', 'int8', 'int4'];
// llama-quantize's file types, the core's list (core/src/gguf/gguf.cpp llama_ftypes(), tested in tests/wasm/).
export const GGUF_TYPES = ['F32', 'F16', 'BF16', 'Q8_0', 'Q6_K', 'Q5_K_M', 'Q5_K_S', 'Q5_1', 'Q5_0', 'Q4_K_M', 'Q4_K_S',
  'Q4_1', 'Q4_0', 'IQ4_NL', 'IQ4_XS', 'MXFP4_MOE', 'NVFP4', 'Q3_K_L', 'Q3_K_M', 'Q3_K_S', 'IQ3_M', 'IQ3_S', 'IQ3_XS',
  'IQ3_XXS', 'Q2_K', 'Q2_K_S', 'IQ2_M', 'IQ2_S', 'IQ2_XS', 'IQ2_XXS', 'Q2_0', 'TQ2_0', 'TQ1_0', 'IQ1_M', 'IQ1_S', 'Q1_0'];
// The lists below are the core's (`llmsizer --help`; tests/web checks them against it).
export const CACHE_TYPES = ['f16', 'bf16', 'f32', 'q8_0', 'q4_0', 'q4_1', 'iq4_nl', 'q5_0', 'q5_1'];
export const OPTIMIZERS = ['adamw', 'adamw-8bit', 'sgd', 'sgd-momentum', 'adafactor'];
export const TRAIN_PRECISIONS = ['mixed', 'fp32', 'bf16'];
export const CHECKPOINTING = ['none', 'selective', 'full'];
export const ATTENTION = ['sdpa', 'eager', 'flash_attention_2'];
export const PANELS = ['speed', 'context', 'recs'];
// The model and GPU shown when a link names none (the build prerenders this state into index.html).
export const DEFAULT_PRESET = 'Qwen/Qwen2.5-7B-Instruct';
export const DEFAULT_GPU = 'nvidia-h100-sxm';
// Sortable columns of the recommendations table ("-" first: descending).
export const SORTS = ['name', 'memory_gib', 'count', 'max_concurrency', 'headroom_bytes', 'tokens_per_second',
  'throughput_tokens_per_second', 'throughput_tokens_per_second_per_gpu', 'concurrency_at_target',
  'cost_per_million_output_tokens_usd'];

/**
 * The URL keys, in the order they are written, with the request key each maps to and what is accepted.
 * Numeric ranges are the core's (core/src/api/api.cpp fields()), which checks them again. `list` names a
 * catalogue list whose ids are the accepted values. `recs`: a recommendations filter (only in the request
 * that ranks GPUs). Keys without `req` are page state (panels, sorting, the GGUF file).
 *
 * `engines`: the engines that read the field (absent: every engine). This is the one place the page says so
 * (until the core's catalogue does): an engine's own options are shown only for it; a shared field another
 * engine ignores stays in view, disabled, with `unused[engine]` saying why and which knob counts instead.
 * @type {Array<{key: string, req?: string, kind: string, min?: number, max?: number, values?: string[],
 *               list?: string, def?: string, recs?: boolean, label: string, engines?: string[],
 *               unused?: Object<string, string>}>}
 */
export const PARAMS = [
  { key: 'preset', kind: 'enum', list: 'models', label: 'bundled preset' },
  { key: 'model', req: 'model_id', kind: 'repo', label: 'Hub repo id (org/name)' },
  { key: 'rev', req: 'revision', kind: 'rev', label: 'Hub revision' },
  { key: 'file', kind: 'file', label: 'GGUF file in the repo' },
  { key: 'mode', req: 'mode', kind: 'enum', list: 'modes', def: 'inference', label: 'mode' },
  { key: 'engine', req: 'engine', kind: 'enum', list: 'engines', def: 'generic', label: 'serving engine' },
  { key: 'gpu', req: 'gpu', kind: 'enum', list: 'gpus', label: 'GPU preset id' },
  { key: 'n', req: 'gpus', kind: 'int', min: 1, max: 4096, label: 'GPU count' },
  { key: 'tp', req: 'tp', kind: 'int', min: 1, max: 512, label: 'tensor-parallel size' },
  { key: 'pp', req: 'pp', kind: 'int', min: 1, max: 1024, label: 'pipeline stages' },
  { key: 'dtype', req: 'dtype', kind: 'enum', values: [...DTYPES, ...GGUF_TYPES], def: 'auto', label: 'weight precision' },
  { key: 'kv', req: 'kv_dtype', kind: 'enum', values: KV_DTYPES, def: 'auto', label: 'KV-cache precision' },
  { key: 'ctx', req: 'context', kind: 'int', min: 1, max: 1e8, label: 'context length' },
  { key: 'batch', req: 'batch', kind: 'int', min: 1, max: 1e6, label: 'concurrent sequences' },
  // Only the generic estimate keeps a reserve (core/src/engines/engines.cpp engine_traits usable_fraction);
  // the engines budget memory themselves.
  { key: 'reserve', req: 'reserve', kind: 'number', min: 0, max: 0.9, label: 'safety reserve (fraction)', engines: ['generic'],
    unused: {
      vllm: 'vLLM budgets memory itself: its gpu_memory_utilization (Serving engine, below) counts instead.',
      sglang: 'SGLang budgets memory itself: its mem_fraction_static (Serving engine, below) counts instead.',
      'llama.cpp': 'llama.cpp keeps no reserve: it fits when weights, KV cache, compute buffers and the CUDA context fit.',
      transformers: 'transformers keeps no reserve: generate() fits when the weights and its peak use fit.',
    } },
  { key: 'in', req: 'input_tokens', kind: 'int', min: 1, max: 1e8, label: 'prompt tokens per request' },
  { key: 'out', req: 'output_tokens', kind: 'int', min: 1, max: 1e8, label: 'generated tokens per request' },
  { key: 'img', req: 'images', kind: 'int', min: 0, max: 64, label: 'images per request' },
  { key: 'imgsz', req: 'image_size', kind: 'size', label: 'image size (WxH)' },
  // vLLM
  { key: 'gmu', req: 'gpu_memory_utilization', kind: 'number', min: 0.01, max: 1, label: 'gpu_memory_utilization', engines: ['vllm'] },
  { key: 'mml', req: 'max_model_len', kind: 'int', min: 1, max: 1e8, label: 'max_model_len', engines: ['vllm'] },
  { key: 'mnbt', req: 'max_num_batched_tokens', kind: 'int', min: 1, max: 1e8, label: 'max_num_batched_tokens', engines: ['vllm'] },
  { key: 'mns', req: 'max_num_seqs', kind: 'int', min: 1, max: 1e6, label: 'max_num_seqs', engines: ['vllm'] },
  { key: 'bs', req: 'block_size', kind: 'int', min: 1, max: 1024, label: 'block_size', engines: ['vllm'] },
  { key: 'eager', req: 'enforce_eager', kind: 'bool', label: 'enforce_eager', engines: ['vllm'] },
  { key: 'vllmv', req: 'vllm_version', kind: 'version', label: 'vLLM version', engines: ['vllm'] },
  { key: 'v0', req: 'vllm_v0', kind: 'bool', label: 'V0 engine (VLLM_USE_V1=0)', engines: ['vllm'] },
  { key: 'cg', req: 'vllm_estimate_cudagraphs', kind: 'bool', label: 'VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS=1', engines: ['vllm'] },
  { key: 'cpuoff', req: 'cpu_offload_gb', kind: 'number', min: 0, max: 100000, label: 'cpu_offload_gb', engines: ['vllm'] },
  // transformers
  { key: 'tfv', req: 'transformers_version', kind: 'version', label: 'transformers version', engines: ['transformers'] },
  { key: 'attn', req: 'attention_implementation', kind: 'enum', values: ATTENTION, label: 'attention', engines: ['transformers'] },
  // SGLang
  { key: 'mfs', req: 'mem_fraction_static', kind: 'number', min: 0.01, max: 1, label: 'mem_fraction_static', engines: ['sglang'] },
  // llama.cpp
  { key: 'ctk', req: 'ctk', kind: 'enum', values: CACHE_TYPES, label: 'K cache type', engines: ['llama.cpp'] },
  { key: 'ctv', req: 'ctv', kind: 'enum', values: CACHE_TYPES, label: 'V cache type', engines: ['llama.cpp'] },
  { key: 'np', req: 'np', kind: 'int', min: 1, max: 4096, label: 'parallel slots (-np)', engines: ['llama.cpp'] },
  { key: 'ngl', req: 'ngl', kind: 'int', min: -1, max: 100000, label: 'GPU layers (-ngl)', engines: ['llama.cpp'] },
  { key: 'ncmoe', req: 'n_cpu_moe', kind: 'int', min: 0, max: 100000, label: 'experts on the CPU (--n-cpu-moe)', engines: ['llama.cpp'] },
  { key: 'ot', req: 'override_tensor', kind: 'ot', label: 'tensor overrides (-ot)', engines: ['llama.cpp'] },
  { key: 'hostbw', req: 'host_memory_bandwidth_gbps', kind: 'number', min: 0, max: 100000, label: 'host memory GB/s', engines: ['llama.cpp'] },
  { key: 'ub', req: 'ubatch', kind: 'int', min: 1, max: 1e6, label: 'micro-batch (-ub)', engines: ['llama.cpp'] },
  { key: 'fa', req: 'flash_attn', kind: 'bool', label: 'flash attention (-fa)', engines: ['llama.cpp'] },
  { key: 'swafull', req: 'swa_full', kind: 'bool', label: '--swa-full', engines: ['llama.cpp'] },
  // fine-tuning
  { key: 'opt', req: 'optimizer', kind: 'enum', values: OPTIMIZERS, label: 'optimizer' },
  { key: 'tprec', req: 'training_precision', kind: 'enum', values: TRAIN_PRECISIONS, label: 'training precision' },
  { key: 'mb', req: 'micro_batch', kind: 'int', min: 1, max: 1e6, label: 'micro-batch' },
  { key: 'seq', req: 'seq_len', kind: 'int', min: 1, max: 1e8, label: 'sequence length' },
  { key: 'gc', req: 'gradient_checkpointing', kind: 'enum', values: CHECKPOINTING, label: 'gradient checkpointing' },
  { key: 'rank', req: 'lora_rank', kind: 'int', min: 1, max: 65536, label: 'LoRA rank' },
  { key: 'targets', req: 'lora_targets', kind: 'targets', label: 'LoRA targets' },
  { key: 'zero', req: 'zero', kind: 'int', min: 0, max: 3, label: 'ZeRO stage' },
  { key: 'offload', req: 'offload_optimizer', kind: 'bool', label: 'optimizer offload' },
  { key: 'tokens', req: 'dataset_tokens', kind: 'int', min: 1, max: 1e15, label: 'dataset tokens' },
  // recommendations (their own request, made only while that panel is open)
  { key: 'rv', req: 'recommend_vendor', kind: 'enum', list: 'vendors', recs: true, label: 'vendor' },
  { key: 'rm', req: 'recommend_market', kind: 'enum', list: 'markets', recs: true, label: 'market' },
  { key: 'rmin', req: 'recommend_min_memory_gib', kind: 'number', min: 0, max: 100000, recs: true, label: 'minimum GPU memory (GiB)' },
  { key: 'tpot', req: 'target_tpot_ms', kind: 'number', min: 0, max: 1e6, recs: true, label: 'target time per output token (ms)' },
  { key: 'ttft', req: 'target_ttft_ms', kind: 'number', min: 0, max: 1e7, recs: true, label: 'target time to first token (ms)' },
  { key: 'usd', req: 'gpu_hour_usd', kind: 'number', min: 0, max: 1e6, recs: true, label: 'price per GPU-hour (USD)' },
  { key: 'sort', kind: 'enum', values: [...SORTS, ...SORTS.map((s) => `-${s}`)], label: 'recommendations sort' },
  { key: 'open', kind: 'list', values: PANELS, label: 'open panels' },
];
const BY_KEY = new Map(PARAMS.map((p) => [p.key, p]));

/**
 * Takes every request field's limits and default from the core's catalogue (`catalog.fields`, written from the
 * core's one field table, core/src/api/request.cpp kFields), so a share link is checked by the table the core
 * itself applies. The literals in PARAMS only serve before the module has loaded (the prerendered first screen).
 * The page may narrow a minimum, never widen it: where the core reads 0 as "its default" (context, tp, gpus, ...)
 * the page asks for a blank field instead, so its minimum stays 1. Returns the request keys the core lacks.
 * @param {{fields?: Array<{key: string, kind: string, min?: number, max?: number, default?: *}>}} catalog
 */
export function applyCatalogue(catalog) {
  const fields = new Map(((catalog && catalog.fields) || []).map((f) => [f.key, f]));
  const missing = [];
  for (const p of PARAMS) {
    if (!p.req) continue;
    const f = fields.get(p.req);
    if (!f) {
      missing.push(p.req);
      continue;
    }
    if ((p.kind === 'int' || p.kind === 'number') && typeof f.min === 'number' && typeof f.max === 'number') {
      p.min = typeof p.min === 'number' && p.min > f.min ? p.min : f.min;
      p.max = f.max;
    }
    if (p.kind === 'enum' && typeof f.default === 'string' && f.default !== '') p.def = f.default;
  }
  return missing;
}

/** What each engine is, in one line (shown under the engine picker). */
export const ENGINE_HELP = {
  generic: 'generic: a rule-of-thumb sum — weights + KV cache + activations + a fixed runtime overhead against the GPU ' +
    'minus a safety reserve — that follows no one engine’s rules.',
  vllm: 'vLLM: its start-up profile — gpu_memory_utilization of each GPU, minus weights, activations and CUDA graphs, ' +
    'becomes the KV-cache pool, in blocks.',
  sglang: 'SGLang: mem_fraction_static of each GPU holds the weights and the KV pool; the rest is left for activations ' +
    'and CUDA graphs.',
  'llama.cpp': 'llama.cpp (llama-server): GGUF weights, KV cells per slot and compute buffers; layers split over the GPUs.',
  transformers: 'transformers: generate() with device_map="auto" — the checkpoint’s tensors and a KV cache that grows per ' +
    'token; layers split over the GPUs.',
};

/** Why `p` does not count under `engine` (one line), or '' when it does. */
export function unusedBy(p, engine) {
  if (!p.engines || p.engines.includes(engine)) return '';
  return (p.unused && p.unused[engine]) || `Not used by ${engine}.`;
}

const plain = (x) => x.toLocaleString('en-US', { maximumFractionDigits: 12 });

/**
 * What is wrong with a typed value, in words for the field ("must be a whole number from 1 to 100,000,000"),
 * or '' when it is fine. Blank is fine (the core's default); lists and checkboxes cannot be wrong.
 * @param {{kind: string, min?: number, max?: number, label: string}} p
 * @param {string} raw
 */
export function fieldProblem(p, raw) {
  if (raw === '' || !['int', 'number', 'version', 'targets', 'ot'].includes(p.kind)) return '';
  if (!(checkValue(p, raw, null) instanceof Error)) return '';
  if (p.kind === 'version') return 'must be a version such as 0.19';
  if (p.kind === 'targets') return 'must be module names separated by commas, such as q_proj,v_proj or all-linear';
  if (p.kind === 'ot') return 'must be PATTERN=BUFFER pairs separated by commas, such as exps=CPU';
  return `must be ${p.kind === 'int' ? 'a whole number' : 'a number'} from ${plain(p.min)} to ${plain(p.max)}`;
}

// Same rules as hf.js parseModelLink for a bare repo id and a revision.
const REPO = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_])?(?:\/[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_])?)?$/;
const REV = /^[A-Za-z0-9._\-/]{1,200}$/;
// A .gguf path inside a repo: folders and names of letters, digits, . _ - + (no "..", no leading "/").
const FILE = /^(?:[A-Za-z0-9_+-][A-Za-z0-9._+-]{0,199}\/){0,4}[A-Za-z0-9_+-][A-Za-z0-9._+-]{0,199}\.gguf$/i;
const INT = /^[0-9]{1,16}$/;
const SIGNED_INT = /^-?[0-9]{1,16}$/;
const NUM = /^(?:[0-9]{1,15}(?:\.[0-9]{1,12})?|\.[0-9]{1,12})$/;
const VERSION = /^[0-9]{1,3}\.[0-9]{1,3}(?:\.[0-9]{1,3})?$/;
// LoRA targets: names of modules or the core's group words, comma-separated.
const TARGETS = /^[A-Za-z0-9_.-]{1,64}(?:,[A-Za-z0-9_.-]{1,64}){0,31}$/;
// llama.cpp -ot: PATTERN=BUFFER pairs, printable and without spaces; the core checks the patterns.
const OT = /^[!-~]{1,1024}$/;

/** Text of a value for a note: short, and only ever placed with textContent. */
export function quote(v) {
  const s = String(v);
  return `“${s.length > 60 ? `${s.slice(0, 60)}…` : s}”`;
}

/**
 * Checks one value against its parameter. Returns the accepted value (a string for enums, ids and lists, a
 * number for numbers) or an Error whose message says what is accepted.
 * @param {{key: string, kind: string, min?: number, max?: number, values?: string[], list?: string, label: string}} p
 * @param {string} raw
 * @param {Object} catalog  {gpus, models, engines?, modes?, vendors?, markets?}
 */
export function checkValue(p, raw, catalog) {
  const bad = (why) => new Error(`Ignored ${p.key}=${quote(raw)}: ${why}.`);
  switch (p.kind) {
    case 'int':
    case 'number': {
      const re = p.kind === 'int' ? (p.min < 0 ? SIGNED_INT : INT) : NUM;
      if (!re.test(raw)) return bad(`expected ${p.kind === 'int' ? 'a whole number' : 'a number'} from ${p.min} to ${p.max}`);
      const v = Number(raw);
      if (!(v >= p.min && v <= p.max)) return bad(`out of range (${p.label}: ${p.min} to ${p.max})`);
      return v;
    }
    case 'bool':
      return raw === '1' || raw === '0' ? raw : bad('expected 1 (on) or 0 (off)');
    case 'enum': {
      const values = p.values || listIds(catalog, p.list);
      if (!values) return bad(`this build has no ${p.label} choice`);
      if (!values.includes(raw)) return bad(`not a known ${p.label}`);
      return raw;
    }
    case 'list': {
      const xs = raw.split(',');
      return xs.every((x) => p.values.includes(x)) && new Set(xs).size === xs.length ? raw : bad(`expected some of ${p.values.join(', ')}`);
    }
    case 'repo':
      return REPO.test(raw) && !raw.includes('..') ? raw : bad('not a Hub repo id such as org/name');
    case 'rev':
      return REV.test(raw) && !raw.includes('..') ? raw : bad('not a revision name');
    case 'file':
      return FILE.test(raw) && !raw.includes('..') ? raw : bad('not a .gguf file path');
    case 'version':
      return VERSION.test(raw) ? raw : bad('expected a version such as 0.19');
    case 'size':
      return /^\d{1,5}x\d{1,5}$/.test(raw) ? raw : bad('expected WxH in pixels such as 1024x768');
    case 'ot':
      return OT.test(raw) && raw.includes('=') ? raw : bad('expected PATTERN=BUFFER pairs such as exps=CPU');
    case 'targets':
      return TARGETS.test(raw) ? raw : bad('expected module names separated by commas, such as q_proj,v_proj or all-linear');
    default:
      return bad('unsupported');
  }
}

/** Ids of a catalogue list (gpus/models: objects with id; engines/modes/vendors/markets: strings or {id}). */
export function listIds(catalog, list) {
  const xs = catalog && catalog[list];
  if (!Array.isArray(xs)) return null;
  return xs.map((x) => (typeof x === 'string' ? x : x.id));
}

/**
 * Reads a query string. Unknown keys, repeated keys and bad values are dropped with a note each.
 * @param {string} search  location.search
 * @param {Object} catalog
 * @returns {{values: Object<string, string|number>, notes: string[]}}
 */
export function readQuery(search, catalog) {
  const values = {};
  const notes = [];
  let params;
  try {
    params = new URLSearchParams(search);
  } catch {
    return { values, notes: ['Ignored the link’s parameters: they cannot be read.'] };
  }
  const seen = new Set();
  let count = 0;
  for (const [key, raw] of params) {
    if (++count > 96) {
      notes.push('Ignored the remaining parameters: too many.');
      break;
    }
    const p = BY_KEY.get(key);
    if (!p) {
      notes.push(`Ignored unknown parameter ${quote(key)} (known: ${PARAMS.map((x) => x.key).join(', ')}).`);
      continue;
    }
    if (seen.has(key)) {
      notes.push(`Ignored a repeated ${key}=${quote(raw)}: the first one counts.`);
      continue;
    }
    seen.add(key);
    const v = checkValue(p, raw, catalog);
    if (v instanceof Error) notes.push(v.message);
    else values[key] = v;
  }
  for (const k of ['rev', 'file']) {
    if (values[k] !== undefined && values.model === undefined) {
      notes.push(`Ignored ${k}=${quote(values[k])}: it only applies with model=.`);
      delete values[k];
    }
  }
  if (values.preset !== undefined && values.model !== undefined) {
    notes.push(`Ignored preset=${quote(values.preset)}: model= is given too, and it wins.`);
    delete values.preset;
  }
  return { values, notes };
}

/** Query-string text for `values` (keys in PARAMS order; '/' and ',' left readable). Empty values are skipped. */
export function writeQuery(values) {
  const parts = [];
  for (const p of PARAMS) {
    const v = values[p.key];
    if (v === undefined || v === null || v === '') continue;
    parts.push(`${p.key}=${encodeURIComponent(String(v)).replace(/%2F/g, '/').replace(/%2C/g, ',')}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

// ---- the pasted config in the fragment: deflate-raw (CompressionStream) + base64url --------------------

const MAX_FRAGMENT_CONFIG = 4 << 20;  // inflated bytes accepted from a link (a config.json is a few KB)

/** Bytes -> base64 (url-safe without padding when `url`). */
export function toBase64(bytes, url = false) {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  const b = btoa(bin);
  return url ? b.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '') : b;
}

function fromBase64url(s) {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) throw new Error('not base64url');
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

async function pipe(bytes, stream) {
  const out = new Response(new Blob([bytes]).stream().pipeThrough(stream));
  return new Uint8Array(await out.arrayBuffer());
}

/** config.json text -> the fragment's value. */
export async function encodeConfig(text) {
  return toBase64(await pipe(new TextEncoder().encode(text), new CompressionStream('deflate-raw')), true);
}

/** The fragment's value -> config.json text; throws on anything that is not one. */
export async function decodeConfig(value) {
  const inflated = await pipe(fromBase64url(value), new DecompressionStream('deflate-raw'));
  if (inflated.length > MAX_FRAGMENT_CONFIG) throw new Error('too large');
  return new TextDecoder('utf-8', { fatal: true }).decode(inflated);
}

/**
 * Reads the fragment: #config=<value>. Returns the value, or null; anything else is a note.
 * @param {string} hash  location.hash
 * @returns {{config: string|null, notes: string[]}}
 */
export function readFragment(hash) {
  const h = (hash || '').replace(/^#/, '');
  if (!h) return { config: null, notes: [] };
  const m = /^config=([A-Za-z0-9_-]+)$/.exec(h);
  if (m) return { config: m[1], notes: [] };
  let shown = h;
  try {
    shown = decodeURIComponent(h);
  } catch { /* show it as it came */ }
  return { config: null, notes: [`Ignored the link’s fragment ${quote(`#${shown}`)}: only #config=… is read.`] };
}
