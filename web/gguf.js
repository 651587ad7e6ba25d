// gguf.js — GGUF repositories (…-GGUF links have no config.json): list the repo's .gguf files, group the
// parts of split files, pick one (a Q4_K_M when there is one), and read each part's header with HTTP Range
// requests. The core parses the header (ggufJson in the WASM module: core/include/llmsizer/gguf.h) and says
// how many bytes it needs when the range fell short; the range grows until the header parses, up to 64 MiB.
// The page sends the parsed summaries in the request's "gguf" list. Loaded on demand. No DOM here except
// renderGguf (node:test imports the rest).

import { fileUrl, getJson, hubGet, HubError, PASTE, statusMessage, treeUrl } from './hf.js';
import { toBase64 } from './state.js';

export const FIRST_RANGE = 1 << 20;
export const MAX_HEADER = 64 << 20;
const PART = /^(.*)-([0-9]{5})-of-([0-9]{5})\.gguf$/i;
const PATH = /^(?:[A-Za-z0-9_+-][A-Za-z0-9._+-]{0,199}\/){0,4}[A-Za-z0-9_+-][A-Za-z0-9._+-]{0,199}\.gguf$/i;

/** The file name without folders and ".gguf": what llama-server's -m names (and the CLI uses as model_id). */
export function stem(path) {
  return path.split('/').pop().replace(/\.gguf$/i, '');
}

/**
 * The .gguf files of a Hub tree listing, split parts grouped (named by their first part). Multimodal
 * projectors (mmproj-*.gguf) are left out: they are not language models. Names the page cannot put in a
 * URL and incomplete splits are left out too.
 * @param {Array<{type: string, path: string, size?: number, lfs?: {size: number}}>} tree
 * @returns {{files: Array<{path: string, parts: string[], size: number|null}>, skipped: string[]}}
 */
export function ggufFiles(tree) {
  const files = [];
  const skipped = [];
  const splits = new Map();
  for (const e of Array.isArray(tree) ? tree : []) {
    if (!e || e.type !== 'file' || typeof e.path !== 'string' || !/\.gguf$/i.test(e.path)) continue;
    if (!PATH.test(e.path) || e.path.includes('..')) {
      skipped.push(e.path.slice(0, 80));
      continue;
    }
    if (/^mmproj/i.test(e.path.split('/').pop())) continue;
    const size = Number.isSafeInteger(e.lfs?.size) ? e.lfs.size : Number.isSafeInteger(e.size) ? e.size : null;
    const m = PART.exec(e.path);
    if (!m) {
      files.push({ path: e.path, parts: [e.path], size });
      continue;
    }
    const key = `${m[1]}|${m[3]}`;
    if (!splits.has(key)) splits.set(key, { count: Number(m[3]), parts: [], sizes: [] });
    splits.get(key).parts[Number(m[2]) - 1] = e.path;
    splits.get(key).sizes[Number(m[2]) - 1] = size;
  }
  for (const { count, parts, sizes } of splits.values()) {
    const complete = count >= 1 && count <= 256 && parts.length === count && parts.every(Boolean);
    // A split file's size is its parts' sizes added (unknown when one is); the listing's sizes are only shown.
    const known = sizes.length === count && sizes.every((x) => x !== null && x !== undefined);
    if (complete) files.push({ path: parts[0], parts, size: known ? sizes.reduce((a, b) => a + b, 0) : null });
    else skipped.push(`${(parts.find(Boolean) || '').slice(0, 80)} (parts missing)`);
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files, skipped };
}

/** The file shown first: a Q4_K_M (the common default of GGUF repos and llama.cpp guides), else the first. */
export function defaultFile(files) {
  return (files.find((f) => /(^|[^a-z0-9])q4_k_m([^a-z0-9]|$)/i.test(stem(f.path))) || files[0])?.path;
}

/** Pages of the file list read at most (the Hub sends 1,000 entries a page). */
export const MAX_TREE_PAGES = 20;

