// The page as a newcomer meets it (issue 17), in a real browser with the Hub mocked, at 1366x900 (desktop) and
// 390x844 (phone): a gated or unreachable link to a bundled model gives the bundled copy with a note (the token
// path stays); fields an engine ignores are disabled with the reason, the engines are explained; quantised
// checkpoints' labels say each thing once; a wrong input is flagged at its field, with the message in view and
// the last result kept dimmed; a Hub failure leaves the error and what to do in the results; recommendations
// fit on a desktop and are cards on a phone; a phone shows the verdict in its first screen; the prerendered
// default estimate is the one the core then computes; and the smaller items (whole sequences, wording, retrying
// a pasted link, max context, the focus ring, fold-out heights).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';

import { change, GIB, HUB_MANIFEST, openPage, rawExchange, renders, ROOT, runCli, saveArtifact, unexpectedConsole,
  waitState, withBrowser } from './harness.mjs';

let server;
let browser;
withBrowser((s, b) => {
  server = s;
  browser = b;
});

const DESKTOP = { width: 1366, height: 900 };
const PHONE = { width: 390, height: 844 };
const LLAMA = 'meta-llama/Llama-3.1-8B-Instruct';

async function enterLink(page, text, state = 'ready') {
  await page.fill('#in-link', text);
  await page.press('#in-link', 'Enter');
  await waitState(page, state);
}

/** Whether the element's box lies within the viewport. */
async function inView(page, sel) {
  return page.$eval(sel, (e) => {
    const b = e.getBoundingClientRect();
    return b.height > 0 && b.top >= -1 && b.bottom <= innerHeight + 1 && b.left >= -1 && b.right <= innerWidth + 1;
  });
}

describe('1. a gated or unreachable link to a bundled model', () => {
  test('401 without a token: the bundled copy, offline, with a note; the token then reads the live config', async () => {
    const { page, context, log } = await openPage(browser, server, { viewport: DESKTOP });
    await enterLink(page, `https://huggingface.co/${LLAMA}`);
    const { request, response } = await rawExchange(page);
    // Exactly the bundled preset's estimate.
    assert.deepEqual(request, { model: LLAMA, gpu: 'nvidia-h100-sxm' });
    assert.equal(runCli(request), `${response}\n`);
    assert.equal(await page.textContent('#model-title'), LLAMA);
    assert.match(await page.textContent('#hub-notes'),
      new RegExp(`Showing the bundled copy of ${LLAMA}; gated on the Hub — add a token to read the live config\\.`));
    assert.match(await page.textContent('#source'), /the bundled copy of meta-llama\/Llama-3\.1-8B-Instruct/);
    assert.equal(await page.isHidden('#hub-error'), true);
    // The link keeps naming the Hub model.
    await page.waitForFunction(() => location.search.includes('model='));
    assert.equal(new URL(page.url()).searchParams.get('model'), LLAMA);
    // The token path: entering one reads the live config (and the Hub's exact count).
    await page.click('#token-box summary');
    await page.fill('#in-token', HUB_MANIFEST.repos[LLAMA].token);
    const n = await renders(page);
    await page.press('#in-token', 'Tab');
    await page.waitForFunction((k) => Number(document.querySelector('#results').dataset.renders) > k
      && document.querySelector('#results').dataset.state === 'ready', n);
    const live = await rawExchange(page);
    assert.deepEqual(live.request.safetensors, { BF16: 8030261248 });
    assert.equal(live.request.model_id, LLAMA);
    assert.equal(await page.isHidden('#hub-notes'), true);
    assert.deepEqual(log.blocked, []);
    assert.deepEqual(log.pageErrors, []);
    await context.close();
  });

  test('a server error (503) and no connection: the bundled copy, with Retry; an unbundled repo still errs', async () => {
    const { page, context, log } = await openPage(browser, server, { viewport: DESKTOP });
    await enterLink(page, 'mistralai/Mistral-7B-Instruct-v0.3');
    assert.equal((await rawExchange(page)).request.model, 'mistralai/Mistral-7B-Instruct-v0.3');
    assert.match(await page.textContent('#hub-notes'), /bundled copy of mistralai\/Mistral-7B-Instruct-v0\.3; huggingface\.co had an error \(503\) — Retry/);
    assert.equal(await page.isVisible('#hub-retry'), true);
    await enterLink(page, 'Qwen/Qwen3-8B');
    assert.equal((await rawExchange(page)).request.model, 'Qwen/Qwen3-8B');
    assert.match(await page.textContent('#hub-notes'), /bundled copy of Qwen\/Qwen3-8B; huggingface\.co could not be reached — Retry/);
    // Retry asks the Hub again.
    const before = log.hub.length;
    await page.click('#hub-retry');
    await waitState(page, 'ready');
    await page.waitForFunction(() => document.querySelector('#hub-notes').textContent.includes('could not be reached'));
    assert.ok(log.hub.length > before, 'Retry asked the Hub again');
    await enterLink(page, 'test-org/private-model', 'hub-error');
    assert.deepEqual(log.pageErrors, []);
    await context.close();
  });
});

