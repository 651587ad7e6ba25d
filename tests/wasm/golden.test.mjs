// The WebAssembly module against the native CLI: for every golden request in tests/golden/, the response text
// of the WASM build (through the page's wrapper, build-wasm/site/llmsizer.js) is byte-identical to
// `build/llmsizer --request FILE --json` (whose stdout is that text plus a newline). Malformed input comes back
// as {"ok": false} with the core's error code, never as a thrown exception.
//
// Needs build/llmsizer and build-wasm/site/ (scripts/test.sh builds both first); fails loudly when missing.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'build/llmsizer');
const SITE = path.join(ROOT, 'build-wasm/site');
const GOLDEN = path.join(ROOT, 'tests/golden');

// Requests are NAME.json / NAME.txt; NAME.response.json is the stored answer (tests/golden_test.cpp checks it natively).
const cases = fs.readdirSync(GOLDEN).filter((f) => /\.(json|txt)$/.test(f) && !f.endsWith('.response.json')).sort();
const stored = (name) => fs.readFileSync(path.join(GOLDEN, name.replace(/\.(json|txt)$/, '.response.json')), 'utf8');

/** Runs the CLI on a request file; returns stdout (the CLI exits 1 on {"ok": false}). */
function cli(file) {
  try {
    return execFileSync(CLI, ['--request', file, '--json'], { encoding: 'utf8' });
  } catch (e) {
    if (e.status === 1 && typeof e.stdout === 'string') return e.stdout;
    throw e;
  }
}

// Facts a few golden responses must show, so the identity test is not two empty strings agreeing.
// Parameter counts are the Hub's exact safetensors totals (README "Parameters"); KV bytes per token are
// 2 (K and V) x KV heads per GPU x head_dim x bytes x layers, computed by hand from the config.
const EXPECT = {
  // Llama-3.1-8B: 8 KV heads / tp 2 = 4 per GPU, head_dim 128, fp8 = 1 byte, 32 layers: 2*4*128*1*32 = 32768.
  'llama-3.1-8b-tp2-kvfp8.json': (r) => {
    assert.equal(r.model.parameters, 8030261248);
    assert.equal(r.memory.kv_cache_bytes_per_token, 32768);
    assert.equal(r.layout.tp, 2);
    assert.equal(r.precision.kv_cache, 'fp8');
  },
  // Llama-2-7B preset (float16): 32 KV heads x 128 x 2 bytes x 2 x 32 layers = 524288 bytes per token.
  'preset-llama-2-7b-h100.json': (r) => {
    assert.equal(r.model.parameters, 6738415616);
    assert.equal(r.memory.kv_cache_bytes_per_token, 524288);
    assert.equal(r.memory.kv_cache_bytes, 524288 * 4096 * 8);
  },
  // gpt2 in fp32: 2 x 12 heads x 64 x 4 bytes x 12 layers = 73728 bytes per token.
  'preset-gpt2-a100-fp32.json': (r) => {
    assert.equal(r.model.parameters, 124439808);
    assert.equal(r.memory.kv_cache_bytes_per_token, 73728);
  },
  'mixtral-8x7b-fp8-tp4.json': (r) => assert.equal(r.model.parameters, 46702792704),
  'qwen2.5-7b-safetensors.json': (r) => {
    assert.equal(r.model.parameters_source, 'safetensors');
    assert.equal(r.model.parameters, 7615616512);
    assert.equal(r.model.id, 'Qwen/Qwen2.5-7B-Instruct');
  },
  'gemma-3-27b-it-text-config-nf4.json': (r) => assert.equal(r.model.num_hidden_layers, 62),
  'qwen3-30b-a3b-tp8-pp2-dp2.json': (r) => {
    assert.deepEqual([r.layout.tp, r.layout.pp, r.layout.dp, r.layout.gpus], [8, 2, 2, 32]);
    assert.equal(r.memory.per_gpu.length, 2);
  },
  'unknown-architecture-generic.json': (r) =>
    assert.ok(r.warnings.some((w) => w.code === 'generic_architecture')),
  'warnings-context-and-tp.json': (r) => {
    const codes = r.warnings.map((w) => w.code);
    assert.ok(codes.includes('tp_not_dividing_heads'));
    assert.ok(codes.includes('context_beyond_max_position'));
  },
  'error-malformed-json.txt': (r) => assert.equal(r.error.code, 'invalid_json'),
  'error-not-an-object.json': (r) => assert.equal(r.error.code, 'not_an_object'),
  'error-unknown-key.json': (r) => assert.deepEqual([r.error.code, r.error.path], ['invalid_request', '/contxt']),
  'error-context-out-of-range.json': (r) => assert.deepEqual([r.error.code, r.error.path], ['invalid_request', '/context']),
  'error-unknown-gpu.json': (r) => assert.deepEqual([r.error.code, r.error.path], ['unknown_gpu', '/gpu']),
  'error-unknown-preset.json': (r) => assert.deepEqual([r.error.code, r.error.path], ['unknown_model', '/model']),
  'error-gpus-not-multiple-of-tp.json': (r) => assert.equal(r.error.code, 'conflicting_options'),
  'error-bad-dtype.json': (r) => assert.deepEqual([r.error.code, r.error.path], ['invalid_request', '/dtype']),
  'error-config-missing-hidden-size.json': (r) =>
    assert.deepEqual([r.error.code, r.error.path], ['missing_key', '/hidden_size']),
  'error-config-and-preset.json': (r) => assert.equal(r.error.code, 'conflicting_options'),
  'error-batch-not-whole.json': (r) => assert.deepEqual([r.error.code, r.error.path], ['invalid_request', '/batch']),
};

