// The bad-input corpus (tests/bad_inputs/cases.json, the same 100 cases tests/bad_inputs_test.cpp runs through
// the core and the CLI) through the WebAssembly module: every case comes back as {"ok": false} with its
// expected error code (and JSON path where given), never a thrown exception, and byte for byte the text
// `build/llmsizer --request FILE --json` prints. Generated cases are built exactly as the C++ test builds
// them; the one case of raw invalid UTF-8 goes in as bytes (embind takes a Uint8Array for a std::string).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'build/llmsizer');
const SITE = path.join(ROOT, 'build-wasm/site');
const CASES = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests/bad_inputs/cases.json'), 'utf8'));

// core/include/llmsizer/api.h kMaxRequestBytes and core/include/llmsizer/config.h kMaxConfigBytes.
const MAX_REQUEST = 32 << 20;
const MAX_CONFIG = 4 << 20;

/** The request bytes of a case, as tests/bad_inputs_test.cpp makes them (nlohmann's dump() = JSON.stringify here). */
function bytesOf(c) {
  if ('raw' in c) return Buffer.from(c.raw, 'utf8');
  if ('raw_hex' in c) return Buffer.from(c.raw_hex, 'hex');
  if ('request' in c) return Buffer.from(JSON.stringify(c.request), 'utf8');
  switch (c.generate) {
    case 'deep_array': return Buffer.from('['.repeat(100000) + ']'.repeat(100000));
    case 'deep_config': return Buffer.from(`{"config": ${'{'.repeat(80)}${'}'.repeat(80)}}`);
    case 'huge_request': return Buffer.from(`{"model_id": "${'x'.repeat(MAX_REQUEST)}"}`);
    case 'huge_config': return Buffer.from(JSON.stringify({ config: `{"x": "${'a'.repeat(MAX_CONFIG)}"}` }));
    default: throw new Error(`unknown generator ${c.generate}`);
  }
}

let module;
let dir;

before(async () => {
  for (const f of [CLI, path.join(SITE, 'llmsizer.mjs'), path.join(SITE, 'llmsizer.wasm')]) {
    assert.ok(fs.existsSync(f), `${f} is missing: build first (scripts/test.sh builds build/ and build-wasm/)`);
  }
  const factory = (await import(path.join(SITE, 'llmsizer.mjs'))).default;
  module = await factory({ wasmBinary: fs.readFileSync(path.join(SITE, 'llmsizer.wasm')) });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llmsizer-bad-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('bad inputs: ok:false with the expected code, WASM == CLI byte for byte', () => {
  test('the corpus is loaded and has its 100 cases', () => {
    assert.ok(CASES.length >= 100, `${CASES.length} cases`);
    assert.equal(new Set(CASES.map((c) => c.id)).size, CASES.length);
  });
  for (const c of CASES) {
    test(c.id, () => {
      const bytes = bytesOf(c);
      const text = bytes.toString('utf8');
      // Valid UTF-8 goes in as a string, as the page sends it; anything else as the bytes themselves.
      const input = Buffer.from(text, 'utf8').equals(bytes) ? text : new Uint8Array(bytes);
      let out;
      assert.doesNotThrow(() => { out = module.estimateJson(input); }, c.id);
      const r = JSON.parse(out);
      assert.equal(r.ok, false, c.id);
      assert.equal(r.error.code, c.code, `${c.id}: ${r.error.message}`);
      if (c.path) assert.equal(r.error.path, c.path, c.id);
      assert.ok(r.error.message.length > 10, c.id);
      const file = path.join(dir, `${c.id}.json`);
      fs.writeFileSync(file, bytes);
      let cliOut;
      try {
        execFileSync(CLI, ['--request', file, '--json'], { maxBuffer: 64 << 20 });
        assert.fail(`${c.id}: the CLI exited 0`);
      } catch (e) {
        assert.equal(e.status, 1, `${c.id}: exit status ${e.status}`);
        cliOut = e.stdout;
      }
      assert.ok(Buffer.from(`${out}\n`, 'utf8').equals(cliOut), `${c.id}:\nwasm ${out.slice(0, 300)}\ncli  ${cliOut.toString().slice(0, 300)}`);
    });
  }
});

describe('bad inputs through the lite core: the full core\'s answer, or "load the full core"', () => {
  let liteModule;
  before(async () => {
    const factory = (await import(path.join(SITE, 'llmsizer-lite.mjs'))).default;
    liteModule = await factory({ wasmBinary: fs.readFileSync(path.join(SITE, 'llmsizer-lite.wasm')) });
  });
  for (const c of CASES) {
    test(c.id, () => {
      const bytes = bytesOf(c);
      const text = bytes.toString('utf8');
      const input = Buffer.from(text, 'utf8').equals(bytes) ? text : new Uint8Array(bytes);
      let fromLite;
      assert.doesNotThrow(() => { fromLite = liteModule.estimateJson(input); }, c.id);
      const r = JSON.parse(fromLite);
      assert.equal(r.ok, false, c.id);
      if (r.error.code !== 'needs_full_module') assert.equal(fromLite, module.estimateJson(input), c.id);
    });
  }
});
