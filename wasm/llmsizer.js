// llmsizer.js — the JavaScript face of the core: `await createLlmsizer()`, then JSON in, JSON out.
//
// A thin wrapper over the Emscripten module (llmsizer.mjs + llmsizer.wasm, built from wasm/bindings.cpp).
// The core never throws across the boundary: every failure comes back as {"ok": false, "error": {...}},
// which `estimate()` turns into an EstimateError carrying the core's error code, message and JSON path.
// `estimateText()` returns the core's response text untouched (byte-identical to `llmsizer --request F --json`).
//
// Two builds of the core: the lite one (llmsizer-lite.mjs/.wasm, ~100 KB gz: inference with the generic and
// vLLM engines) loads first; the full one (llmsizer.mjs/.wasm: every engine, GGUF, fine-tuning, GPU
// recommendations) loads on demand. The lite core answers exactly what the full one would, or
// {"ok": false, "error": {"code": "needs_full_module"}}: then `await loadFull()` and ask again (the caller
// decides when, since answers are synchronous). After loadFull() every call goes to the full core.
//
// Works in the browser (each module fetches its .wasm next to itself) and in Node (pass
// `{variant: 'full' | 'lite', wasmBinary: fs.readFileSync(...)}`; for loadFull() under Node also
// `fullWasmBinary`): the modules are web/worker builds.

import createLiteModule from './llmsizer-lite.mjs';

/**
 * A request: the keys of core/src/api/api.cpp `fields()` (see `llmsizer --help`). Every key is optional except a
 * model (`config` or `model`). Unknown keys are an error.
 * @typedef {Object} EstimateRequest
 * @property {Object|string} [config]  a config.json object (or its text)
 * @property {string} [model]          a bundled preset id, e.g. "Qwen/Qwen2.5-7B-Instruct"
 * @property {string} [model_id]       Hub repo id (labels only)
 * @property {string} [revision]       Hub revision (labels only)
 * @property {Object<string, number>} [safetensors]  exact parameter counts by dtype from the Hub ({"BF16": n})
 * @property {string} [gpu]            GPU preset id, e.g. "nvidia-h100-sxm"
 * @property {number} [gpu_memory_gib] a custom GPU's memory in GiB (2^30 bytes)
 * @property {number} [gpus]           GPUs in the deployment (default tp × pp)
 * @property {number} [tp]             tensor-parallel size
 * @property {number} [pp]             pipeline-parallel stages
 * @property {string} [dtype]          weights: auto|fp32|fp16|bf16|fp8|int8|int4|nf4
 * @property {string} [kv_dtype]       KV cache: auto|fp16|bf16|fp8|int8|int4
 * @property {number} [context]        tokens per sequence (default min(max_position_embeddings, 8192))
 * @property {number} [batch]          concurrent sequences
 * @property {number} [reserve]        fraction of GPU memory kept free (default 0.2)
 * @property {string} [engine]         serving engine (catalog().engines)
 * @property {Array<Object|string>} [gguf]  GGUF header summaries (ggufText) or base64 header bytes, one per part
 * (and every other key of `llmsizer --help`: engine options, speed, training, recommendations)
 */

/**
 * The core's error value.
 * @typedef {Object} CoreError
 * @property {string} code     e.g. "invalid_json", "invalid_request", "unknown_gpu"
 * @property {string} message  what is wrong and what to do
 * @property {string} [path]   JSON pointer into the request, e.g. "/context"
 */

/**
 * A successful response (README "JSON contract"): sections model, precision, layout, workload, memory,
 * serving, warnings, assumptions (+ speed, training, recommendations when the core computes them).
 * Byte values are integers named *_bytes.
 * @typedef {Object} EstimateResponse
 * @property {true} ok
 * @property {string} version
 * @property {Object} model
 * @property {Object} memory
 * @property {Object} serving
 * @property {Array<{code: string, message: string}>} warnings
 * @property {string[]} assumptions
 */