describe('2. fields an engine ignores, and what each engine is', () => {
  test('the safety reserve counts for the generic estimate only; the engines\' own knobs instead', async () => {
    const { page, context } = await openPage(browser, server, { viewport: DESKTOP });
    assert.equal(await page.isDisabled('#in-reserve'), false);
    assert.match(await page.textContent('#engine-help'), /^generic: a rule-of-thumb sum .* safety reserve/);
    await change(page, () => page.fill('#in-reserve', '0.1'));
    assert.equal((await rawExchange(page)).request.reserve, 0.1);
    for (const [engine, knob] of [['vllm', 'gpu_memory_utilization'], ['sglang', 'mem_fraction_static'], ['llama.cpp', 'keeps no reserve'],
      ['transformers', 'keeps no reserve']]) {
      await change(page, () => page.selectOption('#in-engine', engine));
      await waitState(page, 'ready');
      assert.equal(await page.isDisabled('#in-reserve'), true, engine);
      const why = await page.textContent('#why-reserve');
      assert.ok(why.includes(knob), `${engine}: ${why}`);
      assert.match(await page.getAttribute('#in-reserve', 'aria-describedby'), /why-reserve/);
      assert.equal((await rawExchange(page)).request.reserve, undefined, engine);
      assert.ok((await page.textContent('#engine-help')).length > 30, engine);
      // No default shown for a field that does not count; the memory table names what the engine leaves out.
      assert.equal(await page.getAttribute('#in-reserve', 'placeholder'), '');
      const rows = await page.$$eval('#memory-table tbody th', (ths) => ths.map((t) => t.textContent));
      assert.ok(!rows.includes('Safety reserve'), `${engine}: ${rows}`);
      // The engine's own knob is in view.
      if (engine === 'vllm') {
        assert.equal(await page.isVisible('#in-gmu'), true);
        assert.ok(rows.includes('Outside gpu_memory_utilization'), rows.join());
      }
      if (engine === 'sglang') assert.equal(await page.isVisible('#in-mfs'), true);
    }
    await change(page, () => page.selectOption('#in-engine', 'generic'));
    assert.equal(await page.isDisabled('#in-reserve'), false);
    assert.equal(await page.getAttribute('#in-reserve', 'placeholder'), '0.1');
    assert.ok((await page.$$eval('#memory-table tbody th', (ths) => ths.map((t) => t.textContent))).includes('Safety reserve'));
    assert.equal(await page.isHidden('#why-reserve'), true);
    assert.equal((await rawExchange(page)).request.reserve, 0.1);
    await context.close();
    // A link that sets it for an engine that ignores it: dropped with a note.
    const other = await openPage(browser, server, { path: '/?engine=vllm&reserve=0.1' });
    assert.match(await other.page.textContent('#url-notes'), /Ignored reserve=“0\.1”: it does not apply to this engine or mode/);
    await other.context.close();
  });
});

