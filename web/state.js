// state.js — the page's inputs as a share URL, and back. No DOM here (node:test imports it).
//
// Every input lives in the query string under a short key; a pasted config.json travels compressed in the
// fragment (#config=<deflate-raw, base64url>), which browsers never send to a server. The access token is
// not an input here and never enters a URL.
//
//   ?preset=Qwen/Qwen2.5-7B-Instruct            a bundled preset (offline)
//   ?model=org/name&rev=main                    a Hub model, fetched from huggingface.co
//   &gpu=nvidia-h100-sxm&n=2&tp=2&pp=1&dtype=bf16&kv=fp8&ctx=32768&batch=16&reserve=0.2&engine=generic
//
// A parameter that is unknown, malformed or out of range is dropped with a note the page shows; values are
// only ever compared against lists and ranges, never evaluated or written into markup.

export const DTYPES = ['auto', 'fp32', 'fp16', 'bf16', 'fp8', 'int8', 'int4', 'nf4'];
export const KV_DTYPES = ['auto', 'fp16', 'bf16', 'fp8', 'int8', 'int4'];

/**
 * The URL keys, in the order they are written, with the request key each maps to and what is accepted.
 * Numeric ranges are the core's (core/src/api.cpp fields()); the core checks them again. `list` names a
 * catalogue list ("gpus", "models", "engines", "modes") whose ids are the accepted values.
 * @type {Array<{key: string, req?: string, kind: string, min?: number, max?: number, values?: string[],
 *               list?: string, def?: string, label: string}>}
 */
export const PARAMS = [
  { key: 'preset', kind: 'enum', list: 'models', label: 'bundled preset' },
  { key: 'model', req: 'model_id', kind: 'repo', label: 'Hub repo id (org/name)' },
  { key: 'rev', req: 'revision', kind: 'rev', label: 'Hub revision' },
  { key: 'mode', req: 'mode', kind: 'enum', list: 'modes', def: 'inference', label: 'mode' },
  { key: 'engine', req: 'engine', kind: 'enum', list: 'engines', def: 'generic', label: 'serving engine' },
  { key: 'gpu', req: 'gpu', kind: 'enum', list: 'gpus', label: 'GPU preset id' },
  { key: 'n', req: 'gpus', kind: 'int', min: 1, max: 4096, label: 'GPU count' },
  { key: 'tp', req: 'tp', kind: 'int', min: 1, max: 512, label: 'tensor-parallel size' },
  { key: 'pp', req: 'pp', kind: 'int', min: 1, max: 1024, label: 'pipeline stages' },
  { key: 'dtype', req: 'dtype', kind: 'enum', values: DTYPES, def: 'auto', label: 'weight precision' },
  { key: 'kv', req: 'kv_dtype', kind: 'enum', values: KV_DTYPES, def: 'auto', label: 'KV-cache precision' },
  { key: 'ctx', req: 'context', kind: 'int', min: 1, max: 1e8, label: 'context length' },
  { key: 'batch', req: 'batch', kind: 'int', min: 1, max: 1e6, label: 'concurrent sequences' },
  { key: 'reserve', req: 'reserve', kind: 'number', min: 0, max: 0.9, label: 'safety reserve (fraction)' },
];
const BY_KEY = new Map(PARAMS.map((p) => [p.key, p]));

// Same rules as hf.js parseModelLink for a bare repo id and a revision.
const REPO = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_])?(?:\/[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_])?)?$/;
const REV = /^[A-Za-z0-9._\-/]{1,200}$/;
const INT = /^[0-9]{1,15}$/;
const NUM = /^(?:[0-9]{1,15}(?:\.[0-9]{1,12})?|\.[0-9]{1,12})$/;

/** Text of a value for a note: short, and only ever placed with textContent. */
export function quote(v) {
  const s = String(v);
  return `“${s.length > 60 ? `${s.slice(0, 60)}…` : s}”`;
}

/**
 * Checks one value against its parameter. Returns the accepted value (a string for enums and ids, a number
 * for numbers) or an Error whose message says what is accepted.
 * @param {{kind: string, min?: number, max?: number, values?: string[], list?: string, label: string}} p
 * @param {string} raw
 * @param {Object} catalog  {gpus, models, engines?, modes?}
 */
export function checkValue(p, raw, catalog) {
  const bad = (why) => new Error(`Ignored ${p.key}=${quote(raw)}: ${why}.`);
  switch (p.kind) {
    case 'int':
    case 'number': {
      const re = p.kind === 'int' ? INT : NUM;
      if (!re.test(raw)) return bad(`expected ${p.kind === 'int' ? 'a whole number' : 'a number'} from ${p.min} to ${p.max}`);
      const v = Number(raw);
      if (!(v >= p.min && v <= p.max)) return bad(`out of range (${p.label}: ${p.min} to ${p.max})`);
      return v;
    }
    case 'enum': {
      const values = p.values || listIds(catalog, p.list);
      if (!values) return bad(`this build has no ${p.label} choice`);
      if (!values.includes(raw)) return bad(`not a known ${p.label}`);
      return raw;
    }
    case 'repo':
      return REPO.test(raw) && !raw.includes('..') ? raw : bad('not a Hub repo id such as org/name');
    case 'rev':
      return REV.test(raw) && !raw.includes('..') ? raw : bad('not a revision name');
    default:
      return bad('unsupported');
  }
}

/** Ids of a catalogue list (gpus/models: objects with id; engines/modes: strings or {id}). */
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
    if (++count > 64) {
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
  if (values.rev !== undefined && values.model === undefined) {
    notes.push(`Ignored rev=${quote(values.rev)}: it only applies with model=.`);
    delete values.rev;
  }
  if (values.preset !== undefined && values.model !== undefined) {
    notes.push(`Ignored preset=${quote(values.preset)}: model= is given too, and it wins.`);
    delete values.preset;
  }
  return { values, notes };
}

/** Query-string text for `values` (keys in PARAMS order; '/' left readable). Empty values are skipped. */
export function writeQuery(values) {
  const parts = [];
  for (const p of PARAMS) {
    const v = values[p.key];
    if (v === undefined || v === null || v === '') continue;
    parts.push(`${p.key}=${encodeURIComponent(String(v)).replace(/%2F/g, '/')}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

// ---- the pasted config in the fragment: deflate-raw (CompressionStream) + base64url --------------------

const MAX_FRAGMENT_CONFIG = 4 << 20;  // inflated bytes accepted from a link (a config.json is a few KB)

function toBase64url(bytes) {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
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
  const deflated = await pipe(new TextEncoder().encode(text), new CompressionStream('deflate-raw'));
  return toBase64url(deflated);
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
