// GGUF repositories in a real browser: a repo with no config.json but .gguf files (written by the test with
// tests/browser/gguf_writer.mjs) lists its files (split parts grouped, projectors left out), picks the Q4_K_M,
// reads the header with growing HTTP Range requests through the Hub's redirect to its CDN host, and
// estimates it with llama.cpp — numbers identical to the CLI given the same request, and to the CLI reading
// the file itself. A share link restores the file; a link to a .gguf file selects it; a file that is not a
// GGUF, and a server that ignores Range, are handled.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';

import { CLI, file, GIB, json, openPage, rawExchange, redirect, renders, runCli, unexpectedConsole, waitRenders, waitState, withBrowser } from './harness.mjs';
import { TINY_EMBD, TINY_LAYER, TINY_OUTPUT, tinyLlama } from './gguf_writer.mjs';

const REPO = 'test-org/Tiny-GGUF';
const XSS = '<img src=x onerror=alert(1)>';
const TOKEN = 'hf_GgufFixtureToken';
// tiny-Q4_K_M.gguf carries a 150,000-token vocabulary: a 2.7 MB header, more than the first 1 MiB range.
const FILES = {
  'tiny-Q4_K_M.gguf': tinyLlama({ vocab: 150000, tokenBytes: 10 }),
  'tiny-Q8_0.gguf': tinyLlama({ name: 'tiny-q8' }),
  'mmproj-tiny-f16.gguf': tinyLlama({ name: 'projector' }),
  'split/tiny-Q2_K-00001-of-00002.gguf': tinyLlama({ split: [0, 2] }),
  'split/tiny-Q2_K-00002-of-00002.gguf': tinyLlama({ split: [1, 2] }),
  'broken-Q4_0.gguf': Buffer.from('this is not a GGUF file at all'.repeat(10)),
  // Markup in the header's strings (general.name): shown as text.
  'xss-Q4_K_M.gguf': tinyLlama({ name: XSS }),
};
const CDN = 'https://cas-bridge.xethub.hf.co';