describe('4. quantised checkpoints', () => {
  test('the weights label says the precision once, and the checkpoint only when it differs', async () => {
    const { page, context } = await openPage(browser, server, { path: '/?preset=Qwen/Qwen2.5-7B-Instruct-AWQ' });
    const r = JSON.parse((await rawExchange(page)).response);
    assert.equal(r.precision.weights, r.model.quantization);
    assert.equal(await page.textContent('[data-key="weights_precision"]'), r.precision.weights);
    await change(page, () => page.selectOption('#in-dtype', 'int8'));
    const q = JSON.parse((await rawExchange(page)).response);
    assert.equal(await page.textContent('[data-key="weights_precision"]'), `${q.precision.weights}; the checkpoint is ${q.model.quantization}`);
    await context.close();
  });
});

describe('6. errors where they happen', () => {
  for (const viewport of [DESKTOP, PHONE]) {
    test(`a context of 0 at ${viewport.width} px: flagged at its field, the message in view, the last result dimmed`, async () => {
      const { page, context, log } = await openPage(browser, server, { viewport });
      const verdict = await page.textContent('#verdict');
      const n = await renders(page);
      await page.fill('#in-ctx', '0');
      await waitState(page, 'error');
      assert.equal(await renders(page), n, 'nothing was sent to the core');
      assert.equal(await page.getAttribute('#in-ctx', 'aria-invalid'), 'true');
      assert.match(await page.getAttribute('#in-ctx', 'aria-describedby'), /\bin-ctx-error\b/);
      assert.equal(await page.textContent('#in-ctx-error'), 'Must be a whole number from 1 to 100,000,000 (blank: the default).');
      assert.equal(await inView(page, '#in-ctx-error'), true, 'the message is beside the field, in view');
      assert.match(await page.textContent('#error'), /^Context \(tokens\) must be a whole number from 1 to 100,000,000\. The result below is the last one that worked\.$/);
      if (viewport === DESKTOP) assert.equal(await inView(page, '#error'), true, 'the message above the results is in view');
      else assert.match(await page.textContent('#summary-bar'), /Input Context \(tokens\): fix it/);
      // The last good result stays, dimmed.
      assert.equal(await page.textContent('#verdict'), verdict);
      assert.equal(await page.$eval('#results', (e) => e.classList.contains('stale')), true);
      assert.ok(Number(await page.$eval('#r-verdict', (e) => getComputedStyle(e).opacity)) < 1);
      saveArtifact(`field-error-${viewport.width}.png`, await page.screenshot());
      // Fixed: the marks go.
      await page.fill('#in-ctx', '4096');
      await waitState(page, 'ready');
      assert.equal(await page.getAttribute('#in-ctx', 'aria-invalid'), null);
      assert.equal(await page.$('#in-ctx-error'), null);
      assert.equal(await page.$eval('#results', (e) => e.classList.contains('stale')), false);
      assert.deepEqual(log.pageErrors, []);
      await context.close();
    });
  }

  test('the core\'s errors: the field its path (or its key) names, in the field\'s words, no codes', async () => {
    const { page, context } = await openPage(browser, server, { viewport: DESKTOP });
    await page.fill('#in-n', '3');
    await page.fill('#in-tp', '2');
    await waitState(page, 'error');
    const msg = await page.textContent('#error');
    assert.match(msg, /^GPUs = 3 is not a multiple of tp x pp = 2 x 1/);
    assert.doesNotMatch(msg, /\[|--gpus|conflicting_options/);
    assert.equal(await page.getAttribute('#in-n', 'aria-invalid'), 'true');
    assert.equal(await page.textContent('#in-n-error'), msg.replace(/ The result below is the last one that worked\.$/, ''));
    await context.close();
    // A path: /offload_optimizer (fine-tuning, offload without ZeRO).
    const t = await openPage(browser, server, { path: '/?mode=full', viewport: DESKTOP });
    await t.page.check('#in-offload');
    await waitState(t.page, 'error');
    assert.equal(await t.page.getAttribute('#in-offload', 'aria-invalid'), 'true');
    const text = await t.page.textContent('#in-offload-error');
    assert.match(text, /^Optimizer states on the CPU is a ZeRO option .*: set ZeRO stage to 1, 2 or 3$/);
    assert.doesNotMatch(text, /offload_optimizer'|--/);
    await t.context.close();
  });

  test('a pasted config the core refuses: the config box is marked, the message has no code', async () => {
    const { page, context } = await openPage(browser, server, { viewport: DESKTOP });
    await page.click('#paste-box summary');
    await page.fill('#in-config', '{"model_type": "llama", "num_hidden_layers": 2}');
    await waitState(page, 'error');
    assert.equal(await page.getAttribute('#in-config', 'aria-invalid'), 'true');
    assert.match(await page.textContent('#in-config-error'), /hidden_size/);
    assert.doesNotMatch(await page.textContent('#error'), /\[missing_key\]/);
    await context.close();
  });
});

describe('7. after a Hub error', () => {
  test('the results say what happened and what to do, never a blank column', async () => {
    const { page, context } = await openPage(browser, server, { viewport: DESKTOP });
    await enterLink(page, 'test-org/terms-not-accepted', 'hub-error');
    assert.equal(await page.textContent('#r-hub h2'), 'Could not load test-org/terms-not-accepted');
    assert.match(await page.textContent('#r-hub .error'), /refused access to test-org\/terms-not-accepted \(403\)/);
    const ways = await page.$$eval('#r-hub li button', (bs) => bs.map((b) => b.textContent));
    assert.deepEqual(ways, ['Add an access token (read permission is enough)', 'Paste the model’s config.json', 'Pick a bundled model (works offline)']);
    // No empty fold-outs.
    for (const sel of ['#p-speed', '#p-context', '#p-recs', '#raw']) assert.equal(await page.isVisible(sel), false, sel);
    assert.equal(await inView(page, '#r-hub h2'), true);
    await page.click('#help-paste');
    assert.equal(await page.$eval('#paste-box', (d) => d.open), true);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'in-config');
    saveArtifact('hub-error-1366.png', await page.screenshot());
    await context.close();
  });

  test('a network failure offers Try again', async () => {
    const { page, context } = await openPage(browser, server, { viewport: DESKTOP });
    await enterLink(page, 'test-org/unreachable', 'hub-error');
    assert.deepEqual(await page.$$eval('#r-hub li button', (bs) => bs.map((b) => b.id)), ['help-retry', 'help-paste', 'help-preset']);
    await context.close();
  });
});

describe('8. recommendations that read', () => {
  test('1366 px: short names on one line, numbers right-aligned, the first columns fit', async () => {
    const { page, context } = await openPage(browser, server, { viewport: DESKTOP, path: '/?engine=vllm&open=recs' });
    await page.waitForSelector('#recs-table');
    await rawExchange(page);
    await page.waitForFunction(() => document.querySelector('#raw-recs').textContent.length > 0);
    const recs = JSON.parse((await page.textContent('#raw-recs')).split('\n')[1]).recommendations;
    const heads = await page.$$eval('#recs-table thead th', (ths) => ths.map((t) => t.textContent.replace(/ [▲▼]$/, '')));
    assert.deepEqual(heads.slice(0, 6), ['#', 'GPUs × GPU', 'Layout', 'Max concurrency', 'Tokens/s per request', 'Headroom GiB']);
    const wrap = await page.$eval('#p-recs .table-wrap', (w) => w.getBoundingClientRect().right);
    const rows = await page.$$eval('#recs-table tbody tr', (trs) => trs.map((tr) => {
      const cells = [...tr.children];
      const lineHeight = parseFloat(getComputedStyle(cells[1]).lineHeight) || 20;
      return {
        gpu: cells[1].textContent,
        oneLine: cells[1].getBoundingClientRect().height < 2 * lineHeight,
        right: cells[5].getBoundingClientRect().right,
        aligns: cells.slice(3).map((c) => getComputedStyle(c).textAlign),
      };
    }));
    for (const [i, x] of rows.entries()) {
      assert.ok(x.oneLine, `${x.gpu} wraps`);
      assert.ok(x.right <= wrap + 0.5, `headroom of ${x.gpu} is cut off`);
      assert.deepEqual([...new Set(x.aligns)], ['right'], x.gpu);
      assert.equal(x.gpu, `${recs[i].count} × ${(await import('../../web/recs.js')).shortName(recs[i].name)}`);
    }
    // Names without their parenthetical remarks: "B200 (HGX/DGX B200, SXM)" reads "B200".
    assert.ok(rows.every((x) => !x.gpu.includes('(')), rows.map((x) => x.gpu).join('; '));
    // Max concurrency: whole sequences.
    assert.equal(await page.$eval('#recs-table tbody tr td[data-key="max_concurrency"]', (c) => c.textContent),
      Math.floor(recs[0].max_concurrency).toLocaleString('en-US'));
    saveArtifact('recs-1366.png', await page.locator('#p-recs').screenshot());
    await context.close();
  });

  test('390 px: a card per GPU, every figure labelled, no sideways scrolling; sorting by a picker', async () => {
    const { page, context } = await openPage(browser, server, { viewport: PHONE, path: '/?engine=vllm&open=recs' });
    await page.waitForSelector('#recs-table');
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), PHONE.width);
    assert.equal(await page.$eval('#recs-table tbody tr', (tr) => getComputedStyle(tr).display), 'grid');
    assert.equal(await page.$eval('#p-recs .table-wrap', (w) => w.scrollWidth <= w.clientWidth), true);
    const label = await page.$eval('#recs-table tbody tr td[data-key="tokens_per_second"]', (c) => getComputedStyle(c, '::before').content);
    assert.equal(label, '"Tokens/s per request: "');
    await page.selectOption('#recs-sort', '-tokens_per_second');
    await page.waitForFunction(() => location.search.includes('sort=-tokens_per_second'));
    saveArtifact('recs-390.png', await page.screenshot({ fullPage: true }));
    await context.close();
  });
});