/**
 * The presets compiled into the core.
 * @typedef {Object} Catalog
 * @property {Array<{id: string, vendor: string, name: string, memory_gib: number, memory_bytes: number}>} gpus
 * @property {Array<{id: string, name: string, gated: boolean}>} models
 * @property {string[]} [engines]  engine names the request's "engine" accepts
 * @property {string[]} [modes]    estimate modes the request's "mode" accepts (inference, full, lora, qlora)
 */

/** Thrown by `estimate()` when the core answers {"ok": false}. */
export class EstimateError extends Error {
  /**
   * @param {string} code
   * @param {string} message
   * @param {string} [path]
   */
  constructor(code, message, path) {
    super(message);
    this.name = 'EstimateError';
    /** @type {string} */
    this.code = code;
    /** @type {string|undefined} */
    this.path = path;
  }
}

/**
 * @typedef {Object} Llmsizer
 * @property {() => string} version
 * @property {() => Catalog} catalog
 * @property {(requestText: string) => string} estimateText  the core's response text, untouched
 * @property {(request: EstimateRequest|string) => EstimateResponse} estimate  throws EstimateError
 * @property {(base64: string) => string} ggufText  a GGUF header (base64 of the file's first bytes) -> the core's
 *   JSON text: {"ok": true, "summary": {...}} (what the request's "gguf" list takes) or {"ok": false, "error",
 *   "bytes_needed"} when the header goes on past the bytes given (the lite core: needs_full_module)
 * @property {() => Promise<void>} loadFull  loads the full core; later calls go to it
 * @property {boolean} full  whether the full core answers
 */

/**
 * Loads a core: the lite one unless `options.variant` is 'full'. Other options go to the Emscripten factory
 * (e.g. `{wasmBinary}` under Node); `options.fullWasmBinary` is what loadFull() hands the full factory.
 * @param {{variant?: 'lite'|'full', wasmBinary?: Uint8Array, fullWasmBinary?: Uint8Array}} [options]
 * @returns {Promise<Llmsizer>}
 */
export async function createLlmsizer(options = {}) {
  const { variant = 'lite', fullWasmBinary, ...factoryOptions } = options;
  async function createFull(opts) {
    const { default: createFullModule } = await import('./llmsizer.mjs');
    return createFullModule(opts);
  }
  let full = variant === 'full';
  let m = full ? await createFull(factoryOptions) : await createLiteModule(factoryOptions);
  /** @type {Promise<void>|null} */
  let loading = null;

  /** Loads the full core (once); afterwards every call goes to it. */
  function loadFull() {
    if (full) return Promise.resolve();
    if (!loading) {
      loading = createFull(fullWasmBinary ? { wasmBinary: fullWasmBinary } : {}).then(
        (fm) => {
          m = fm;
          full = true;
        },
        (e) => {
          loading = null;  // a failed download can be tried again
          throw e;
        },
      );
    }
    return loading;
  }

  /** @param {string} text */
  function estimateText(text) {
    if (typeof text !== 'string') {
      throw new TypeError('estimateText takes the request as JSON text; use estimate() for an object');
    }
    return m.estimateJson(text);
  }

  /** @param {EstimateRequest|string} request */
  function estimate(request) {
    const text = typeof request === 'string' ? request : JSON.stringify(request);
    if (text === undefined) throw new EstimateError('invalid_request', 'the request must be a JSON object');
    const response = JSON.parse(m.estimateJson(text));
    if (!response.ok) {
      const e = response.error || {};
      throw new EstimateError(e.code || 'internal', e.message || 'unknown error', e.path);
    }
    return response;
  }

  function catalog() {
    const c = JSON.parse(m.catalogJson());
    if (!c.ok) throw new EstimateError(c.error.code, c.error.message, c.error.path);
    return c;
  }

  return {
    version: () => m.version(),
    catalog,
    estimateText,
    estimate,
    ggufText: (b64) => m.ggufJson(String(b64)),
    loadFull,
    /** Whether the full core answers (after loadFull(), or when created with variant 'full'). */
    get full() {
      return full;
    },
  };
}