/** Lists the repo's files, following the Hub's pagination (nextPage in hf.js) up to MAX_TREE_PAGES pages. */
export async function listGguf(repo, rev, o) {
  const tree = [];
  let url = treeUrl(repo, rev);
  let pages = 0;
  while (url && pages < MAX_TREE_PAGES) {
    const page = {};
    const part = await getJson(url, repo, rev, o, 'the file list', page);
    pages++;
    if (!Array.isArray(part)) break;
    tree.push(...part);
    url = page.next && page.next !== url ? page.next : null;
  }
  const list = ggufFiles(tree);
  if (url) list.skipped.push(`files after the first ${pages} pages of the listing (${tree.length.toLocaleString('en-US')} entries)`);
  return list;
}

/**
 * Reads one file's header: Range requests from byte 0, growing while the core says it needs more.
 * @param {string} repo @param {string} rev @param {string} path
 * @param {{token?: string, fetch?: typeof fetch, timeoutMs?: number}} o
 * @param {(base64: string) => string} inspect  the module's ggufJson
 * @returns {Promise<Object>} the core's summary of the header
 */
export async function readHeader(repo, rev, path, o, inspect) {
  let have = new Uint8Array(0);
  let want = FIRST_RANGE;
  const bad = (why) => new HubError('gguf', `${path} cannot be read as a GGUF file: ${why}. Pick another file, ${PASTE}.`);
  for (let round = 0; round < 16; round++) {
    const { res, read } = await hubGet(fileUrl(repo, rev, path), { ...o, headers: { Range: `bytes=${have.length}-${want - 1}` } });
    if (res.status === 416) throw bad('the file ends before its header does');
    if (!res.ok) {
      throw new HubError('http', statusMessage(res.status, repo, rev, Boolean(o.token), res.headers.get('retry-after'), path), res.status);
    }
    // 206: the bytes asked for. 200: the server ignored the range and sends the file from byte 0.
    const got = res.status === 206 ? await read(want - have.length, true) : (await read(want, true)).subarray(have.length);
    const next = new Uint8Array(have.length + got.length);
    next.set(have);
    next.set(got, have.length);
    const ended = have.length + got.length < want;
    have = next;
    const r = JSON.parse(inspect(toBase64(have)));
    if (r.ok) return r.summary;
    const needed = Number(r.bytes_needed) || 0;
    if (!needed || ended) throw bad(r.error ? r.error.message : 'not a GGUF header');
    if (needed > MAX_HEADER) throw bad(`its header needs ${needed.toLocaleString('en-US')} bytes, more than the page reads (64 MiB)`);
    want = Math.min(MAX_HEADER, Math.max(needed, want * 2));
  }
  throw bad('its header did not parse after 16 range requests');
}

/** The response's gguf section: the file as the core read it. */
export function renderGguf(h, gib, count, g) {
  const dl = h('dl', { class: 'kv' });
  const row = (k, v, key) => dl.append(h('dt', null, k), h('dd', { 'data-key': key }, v));
  row('File type', `${g.file_type_name || '–'} (${g.bits_per_weight} bits per weight over the file)`, 'gguf_file_type');
  row('Weights in the file', `${gib(g.weights_bytes)} GiB in ${count(g.tensors)} tensors, ${count(g.parts)} part${g.parts === 1 ? '' : 's'}`, 'gguf_weights');
  if (g.input_bytes > 0) {
    row('Token embeddings', `${gib(g.input_bytes)} GiB of them (token_embd): llama.cpp keeps these in host memory, not on a GPU`, 'gguf_input');
  }
  row('Parameters', count(g.parameters), 'gguf_parameters');
  if (g.bytes_by_type) {
    row('By tensor type', Object.entries(g.bytes_by_type).map(([t, b]) => `${t} ${gib(b)} GiB`).join(', '), 'gguf_types');
  }
  return h('div', null, h('h2', null, `GGUF: ${g.name || g.architecture}`), dl);
}