let api;
let lite;
let EstimateError;

before(async () => {
  for (const f of [CLI, path.join(SITE, 'llmsizer.js'), path.join(SITE, 'llmsizer.wasm')]) {
    assert.ok(fs.existsSync(f), `${f} is missing: build first (scripts/test.sh builds build/ and build-wasm/)`);
  }
  const mod = await import(path.join(SITE, 'llmsizer.js'));
  EstimateError = mod.EstimateError;
  api = await mod.createLlmsizer({ variant: 'full', wasmBinary: fs.readFileSync(path.join(SITE, 'llmsizer.wasm')) });
  lite = await mod.createLlmsizer({
    wasmBinary: fs.readFileSync(path.join(SITE, 'llmsizer-lite.wasm')),
    fullWasmBinary: fs.readFileSync(path.join(SITE, 'llmsizer.wasm')),
  });
});

describe('golden requests: WASM == CLI, byte for byte', () => {
  test('the golden set is not empty and mixes successes and errors', () => {
    assert.ok(cases.length >= 40, `only ${cases.length} golden requests`);
    assert.ok(cases.filter((c) => c.startsWith('error-')).length >= 8);
  });
  for (const name of cases) {
    test(name, () => {
      const file = path.join(GOLDEN, name);
      const text = fs.readFileSync(file, 'utf8');
      const fromWasm = api.estimateText(text);
      const fromCli = cli(file);
      assert.equal(fromCli, fromWasm + '\n');
      assert.equal(stored(name), fromWasm + '\n', `${name}: the WASM answer differs from its golden response`);
      const r = JSON.parse(fromWasm);
      assert.equal(r.ok, !name.startsWith('error-'), `ok flag of ${name}: ${fromWasm.slice(0, 300)}`);
      if (r.ok) {
        // Every success carries the whole breakdown as integers.
        for (const k of ['weights_bytes', 'kv_cache_bytes', 'activations_bytes', 'overhead_bytes', 'total_bytes']) {
          assert.ok(Number.isInteger(r.memory[k]), `${k} = ${r.memory[k]}`);
        }
        assert.equal(r.memory.total_bytes,
          r.memory.weights_bytes + r.memory.kv_cache_bytes + r.memory.activations_bytes + r.memory.overhead_bytes);
      } else {
        assert.equal(typeof r.error.message, 'string');
        assert.ok(r.error.message.length > 10);
      }
      if (EXPECT[name]) EXPECT[name](r);
    });
  }
  test('every expectation names an existing golden file', () => {
    for (const k of Object.keys(EXPECT)) assert.ok(cases.includes(k), k);
  });
});

describe('the lite core (the page loads it first): the same bytes, or "load the full core"', () => {
  test('it is the lite core until loadFull()', () => assert.equal(lite.full, false));
  for (const name of cases) {
    test(name, () => {
      const file = path.join(GOLDEN, name);
      const text = fs.readFileSync(file, 'utf8');
      const fromLite = lite.estimateText(text);
      let req = {};
      try {
        req = JSON.parse(text);
      } catch {
        // not JSON: both cores answer invalid_json
      }
      if (req === null || typeof req !== 'object') req = {};
      // The lite core answers inference with the generic engine for decoders; the rest (other engines, encoders
      // such as the encoder-* requests) goes to the full core.
      const encoder = name.startsWith('encoder-');
      // Vision-language models (a vision_config; model.kind in the full core's answer) and image requests too.
      const full = JSON.parse(api.estimateText(text));
      const vision = (full.ok && full.model.kind === 'vision-language') || 'images' in req || 'image_size' in req;
      const liteOnly = (!req.engine || req.engine === 'generic') && !encoder && !vision && !req.gguf &&
        (!req.mode || req.mode === 'inference') && !req.recommend &&
        ['ctk', 'ctv', 'np', 'ngl', 'ubatch', 'n_batch', 'ctx_size', 'flash_attn', 'swa_full', 'kv_unified',
          'optimizer', 'micro_batch', 'seq_len', 'lora_rank', 'lora_targets', 'zero'].every((k) => !(k in req)) &&
        (!req.dtype || ['auto', 'fp32', 'fp16', 'bf16', 'float32', 'float16', 'bfloat16', 'fp8', 'int8', 'int4', 'nf4']
          .includes(req.dtype));
      if (liteOnly) {
        assert.equal(fromLite, api.estimateText(text), `${name}: the lite core must answer as the full one`);
      } else {
        assert.equal(JSON.parse(fromLite).error.code, 'needs_full_module', `${name}: ${fromLite.slice(0, 200)}`);
      }
    });
  }
  test('loadFull() switches to the full core, which answers everything', async () => {
    const text = JSON.stringify({ model: 'Qwen/Qwen2.5-7B-Instruct', engine: 'llama.cpp' });
    assert.equal(JSON.parse(lite.estimateText(text)).error.code, 'needs_full_module');
    await lite.loadFull();
    assert.equal(lite.full, true);
    assert.equal(lite.estimateText(text), api.estimateText(text));
  });
});