/** The Hub of these tests: no config.json, a file list, resolve/ redirecting to the CDN, Range there. */
function ggufHub({ ignoreRange = false } = {}) {
  return (url) => {
    if (url.origin === CDN) {
      const name = decodeURIComponent(url.pathname.replace(/^\/xet\//, ''));
      return FILES[name] ? file(FILES[name], { ignoreRange }) : json(404, { error: 'no such object' });
    }
    const prefix = `/${REPO}/resolve/main/`;
    if (url.pathname === `${prefix}config.json`) return json(404, { error: 'Entry not found' });
    if (url.pathname.startsWith(prefix)) {
      const name = decodeURIComponent(url.pathname.slice(prefix.length));
      return FILES[name] ? redirect(`${CDN}/xet/${encodeURIComponent(name)}`) : json(404, { error: 'Entry not found' });
    }
    if (url.pathname === `/api/models/${REPO}/tree/main`) {
      return json(200, [
        { type: 'file', path: '.gitattributes', size: 1519 },
        { type: 'file', path: 'README.md', size: 5012 },
        ...Object.entries(FILES).map(([p, b]) => ({ type: 'file', path: p, size: b.length, lfs: { size: b.length, oid: 'x' } })),
      ]);
    }
    if (url.pathname.startsWith(`/api/models/${REPO}`)) return json(200, { id: REPO });
    return undefined;
  };
}

/** The CLI's own reading of a fixture file (build/llmsizer --gguf PATH). */
function cliOnFile(name, args) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llmsizer-gguf-'));
  try {
    const file = path.join(dir, name.split('/').pop());
    fs.writeFileSync(file, FILES[name]);
    return JSON.parse(execFileSync(CLI, ['--gguf', file, ...args, '--json'], { encoding: 'utf8' }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

let server;
let browser;
withBrowser((s, b) => {
  server = s;
  browser = b;
});

async function enter(page, link, state = 'ready') {
  await page.fill('#in-link', link);
  await page.press('#in-link', 'Enter');
  await waitState(page, state);
}

describe('a GGUF repository', () => {
  test('lists the files, reads the Q4_K_M header in growing ranges via the CDN, estimates with llama.cpp', async () => {
    const { page, context, log } = await openPage(browser, server, { hub: ggufHub() });
    await page.click('#token-box summary');
    await page.fill('#in-token', TOKEN);
    await enter(page, `https://huggingface.co/${REPO}`);
    // The picker: grouped split, no projector, the Q4_K_M chosen.
    const options = await page.$$eval('#in-file option', (os) => os.map((o) => [o.value, o.textContent]));
    assert.deepEqual(options.map((o) => o[0]), ['broken-Q4_0.gguf', 'split/tiny-Q2_K-00001-of-00002.gguf', 'tiny-Q4_K_M.gguf', 'tiny-Q8_0.gguf',
      'xss-Q4_K_M.gguf']);
    assert.match(options[1][1], /\(2 parts\) — 0\.00 GiB$/); // both parts' sizes added (tiny test files)
    assert.equal(await page.inputValue('#in-file'), 'tiny-Q4_K_M.gguf');
    assert.equal(await page.inputValue('#in-engine'), 'llama.cpp');
    assert.match(await page.textContent('#source'), /GGUF file tiny-Q4_K_M\.gguf of test-org\/Tiny-GGUF/);

    // Range requests only, growing: 1 MiB first, then as the core asks (at least double), never the whole file.
    const cdn = log.hub.filter((h) => h.url.startsWith(CDN) && h.url.includes('Q4_K_M') && h.method === 'GET');
    const size = FILES['tiny-Q4_K_M.gguf'].length;
    assert.ok(cdn.length >= 2, JSON.stringify(cdn));
    assert.equal(cdn[0].range, 'bytes=0-1048575');
    let next = 0;
    for (const h of cdn) {
      const [, a, b] = /^bytes=(\d+)-(\d+)$/.exec(h.range).map(Number);
      assert.equal(a, next, 'each range starts where the last ended');
      assert.ok(b > a);
      next = b + 1;
    }
    assert.ok(cdn.length <= 4);
    // The token went to huggingface.co, and the browser dropped it on the redirect to the CDN host.
    assert.ok(log.hub.some((h) => h.url.startsWith('https://huggingface.co/') && h.authorization === `Bearer ${TOKEN}`));
    assert.ok(log.hub.filter((h) => h.url.startsWith(CDN)).every((h) => h.authorization === undefined));

    // The request: the core's summary of the header, labelled with the file's stem; CLI-identical.
    const { request, response } = await rawExchange(page);
    assert.deepEqual(Object.keys(request).sort(), ['engine', 'gguf', 'gpu', 'model_id', 'revision']);
    assert.equal(request.model_id, 'tiny-Q4_K_M');
    assert.equal(request.gguf.length, 1);
    assert.equal(runCli(request), `${response}\n`);
    const r = JSON.parse(response);
    // By hand (tests/gguf_test.cpp): 2 layers x 376,064 + token_embd 144,000 + output 211,024 = 1,107,152 bytes in
    // the file; on the GPU the layers and the output (token_embd stays on the CPU): 963,152.
    assert.equal(r.gguf.weights_bytes, 2 * TINY_LAYER + TINY_EMBD + TINY_OUTPUT);
    assert.equal(r.gguf.weights_bytes, 1107152);
    assert.equal(r.memory.weights_bytes, 963152);
    // The CLI reading the file itself agrees.
    const own = cliOnFile('tiny-Q4_K_M.gguf', ['--engine', 'llama.cpp']);
    assert.deepEqual(own.memory, r.memory);
    assert.equal(await page.textContent('[data-key="gguf_weights"]'), '0.00 GiB in 21 tensors, 1 part');
    // Issue 17: the count comes from the file's tensors (there is no config.json), and the Weights figure says
    // why it is less than the file: token_embd (144,000 bytes = the file's 1,107,152 - the GPUs' 963,152) stays
    // in host memory.
    assert.match(await page.textContent('[data-key="parameters"]'), /; counted from the GGUF file’s tensors\)$/);
    assert.doesNotMatch(await page.textContent('#r-summary'), /config\.json/);
    assert.equal(r.gguf.input_bytes, TINY_EMBD);
    assert.equal(r.gguf.input_bytes, 1107152 - 963152);
    assert.equal(await page.textContent('#host-weights'), `Weights: the file holds ${GIB(r.gguf.weights_bytes)} GiB; llama.cpp ` +
      `keeps its token embeddings (${GIB(r.gguf.input_bytes)} GiB), and any layer -ngl leaves out, in host memory, so the GPUs hold less.`);
    assert.match(await page.textContent('[data-key="gguf_input"]'), /^0\.00 GiB of them \(token_embd\): llama\.cpp keeps these in host memory/);
    assert.match(await page.textContent('#launch-command'), /^llama-server -m tiny-Q4_K_M\.gguf /);

    // The share link names the file; a fresh page restores it and the identical result.
    await page.waitForFunction(() => location.search.includes('file='));
    const url = page.url();
    assert.equal(new URL(url).search, `?model=${REPO}&rev=main&file=tiny-Q4_K_M.gguf&engine=llama.cpp&gpu=nvidia-h100-sxm`);
    assert.ok(!url.includes(TOKEN));
    const fresh = await openPage(browser, server, { path: url.slice(server.origin.length), hub: ggufHub() });
    assert.equal((await rawExchange(fresh.page)).response, response);
    assert.equal(await fresh.page.inputValue('#in-file'), 'tiny-Q4_K_M.gguf');
    assert.ok(!fresh.log.hub.some((h) => h.url.endsWith('/config.json')), 'a link with file= goes straight to the file');
    assert.deepEqual(unexpectedConsole(fresh.log), []);
    await fresh.context.close();

    // Another file: the split one, both parts' headers, the same tensors in total.
    const n = await renders(page);
    await page.selectOption('#in-file', 'split/tiny-Q2_K-00001-of-00002.gguf');
    await waitRenders(page, n);
    await waitState(page, 'ready');
    const split = await rawExchange(page);
    assert.equal(split.request.gguf.length, 2);
    assert.equal(split.request.model_id, 'tiny-Q2_K-00001-of-00002');
    const rs = JSON.parse(split.response);
    assert.equal(rs.gguf.parts, 2);
    assert.equal(rs.gguf.weights_bytes, 1107152);
    assert.equal(runCli(split.request), `${split.response}\n`);
    assert.ok(log.hub.some((h) => h.url.endsWith('tiny-Q2_K-00002-of-00002.gguf')));
    // config.json's 404 is the only failed load the browser reports.
    assert.deepEqual(unexpectedConsole(log), []);
    assert.deepEqual(log.pageErrors, []);
    await context.close();
  });

  test('a link to a .gguf file selects it; an engine in the link is kept', async () => {
    const { page, context } = await openPage(browser, server, { hub: ggufHub(), path: '/?engine=generic' });
    await enter(page, `https://huggingface.co/${REPO}/blob/main/tiny-Q8_0.gguf`);
    assert.equal(await page.inputValue('#in-file'), 'tiny-Q8_0.gguf');
    assert.equal(await page.inputValue('#in-engine'), 'generic');
    const { request, response } = await rawExchange(page);
    assert.equal(request.model_id, 'tiny-Q8_0');
    assert.equal(request.engine, undefined);
    assert.equal(runCli(request), `${response}\n`);
    await context.close();
  });

  test('a server that ignores Range: the page reads what it needs and stops', async () => {
    const { page, context, log } = await openPage(browser, server, { hub: ggufHub({ ignoreRange: true }) });
    await enter(page, REPO);
    const r = JSON.parse((await rawExchange(page)).response);
    assert.equal(r.gguf.weights_bytes, 1107152);
    assert.deepEqual(log.pageErrors, []);
    await context.close();
  });

  test('markup in a GGUF header renders as text', async () => {
    const { page, context, log } = await openPage(browser, server, { hub: ggufHub() });
    await enter(page, `https://huggingface.co/${REPO}/resolve/main/xss-Q4_K_M.gguf`);
    assert.equal(await page.textContent('#r-gguf h2'), `GGUF: ${XSS}`);
    assert.equal(await page.locator('#results img').count(), 0);
    await page.waitForTimeout(200);
    assert.deepEqual(log.dialogs, []);
    assert.deepEqual(log.pageErrors, []);
    await context.close();
  });

  test('a file that is not a GGUF: a clear message, and the page still works', async () => {
    const { page, context, log } = await openPage(browser, server, { hub: ggufHub() });
    await enter(page, REPO);
    await page.selectOption('#in-file', 'broken-Q4_0.gguf');
    await waitState(page, 'hub-error');
    assert.match(await page.textContent('#hub-error'), /broken-Q4_0\.gguf cannot be read as a GGUF file: .*magic.*Pick another file/s);
    await page.selectOption('#in-file', 'tiny-Q8_0.gguf');
    await waitState(page, 'ready');
    assert.equal(await page.isHidden('#hub-error'), true);
    assert.deepEqual(log.pageErrors, []);
    await context.close();
  });
});