describe('9. a phone\'s first screen', () => {
  test('390 px: a one-line summary in view without scrolling, sticky; a tap goes to the results', async () => {
    const { page, context } = await openPage(browser, server, { viewport: PHONE, path: '/?engine=vllm' });
    const r = JSON.parse((await rawExchange(page)).response);
    await page.evaluate(() => scrollTo(0, 0));
    const bar = await page.$eval('#summary-bar', (b) => ({ text: b.textContent, rect: b.getBoundingClientRect().toJSON(), h: b.scrollHeight }));
    const g = r.memory.per_gpu[0];
    const VERDICT = { fits: 'Fits', 'may not fit': 'May not fit', 'does not fit': 'Does not fit' };
    assert.equal(bar.text, `${VERDICT[r.how_sure.verdict]} ${GIB(g.total_bytes)} of ${GIB(g.usable_bytes)} GiB · ` +
      `${Math.floor(r.serving.max_concurrency).toLocaleString('en-US')} at once ↓`);
    assert.ok(bar.rect.top >= 0 && bar.rect.bottom <= 60, JSON.stringify(bar.rect));
    assert.ok(bar.rect.height <= 44, 'one line');
    saveArtifact('phone-first-screen.png', await page.screenshot());
    await page.evaluate(() => scrollTo(0, 1500));
    assert.equal(await inView(page, '#summary-bar'), true, 'sticky');
    await page.evaluate(() => scrollTo(0, 0));
    await page.click('#summary-bar');
    await page.waitForFunction(() => Math.abs(document.querySelector('#results').getBoundingClientRect().top) < 60);
    assert.equal(await inView(page, '#verdict'), true);
    await context.close();
    // Desktop: the results are beside the form; no bar.
    const desk = await openPage(browser, server, { viewport: DESKTOP });
    assert.equal(await desk.page.isVisible('#summary-bar'), false);
    assert.equal(await inView(desk.page, '#verdict'), true);
    await desk.context.close();
  });
});