describe('malformed input never throws out of the module', () => {
  const bad = [
    ['empty text', '', 'invalid_json'],
    ['whitespace', '   \n', 'invalid_json'],
    ['truncated', '{"model":', 'invalid_json'],
    ['a number', '42', 'not_an_object'],
    ['a string', '"hello"', 'not_an_object'],
    ['null', 'null', 'not_an_object'],
    ['config of the wrong type', '{"config": 12}', 'invalid_request'],
    ['safetensors of the wrong type', '{"model": "openai-community/gpt2", "safetensors": {"BF16": -1}}', 'invalid_request'],
    ['config text that is not JSON', '{"config": "{not json"}', 'invalid_json'],
    ['invalid UTF-8 escape', '{"model": "\\ud800"}', null],
  ];
  for (const [label, text, code] of bad) {
    test(label, () => {
      const r = JSON.parse(api.estimateText(text));
      assert.equal(r.ok, false);
      if (code) assert.equal(r.error.code, code);
    });
  }
  test('a request over the 8 MiB limit is refused, not parsed', () => {
    const huge = '{"model": "' + 'x'.repeat(9 << 20) + '"}';
    const r = JSON.parse(api.estimateText(huge));
    assert.equal(r.ok, false);
  });
  test('estimate() throws EstimateError with the core code and path', () => {
    assert.throws(() => api.estimate({ model: 'openai-community/gpt2', context: -5 }), (e) => {
      assert.ok(e instanceof EstimateError);
      assert.equal(e.code, 'invalid_request');
      assert.equal(e.path, '/context');
      return true;
    });
  });
  test('estimateText() refuses a non-string instead of passing it to embind', () => {
    assert.throws(() => api.estimateText({ model: 'x' }), TypeError);
  });
  test('the module still answers after errors', () => {
    const r = api.estimate({ model: 'openai-community/gpt2', gpu: 'nvidia-h100-sxm', batch: 2 });
    assert.equal(r.model.parameters, 124439808);
  });
});

describe('catalog and version', () => {
  test('catalog lists the GPU and model presets and the engines', () => {
    const c = api.catalog();
    assert.ok(c.gpus.some((g) => g.id === 'nvidia-h100-sxm'));
    assert.ok(c.models.length >= 2);
    assert.ok(Array.isArray(c.engines) && c.engines.includes('generic'));
    const list = JSON.parse(execFileSync(CLI, ['--list-gpus', '--json'], { encoding: 'utf8' }));
    assert.deepEqual(c.gpus, list);
  });
  test('the page takes every share-URL field\'s limits and defaults from the core\'s field table', async () => {
    const { PARAMS, applyCatalogue } = await import('../../web/state.js');
    const c = api.catalog();
    assert.deepEqual(applyCatalogue(c), [], 'every request key the page writes is a field of the core');
    const fields = new Map(c.fields.map((f) => [f.key, f]));
    const byKey = new Map(PARAMS.map((p) => [p.key, p]));
    // The core's maxima (core/src/api/request.cpp kFields); the page keeps its minimum of 1 where the core
    // reads 0 as "default" (context: 0..1e8 in the core).
    assert.equal(byKey.get('ctx').max, fields.get('context').max);
    assert.equal(byKey.get('ctx').min, 1);
    assert.equal(byKey.get('gmu').min, fields.get('gpu_memory_utilization').min);
    assert.equal(byKey.get('reserve').max, 0.9);
    assert.equal(byKey.get('engine').def, 'generic');
    for (const p of PARAMS) {
      if (p.kind !== 'int' && p.kind !== 'number') continue;
      const f = fields.get(p.req);
      assert.ok(p.min >= f.min && p.max === f.max, `${p.key}: ${p.min}..${p.max} vs the core's ${f.min}..${f.max}`);
    }
  });
  test('version matches the CLI', () => {
    const v = execFileSync(CLI, ['--version'], { encoding: 'utf8' }).trim();
    assert.equal(v, `llmsizer ${api.version()}`);
  });
});
