// The page's DOM-free modules, second part: the lists and ranges the page offers are the core's (checked
// against `llmsizer --help`, the core's source and the core itself); the new share-URL kinds; the Hub
// requests' deadline, size limit, cut-off bodies and Retry-After (web/hf.js, with a fake fetch); GGUF file
// lists and header reads with growing Range requests (web/gguf.js, with the real WASM parser); and a scan
// of web/ for the DOM calls that parse markup, which the page never uses.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { defaultFile, FIRST_RANGE, ggufFiles, listGguf, MAX_TREE_PAGES, readHeader, stem } from '../../web/gguf.js';
import { fetchModel, fileUrl, HubError, nextPage, parseModelLink, retryAfterText, treeUrl } from '../../web/hf.js';
import { sortRows } from '../../web/recs.js';
import { CACHE_TYPES, CHECKPOINTING, GGUF_TYPES, OPTIMIZERS, PARAMS, readQuery, TRAIN_PRECISIONS, writeQuery } from '../../web/state.js';
import { tinyLlama } from '../browser/gguf_writer.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'build/llmsizer');
const HELP = execFileSync(CLI, ['--help'], { encoding: 'utf8' });

function cli(request) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llmsizer-web2-'));
  const file = path.join(dir, 'r.json');
  fs.writeFileSync(file, JSON.stringify(request));
  try {
    return JSON.parse(execFileSync(CLI, ['--request', file, '--json'], { encoding: 'utf8' }));
  } catch (e) {
    if (e.status === 1) return JSON.parse(e.stdout);
    throw e;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The values a help line lists: "--ctk S   llama.cpp -ctk: K cache type f16|bf16|..." -> [f16, bf16, ...]. */
function helpList(flag) {
  const line = HELP.split('\n').find((l) => l.trimStart().startsWith(`${flag} `));
  assert.ok(line, flag);
  return /([a-z0-9_.-]+(?:\|[a-z0-9_.-]+)+)/i.exec(line)[1].split('|');
}

describe('the choices the page offers are the core\'s', () => {
  test('cache types, optimizers, precisions, checkpointing: as `llmsizer --help` lists them', () => {
    assert.deepEqual([...CACHE_TYPES].sort(), helpList('--ctk').sort());
    assert.deepEqual(OPTIMIZERS, helpList('--optimizer'));
    assert.deepEqual(TRAIN_PRECISIONS, helpList('--training-precision'));
    assert.deepEqual(CHECKPOINTING, helpList('--gradient-checkpointing'));
  });

  test('GGUF file types: the core\'s table (core/src/gguf/quantize.cpp llama_ftypes), in its order, each accepted', () => {
    const src = fs.readFileSync(path.join(ROOT, 'core/src/gguf/quantize.cpp'), 'utf8');
    const names = [...src.matchAll(/\{ftype::k\w+, "([A-Z0-9_]+)", "/g)].map((m) => m[1]);
    assert.ok(names.length >= 30, names.join());
    assert.deepEqual(GGUF_TYPES, names);
    for (const t of ['Q4_K_M', 'IQ2_XXS', 'F16', 'MXFP4_MOE']) {
      const r = cli({ model: 'openai-community/gpt2', engine: 'llama.cpp', dtype: t });
      assert.equal(r.ok, true, t);
      assert.equal(r.precision.weights_method, 'gguf');
    }
  });

  test('every numeric range of a share-URL key lies within the core\'s: both ends are accepted', () => {
    const context = { gmu: 'vllm', mml: 'vllm', mnbt: 'vllm', mns: 'vllm', bs: 'vllm', mfs: 'sglang', np: 'llama.cpp', ngl: 'llama.cpp', ub: 'llama.cpp' };
    const training = ['mb', 'seq', 'rank', 'zero', 'tokens'];
    let checked = 0;
    for (const p of PARAMS) {
      if (p.kind !== 'int' && p.kind !== 'number') continue;
      for (const v of [p.min, p.max]) {
        // micro_batch x seq_len has its own limit (1e8 tokens per step): the largest micro-batch with short sequences.
        const req = { model: 'openai-community/gpt2', [p.req]: v, ...(p.key === 'mb' ? { seq_len: 64 } : {}) };
        if (context[p.key]) req.engine = context[p.key];
        if (training.includes(p.key)) req.mode = 'lora';
        if (p.req === 'tp' || p.req === 'pp') req.gpus = v;
        const r = cli(req);
        // Huge values may fail for what they mean (no layout, too much memory) but never as out of range.
        if (!r.ok) assert.notEqual(`${r.error.code} ${r.error.path}`, `invalid_request /${p.req}`, `${p.key}=${v}: ${r.error.message}`);
        checked++;
      }
    }
    assert.ok(checked >= 40, `${checked} values checked`);
  });
});

describe('share-URL kinds of the engine, training and panel keys', () => {
  const CATALOG = { gpus: [{ id: 'nvidia-h100-sxm' }], models: [], engines: ['generic', 'vllm'], modes: ['inference', 'lora'], vendors: ['AMD', 'NVIDIA'], markets: ['datacenter'] };
  test('round trip', () => {
    const values = { model: 'org/Name-GGUF', rev: 'main', file: 'sub/name-Q4_K_M-00001-of-00002.gguf', engine: 'vllm', gmu: 0.85, eager: '1',
      vllmv: '0.10', fa: '0', targets: 'q_proj,v_proj', zero: 2, tokens: 1e12, rv: 'AMD', rmin: 48, sort: '-tokens_per_second', open: 'speed,recs' };
    const q = writeQuery(values);
    assert.equal(q, '?model=org/Name-GGUF&rev=main&file=sub/name-Q4_K_M-00001-of-00002.gguf&engine=vllm&gmu=0.85&eager=1&vllmv=0.10' +
      '&fa=0&targets=q_proj,v_proj&zero=2&tokens=1000000000000&rv=AMD&rmin=48&sort=-tokens_per_second&open=speed,recs');
    const back = readQuery(q, CATALOG);
    assert.deepEqual(back.notes, []);
    assert.deepEqual(back.values, values);
  });
  test('refusals', () => {
    const cases = [
      ['eager=true', /expected 1 \(on\) or 0 \(off\)/], ['open=speed,speed', /expected some of/], ['open=', /expected some of/],
      ['file=a/../b.gguf', /not a \.gguf file path/], ['file=x.bin', /not a \.gguf file path/], ['file=/abs.gguf', /not a \.gguf file path/],
      ['vllmv=latest', /expected a version/], ['targets=q proj', /expected module names/], ['targets=a,,b', /expected module names/],
      ['ngl=-2', /out of range/], ['ngl=--1', /expected a whole number/], ['gmu=0', /out of range/], ['rv=Nvidia', /not a known vendor/],
      ['sort=-', /not a known recommendations sort/],
    ];
    for (const [q, re] of cases) {
      const r = readQuery(`?model=a/b&${q}`, CATALOG);
      assert.equal(Object.keys(r.values).length, 1, q);
      assert.match(r.notes.join('\n'), re, q);
    }
    assert.deepEqual(readQuery('?ngl=-1', CATALOG).values, { ngl: -1 });
    assert.match(readQuery('?file=a.gguf', CATALOG).notes[0], /file=“a\.gguf”: it only applies with model=/);
  });
});

describe('recommendations: sorting orders the core\'s rows, computes nothing', () => {
  const rows = [{ gpu: 'a', name: 'B', tokens_per_second: 5 }, { gpu: 'b', name: 'A', tokens_per_second: null }, { gpu: 'c', name: 'C', tokens_per_second: 9 }, { gpu: 'd', name: 'D', tokens_per_second: 5 }];
  test('ascending, descending, missing values last, ties in the core\'s order', () => {
    assert.deepEqual(sortRows(rows, 'tokens_per_second').map((x) => x.gpu), ['a', 'd', 'c', 'b']);
    assert.deepEqual(sortRows(rows, '-tokens_per_second').map((x) => x.gpu), ['c', 'a', 'd', 'b']);
    assert.deepEqual(sortRows(rows, 'name').map((x) => x.gpu), ['b', 'a', 'c', 'd']);
    assert.equal(sortRows(rows, ''), rows);
  });
});

/** A fake fetch over a table of url -> (init) => Response | Promise. */
function fakeFetch(routes, seen = []) {
  return (url, init) => {
    seen.push({ url, init });
    const r = routes(url, init);
    return r instanceof Promise ? r : Promise.resolve(r);
  };
}

/** A response whose body stream yields `chunks` (Uint8Arrays), then fails with `error` if given. */
function streamed(chunks, { status = 200, headers = {}, error = null } = {}) {
  let i = 0;
  const body = new ReadableStream({
    pull(c) {
      if (i < chunks.length) c.enqueue(chunks[i++]);
      else if (error) c.error(error);
      else c.close();
    },
  });
  return new Response(body, { status, headers });
}

describe('Hub requests: deadline, size limit, cut-off bodies, Retry-After', () => {
  const cfg = JSON.stringify({ model_type: 'gpt2', n_embd: 768 });
  test('a request that never answers is stopped at the deadline', async () => {
    const t0 = Date.now();
    const hang = (url, init) => new Promise((_, reject) => init.signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
    await assert.rejects(fetchModel('a/b', 'main', { fetch: fakeFetch(hang), timeoutMs: 200 }), (e) => {
      assert.equal(e.kind, 'timeout');
      assert.equal(e.retry, true);
      assert.match(e.message, /did not answer within 0\.2 s, so the request was stopped.*Retry button/);
      return true;
    });
    assert.ok(Date.now() - t0 < 2000);
  });
  test('a body that stalls after the headers is stopped at the deadline too', async () => {
    const stall = (url, init) => {
      const body = new ReadableStream({
        start(c) {
          c.enqueue(new TextEncoder().encode('{"model_type": '));
          init.signal.addEventListener('abort', () => c.error(new DOMException('aborted', 'AbortError')));
        },
      });
      return new Response(body, { status: 200, headers: { 'content-type': 'application/json' } });
    };
    await assert.rejects(fetchModel('a/b', 'main', { fetch: fakeFetch(stall), timeoutMs: 200 }), (e) => e.kind === 'timeout');
  });
  test('more than 4 MiB: refused, and the stream is cancelled', async () => {
    let pulled = 0;
    let cancelled = false;
    const big = () => new Response(new ReadableStream({
      pull(c) {
        pulled += 1 << 20;
        c.enqueue(new Uint8Array(1 << 20).fill(32));
      },
      cancel() {
        cancelled = true;
      },
    }), { status: 200, headers: { 'content-type': 'application/json' } });
    await assert.rejects(fetchModel('a/b', 'main', { fetch: fakeFetch((u) => (u.includes('/api/') ? new Response('{}') : big())) }),
      (e) => e.kind === 'too_large' && /more than 4 MiB/.test(e.message));
    assert.ok(cancelled);
    assert.ok(pulled <= 6 << 20, `${pulled} bytes pulled`);
    // A declared length over the limit is refused before reading.
    const declared = () => new Response('{}', { status: 200, headers: { 'content-length': String(20 << 20) } });
    await assert.rejects(fetchModel('a/b', 'main', { fetch: fakeFetch(declared) }), (e) => e.kind === 'too_large');
  });
  test('a body that breaks off: says so, offers a retry', async () => {
    const cut = (u) => (u.includes('/api/') ? new Response('{}') : streamed([new TextEncoder().encode(cfg.slice(0, 10))], { error: new TypeError('network error') }));
    await assert.rejects(fetchModel('a/b', 'main', { fetch: fakeFetch(cut) }), (e) => {
      assert.equal(e.kind, 'truncated');
      assert.equal(e.retry, true);
      assert.match(e.message, /broke off after 10 bytes/);
      return true;
    });
  });
  test('429 says when to retry; 5xx and network failures offer a retry, 4xx do not', async () => {
    const answer = (status, headers) => fakeFetch(() => new Response('{"error": "x"}', { status, headers }));
    await assert.rejects(fetchModel('a/b', 'main', { fetch: answer(429, { 'retry-after': '120' }) }),
      (e) => e.retry && /\(429\)\. Try again in 120 seconds/.test(e.message));
    await assert.rejects(fetchModel('a/b', 'main', { fetch: answer(503) }), (e) => e.retry && /\(503\)/.test(e.message));
    await assert.rejects(fetchModel('a/b', 'main', { fetch: answer(404) }), (e) => !e.retry && e.status === 404);
    await assert.rejects(fetchModel('a/b', 'main', { fetch: answer(401) }), (e) => !e.retry);
    assert.equal(retryAfterText('1'), 'Try again in 1 second');
    assert.equal(retryAfterText('Wed, 02 Jan 2030 13:04:05 GMT'), `Try again after ${new Date(Date.UTC(2030, 0, 2, 13, 4, 5)).toLocaleTimeString('en-GB')}`);
    assert.equal(retryAfterText('soon<script>'), 'Wait a minute and try again');
    assert.equal(retryAfterText(null), 'Wait a minute and try again');
  });
  test('every request carries an abort signal and omits cookies', async () => {
    const seen = [];
    await fetchModel('a/b', 'main', { fetch: fakeFetch(() => new Response(cfg), seen) });
    assert.ok(seen.every((s) => s.init.signal instanceof AbortSignal && s.init.credentials === 'omit' && s.init.redirect === 'follow'));
  });
});

describe('links to GGUF files', () => {
  test('blob/resolve links to a .gguf name the file', () => {
    assert.deepEqual(parseModelLink('https://huggingface.co/org/X-GGUF/blob/main/x-Q4_K_M.gguf'), { ok: true, repo: 'org/X-GGUF', rev: 'main', file: 'x-Q4_K_M.gguf' });
    assert.deepEqual(parseModelLink('hf.co/org/X-GGUF/resolve/v1/Q8_0/x-Q8_0-00001-of-00002.gguf?download=true'),
      { ok: true, repo: 'org/X-GGUF', rev: 'v1', file: 'Q8_0/x-Q8_0-00001-of-00002.gguf' });
    assert.match(parseModelLink('https://huggingface.co/org/X/blob/main/a%2F..%2Fb.gguf').note, /config\.json at the repository root/);
  });
  test('URLs', () => {
    assert.equal(treeUrl('org/X-GGUF', 'main'), 'https://huggingface.co/api/models/org/X-GGUF/tree/main?recursive=true');
    assert.equal(fileUrl('org/X', 'refs/pr/1', 'a b/c+.gguf'), 'https://huggingface.co/org/X/resolve/refs%2Fpr%2F1/a%20b/c%2B.gguf');
  });
});

describe('GGUF file lists', () => {
  const tree = [
    { type: 'directory', path: 'Q8_0' },
    { type: 'file', path: 'README.md', size: 10 },
    { type: 'file', path: 'm-Q2_K.gguf', size: 100, lfs: { size: 3221225472 } },
    { type: 'file', path: 'm-Q4_K_M.gguf', size: 200 },
    { type: 'file', path: 'mmproj-m-f16.gguf', size: 5 },
    { type: 'file', path: 'Q8_0/m-Q8_0-00002-of-00002.gguf', size: 7 },
    { type: 'file', path: 'Q8_0/m-Q8_0-00001-of-00002.gguf', size: 7 },
    { type: 'file', path: 'F16/m-F16-00001-of-00003.gguf', size: 7 },
    { type: 'file', path: '<img src=x>.gguf', size: 1 },
    'junk', null,
  ];
  test('split parts grouped in order, projectors and incomplete splits left out, hostile names skipped', () => {
    const { files, skipped } = ggufFiles(tree);
    assert.deepEqual(files, [
      // 7 + 7 bytes: the parts' sizes added.
      { path: 'Q8_0/m-Q8_0-00001-of-00002.gguf', parts: ['Q8_0/m-Q8_0-00001-of-00002.gguf', 'Q8_0/m-Q8_0-00002-of-00002.gguf'], size: 14 },
      { path: 'm-Q2_K.gguf', parts: ['m-Q2_K.gguf'], size: 3221225472 },
      { path: 'm-Q4_K_M.gguf', parts: ['m-Q4_K_M.gguf'], size: 200 },
    ]);
    assert.deepEqual(skipped, ['<img src=x>.gguf', 'F16/m-F16-00001-of-00003.gguf (parts missing)']);
    assert.equal(defaultFile(files), 'm-Q4_K_M.gguf');
    assert.equal(defaultFile(files.slice(0, 2)), 'Q8_0/m-Q8_0-00001-of-00002.gguf');
    assert.equal(defaultFile([]), undefined);
    assert.deepEqual(ggufFiles({ error: 'x' }), { files: [], skipped: [] });
    assert.equal(stem('Q8_0/m-Q8_0-00001-of-00002.gguf'), 'm-Q8_0-00001-of-00002');
  });

  // The Hub pages the tree listing (1,000 entries a page) with a Link header, as huggingface_hub's
  // utils/_pagination.py follows it; only links that stay on https://huggingface.co/api/models/ are followed.
  test('the Link header: rel="next" on the Hub API only', () => {
    const next = 'https://huggingface.co/api/models/a/b/tree/main?recursive=true&cursor=eyJmIjoiMSJ9';
    assert.equal(nextPage(`<${next}>; rel="next"`), next);
    assert.equal(nextPage(`<https://huggingface.co/api/models/a/b/tree/main?p=0>; rel="prev", <${next}>; rel=next`), next);
    assert.equal(nextPage('</api/models/a/b/tree/main?cursor=x>; rel="next"'), 'https://huggingface.co/api/models/a/b/tree/main?cursor=x');
    assert.equal(nextPage('<https://evil.example/api/models/a/b/tree/main>; rel="next"'), null);
    assert.equal(nextPage('<https://huggingface.co/a/b/resolve/main/x>; rel="next"'), null);
    assert.equal(nextPage(`<${next}>; rel="prev"`), null);
    assert.equal(nextPage(null), null);
    assert.equal(nextPage('garbage'), null);
  });

  /** A fake Hub whose tree listing has `pages` pages of one .gguf file each, linked by cursor. */
  function pagedTree(pages, seen, link = (i) => `<https://huggingface.co/api/models/a/b/tree/main?recursive=true&cursor=${i}>; rel="next"`) {
    return async (url) => {
      seen.push(url);
      const i = Number(new URL(url).searchParams.get('cursor') || 0);
      const headers = { 'content-type': 'application/json' };
      if (i + 1 < pages) headers.link = link(i + 1);
      return new Response(JSON.stringify([{ type: 'file', path: `m-part${i}-Q4_K_M.gguf`, size: i }]), { headers });
    };
  }

  test('a listing of three pages is read whole, in order', async () => {
    const seen = [];
    const { files, skipped } = await listGguf('a/b', 'main', { fetch: pagedTree(3, seen) });
    assert.deepEqual(files.map((f) => f.path), ['m-part0-Q4_K_M.gguf', 'm-part1-Q4_K_M.gguf', 'm-part2-Q4_K_M.gguf']);
    assert.deepEqual(skipped, []);
    assert.equal(seen.length, 3);
    assert.equal(seen[0], treeUrl('a/b', 'main'));
  });

  test('an endless listing stops after MAX_TREE_PAGES pages and says so; a link off the Hub is not followed', async () => {
    const seen = [];
    const { files, skipped } = await listGguf('a/b', 'main', { fetch: pagedTree(1000, seen) });
    assert.equal(seen.length, MAX_TREE_PAGES);
    assert.equal(files.length, MAX_TREE_PAGES);
    assert.deepEqual(skipped, [`files after the first ${MAX_TREE_PAGES} pages of the listing (${MAX_TREE_PAGES} entries)`]);
    const off = [];
    const r = await listGguf('a/b', 'main', { fetch: pagedTree(3, off, () => '<https://evil.example/api/models/x>; rel="next"') });
    assert.equal(off.length, 1);
    assert.equal(r.files.length, 1);
  });
});

describe('GGUF headers read with growing Range requests (the real parser)', () => {
  let inspect;
  before(async () => {
    const site = path.join(ROOT, 'build-wasm/site');
    const mod = await import(path.join(site, 'llmsizer.js'));
    const api = await mod.createLlmsizer({ variant: 'full', wasmBinary: fs.readFileSync(path.join(site, 'llmsizer.wasm')) });
    inspect = api.ggufText;
  });

  /** A server for `bytes`: honours Range (206) unless `ignoreRange` (200, the whole file). */
  function server(bytes, seen, ignoreRange = false) {
    return fakeFetch((url, init) => {
      const m = /^bytes=(\d+)-(\d+)$/.exec(init.headers.Range || '');
      seen.push(init.headers.Range);
      if (!m || ignoreRange) return new Response(bytes, { status: 200 });
      const lo = Number(m[1]);
      if (lo >= bytes.length) return new Response('', { status: 416 });
      return new Response(bytes.subarray(lo, Math.min(Number(m[2]) + 1, bytes.length)), { status: 206 });
    });
  }

  test('a 2.7 MB header: 1 MiB first, then what the core asks for (at least double), each range after the last', async () => {
    const bytes = tinyLlama({ vocab: 150000, tokenBytes: 10 });
    const seen = [];
    const summary = await readHeader('o/r', 'main', 'x.gguf', { fetch: server(bytes, seen) }, inspect);
    assert.equal(summary.metadata['general.architecture'], 'llama');
    assert.equal(seen[0], `bytes=0-${FIRST_RANGE - 1}`);
    // The core asked for at least 1,200,418 bytes after the first 1 MiB (its lower bound for the token
    // array); the page doubles instead when that is more: 2 MiB, then 4 MiB (the file ends at 2.7 MB).
    assert.deepEqual(seen, ['bytes=0-1048575', 'bytes=1048576-2097151', 'bytes=2097152-4194303']);
  });
  test('a server that ignores Range: the file is read from byte 0 and cut where needed', async () => {
    const bytes = tinyLlama();
    const summary = await readHeader('o/r', 'main', 'x.gguf', { fetch: server(bytes, [], true) }, inspect);
    assert.equal(summary.metadata['general.name'], 'tiny');
  });
  test('not a GGUF, and a header cut by the end of the file: clear errors', async () => {
    await assert.rejects(readHeader('o/r', 'main', 'x.gguf', { fetch: server(Buffer.from('GGML nope nope nope nope'), []) }, inspect),
      (e) => e instanceof HubError && /x\.gguf cannot be read as a GGUF file: .*magic/.test(e.message));
    const cut = tinyLlama({ vocab: 150000, tokenBytes: 10 }).subarray(0, 1500000);
    await assert.rejects(readHeader('o/r', 'main', 'x.gguf', { fetch: server(cut, []) }, inspect),
      (e) => /cannot be read as a GGUF file/.test(e.message));
  });
  test('HTTP failures of a file read are the Hub\'s messages', async () => {
    await assert.rejects(readHeader('o/r', 'main', 'x.gguf', { fetch: fakeFetch(() => new Response('', { status: 403 })) }, inspect),
      (e) => e.status === 403 && /refused access to o\/r \(403\)/.test(e.message));
  });
});

describe('no markup parsing anywhere in the page', () => {
  test('web/*.js and the wrapper never use innerHTML, outerHTML, insertAdjacentHTML, document.write, eval or new Function', () => {
    const files = [...fs.readdirSync(path.join(ROOT, 'web')).filter((f) => f.endsWith('.js')).map((f) => path.join(ROOT, 'web', f)),
      path.join(ROOT, 'wasm/llmsizer.js')];
    assert.ok(files.length >= 10, files.join());
    const banned = /\b(innerHTML|outerHTML|insertAdjacentHTML|document\.write(ln)?|eval\s*\(|new\s+Function|srcdoc|createContextualFragment|DOMParser)\b/;
    for (const f of files) {
      const lines = fs.readFileSync(f, 'utf8').split('\n');
      lines.forEach((line, i) => {
        // Comments may name what the code avoids; code may not use it.
        const t = line.trim();
        if (/^(\/\/|\*|\/\*)/.test(t)) return;
        assert.doesNotMatch(line.split(' // ')[0], banned, `${path.relative(ROOT, f)}:${i + 1}: ${t}`);
      });
    }
  });
  test('index.html has no inline script, inline style or event-handler attribute', () => {
    const html = fs.readFileSync(path.join(ROOT, 'web/index.html'), 'utf8');
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i);
    assert.doesNotMatch(html, /<style\b|\sstyle=|\son[a-z]+=/i);
  });
});