describe('10. the prerendered first result', () => {
  /** Opens `p` with the lite core held back until release() (the page shows what index.html holds meanwhile). */
  async function held(p, viewport = DESKTOP) {
    let release;
    const gate = new Promise((r) => { release = r; });
    const context = await browser.newContext({ viewport });
    await context.route('**/*', async (route) => {
      const url = route.request().url();
      if (!url.startsWith(server.origin)) return route.abort();
      if (url.endsWith('/llmsizer-lite.wasm')) await gate;
      return route.continue();
    });
    const page = await context.newPage();
    await page.goto(server.origin + p);
    await page.waitForSelector('#results[data-state="prerendered"]', { state: 'attached' });
    return { page, context, release };
  }
  const shown = (page) => page.$$eval('#results > section, #summary-bar, #speed-line', (els) =>
    els.map((e) => [e.id, getComputedStyle(e).visibility === 'visible' && !e.hidden ? e.innerText : '']));
  const placeholders = (page) => page.$$eval('#controls input[placeholder]', (els) => els.map((e) => [e.id, e.placeholder]));

  for (const viewport of [DESKTOP, PHONE]) {
    test(`no query, ${viewport.width} px: the prerendered numbers are the ones the core then computes`, async () => {
      const { page, context, release } = await held('/', viewport);
      const before = await shown(page);
      const pre = await placeholders(page);
      assert.match(before.find(([id]) => id === 'r-verdict')[1], /^(Fits|May not fit|Does not fit) /);
      assert.equal(await page.inputValue('#in-preset'), 'Qwen/Qwen2.5-7B-Instruct');
      assert.equal(await page.inputValue('#in-gpu'), 'nvidia-h100-sxm');
      release();
      await waitState(page, 'ready');
      const after = await shown(page);
      assert.deepEqual(after, before);
      assert.deepEqual(await placeholders(page), pre);
      // The address bar then names that state: the one the prerendered page says it shows.
      await page.waitForFunction(() => location.search.length > 0);
      assert.equal(new URL(page.url()).search, await page.getAttribute('html', 'data-prerendered'));
      assert.equal(runCli((await rawExchange(page)).request).includes('"ok":true'), true);
      await context.close();
    });
  }

  test('the default state\'s own share link shows the prerendered numbers too', async () => {
    const probe = await held('/');
    const query = await probe.page.getAttribute('html', 'data-prerendered');
    probe.release();
    await probe.context.close();
    const { page, context, release } = await held(`/${query}`);
    assert.match((await shown(page)).find(([id]) => id === 'r-verdict')[1], /^(Fits|May not fit|Does not fit) /);
    release();
    await waitState(page, 'ready');
    await context.close();
  });

  test('a link to another state never shows the prerendered numbers', async () => {
    for (const p of ['/?batch=64', '/?preset=Qwen/Qwen3-8B', '/#config=abc']) {
      const { page, context, release } = await held(p);
      const before = await shown(page);
      assert.ok(before.every(([, text]) => text === ''), `${p}: ${JSON.stringify(before)}`);
      release();
      await page.waitForSelector('#results:not([data-state="prerendered"])', { state: 'attached' });
      await context.close();
    }
  });
});

describe('11. the smaller items', () => {
  test('whole sequences; "to spare" with one GPU, "on each GPU", "the tightest GPU (stage n)"; the generic engine explained', async () => {
    const { page, context } = await openPage(browser, server, { path: '/?engine=vllm' });
    const r = JSON.parse((await rawExchange(page)).response);
    assert.notEqual(r.serving.max_concurrency % 1, 0, 'vLLM gives a fraction');
    assert.match(await page.textContent('#max-concurrency'), new RegExp(`^${Math.floor(r.serving.max_concurrency).toLocaleString('en-US')} sequences of`));
    // vLLM's own log keeps its figure.
    assert.match(await page.textContent('#startup-log'), /Maximum concurrency for [\d,]+ tokens per request: [\d.]+x/);
    assert.match(await page.textContent('#verdict'), /^Fits [\d.]+ GiB to spare\.$/);
    await change(page, () => page.fill('#in-n', '2'));
    assert.match(await page.textContent('#verdict'), /^Fits [\d.]+ GiB to spare on each GPU\.$/);
    await change(page, () => page.fill('#in-pp', '2'));
    assert.match(await page.textContent('#verdict'), /^Fits [\d.]+ GiB to spare on the tightest GPU \(stage \d\)\.$/);
    await context.close();
  });

  test('a knob no value satisfies reads once ("none works — no value works" is gone)', async () => {
    const { page, context } = await openPage(browser, server, { path: '/?preset=meta-llama/Llama-3.1-8B-Instruct&engine=vllm&gpu=nvidia-l4&batch=64&ctx=131072' });
    const v = JSON.parse((await rawExchange(page)).response).serving.solves;
    assert.equal(v.knob.value, null);
    const text = await page.textContent('[data-key="solve-knob"]');
    assert.equal(text, v.knob.note.charAt(0).toUpperCase() + v.knob.note.slice(1));
    assert.doesNotMatch(text, /none works — /);
    await context.close();
  });

  test('pasting the same failed link again retries', async () => {
    const { page, context, log } = await openPage(browser, server);
    await enterLink(page, 'test-org/private-model', 'hub-error');
    const n = log.hub.filter((x) => x.url.endsWith('/config.json')).length;
    await page.focus('#in-link');
    await page.evaluate(() => {
      const e = document.querySelector('#in-link');
      e.value = 'test-org/private-model';
      e.dispatchEvent(new ClipboardEvent('paste', { bubbles: true }));
    });
    const asked = () => log.hub.filter((x) => x.url.endsWith('/config.json')).length;
    for (let i = 0; i < 100 && asked() <= n; i++) await page.waitForTimeout(50);
    assert.ok(asked() > n, 'the Hub was asked again');
    await waitState(page, 'hub-error');
    await context.close();
  });

  test('a config without max_position_embeddings: "not given", never "0 tokens"', async () => {
    const config = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests/fixtures/configs/llama-3.1-8b.json'), 'utf8'));
    delete config.max_position_embeddings;
    delete config.rope_scaling;
    const { page, context } = await openPage(browser, server);
    await page.click('#paste-box summary');
    await page.fill('#in-config', JSON.stringify(config));
    await waitState(page, 'ready');
    assert.equal(JSON.parse((await rawExchange(page)).response).model.max_position_embeddings, 0);
    assert.equal(await page.textContent('[data-key="max_position_embeddings"]'), 'not given (config.json has no max_position_embeddings)');
    await context.close();
  });

  test('the focus ring contrasts 3:1 or more with the page; fold-out headings are 24 px tall or more', async () => {
    const { page, context } = await openPage(browser, server, { path: '/?engine=vllm' });
    await page.focus('#in-batch');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Tab');
    const ring = await page.$eval('#in-batch', (e) => [getComputedStyle(e).outlineColor, getComputedStyle(e).outlineWidth, getComputedStyle(document.body).backgroundColor]);
    const rgb = (s) => s.match(/[\d.]+/g).slice(0, 3).map(Number);
    const lum = ([r, g, b]) => {
      const c = (v) => { const x = v / 255; return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * c(r) + 0.7152 * c(g) + 0.0722 * c(b);
    };
    const bg = ring[2] === 'rgba(0, 0, 0, 0)' ? [255, 255, 255] : rgb(ring[2]);
    const [a, b] = [lum(rgb(ring[0])), lum(bg)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    assert.ok(ratio >= 3, `focus ring ${ring[0]} on ${ring[2]}: ${ratio.toFixed(2)}:1`);
    assert.ok(parseFloat(ring[1]) >= 2);
    const heights = await page.$$eval('summary', (ss) => ss.filter((s) => s.offsetParent).map((s) => [s.textContent.trim().slice(0, 30), s.getBoundingClientRect().height]));
    assert.ok(heights.length >= 5);
    for (const [name, hgt] of heights) assert.ok(hgt >= 24, `${name}: ${hgt} px`);
    await context.close();
  });
});
