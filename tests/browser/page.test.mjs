// The page in a real browser, with no network at all: the first load shows a full result from a bundled
// preset; the numbers shown are the CLI's for the same inputs (the core's JSON byte for byte, and the GiB
// figures of `llmsizer --request`'s table); every control has a label and is reachable with the keyboard; the
// layout holds at 375 px (panels open too); the page itself weighs at most 35 KB gzipped and everything at most
// 160 KB; screenshots go to build-wasm/test-artifacts/.
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { after, before, describe, test } from 'node:test';

import { defaultPreset, openPage, otherGpu, rawExchange, renders, runCli, saveArtifact, waitRenders, withBrowser } from './harness.mjs';

let server;
let browser;
withBrowser((s, b) => {
  server = s;
  browser = b;
});

/** The CLI's table figures: "weights  12.55" -> {weights: '12.55'}, plus fits/margin/GPUs needed/concurrency. */
function cliTable(text) {
  const pick = (re) => {
    const m = re.exec(text);
    assert.ok(m, `CLI table has no ${re}:\n${text}`);
    return m[1];
  };
  return {
    weights_bytes: pick(/^\s+weights\s+(-?[\d.]+)(?:  \[|  \(exact\)|$)/m),
    kv_cache_bytes: pick(/^\s+KV cache\s+(-?[\d.]+)/m),
    activations_bytes: pick(/^\s+activations\s+(-?[\d.]+)(?:  \[|  \(exact\)|$)/m),
    overhead_bytes: pick(/^\s+overhead\s+(-?[\d.]+)(?:  \[|  \(exact\)|$)/m),
    total_bytes: pick(/^\s+total\s+(-?[\d.]+)(?:  \[|  \(exact\)|$)/m),
    usable_bytes: pick(/^\s+usable\s+(-?[\d.]+)/m),
    free_bytes: pick(/^\s+free\s+(-?[\d.]+)(?:  \[|  \(exact\)|$)/m),
    reserve_bytes: pick(/minus the (-?[\d.]+) GiB reserve/),
    verdict: pick(/^\s+fits\s+(fits|may not fit|does not fit) \(on the band/m),
    fits: pick(/the estimate alone: (yes|no),/),
    margin: pick(/the estimate alone: (?:yes|no), margin (-?[\d.]+) GiB\)/),
    gpus_needed: pick(/^\s+GPUs needed\s+(\d+)/m),
    max_concurrency: pick(/^\s+max concurrency\s+([\d.]+)/m),
  };
}

describe('first load, offline', () => {
  test('a full result from the default preset, no request leaves the machine, no console error', async () => {
    const { page, context, log } = await openPage(browser, server);
    const preset = defaultPreset();
    assert.equal(await page.inputValue('#in-preset'), preset);
    assert.equal(await page.textContent('#model-title'), preset);
    assert.match(await page.textContent('#verdict'), /^(Fits|May not fit|Does not fit) /);
    assert.equal(await page.locator('#r-bars figure.gpu').count(), 1);
    assert.equal(await page.locator('#memory-table tbody tr').count(), 9);
    assert.match(await page.textContent('#memory-table caption'), /1 GiB = 230 bytes/);
    // Context defaults to the config's (the core's workload.context), shown as the placeholder.
    const { response } = await rawExchange(page);
    const r = JSON.parse(response);
    assert.equal(await page.getAttribute('#in-ctx', 'placeholder'), String(r.workload.context));
    assert.deepEqual(log.hub, []);
    assert.deepEqual(log.blocked, []);
    assert.deepEqual(log.console, []);
    assert.deepEqual(log.pageErrors, []);
    // The address bar follows the state.
    await page.waitForFunction(() => location.search.includes('preset='));
    assert.equal(new URL(page.url()).searchParams.get('preset'), preset);
    saveArtifact('page-desktop.png', await page.screenshot({ fullPage: true }));
    await context.close();
  });
});

describe('the numbers shown are the CLI numbers', () => {
  test('controls -> request -> same JSON and same GiB figures as build/llmsizer', async () => {
    const { page, context, log } = await openPage(browser, server);
    const preset = defaultPreset();
    let n = await renders(page);
    await page.selectOption('#in-gpu', otherGpu());
    await page.fill('#in-n', '2');
    await page.selectOption('#in-dtype', 'int8');
    await page.selectOption('#in-kv', 'fp8');
    await page.fill('#in-ctx', '16384');
    await page.fill('#in-batch', '12');
    await page.fill('#in-reserve', '0.1');
    await waitRenders(page, n);
    const { request, response } = await rawExchange(page);
    assert.deepEqual(request, {
      model: preset, gpu: otherGpu(), gpus: 2, dtype: 'int8', kv_dtype: 'fp8', context: 16384, batch: 12,
      reserve: 0.1,
    });
    // The core's JSON, byte for byte.
    assert.equal(runCli(request), `${response}\n`);
    const r = JSON.parse(response);
    assert.equal(r.layout.tp, 2);
    // The figures on the page = the CLI table's (both print bytes / 2^30 with two decimals).
    const cli = cliTable(runCli(request, false));
    for (const k of ['weights_bytes', 'kv_cache_bytes', 'activations_bytes', 'overhead_bytes', 'total_bytes', 'usable_bytes',
      'free_bytes', 'reserve_bytes']) {
      const cell = page.locator(`#memory-table tr[data-row="${k}"] td`).first();
      assert.equal(await cell.textContent(), cli[k], k);
      assert.equal(await cell.getAttribute('data-bytes'), String(r.memory[k]), k);
    }
    const verdict = await page.textContent('#verdict');
    // The verdict on the band (fits / may not fit / does not fit), as the CLI says it.
    assert.ok(verdict.toLowerCase().startsWith(cli.verdict), `${verdict} vs ${cli.verdict}`);
    assert.ok(verdict.includes(`${cli.margin.replace(/^-/, '')} GiB`), `${verdict} vs margin ${cli.margin}`);
    assert.match(await page.textContent('#gpus-needed'), new RegExp(`^${cli.gpus_needed}\\b`));
    // Whole sequences (a fraction of one is not served).
    assert.match(await page.textContent('#max-concurrency'), new RegExp(`^${Math.floor(Number(cli.max_concurrency)).toLocaleString('en-US')} sequences of 16,384 tokens`));
    // Bars: one per pipeline stage; its segments carry the same bytes.
    n = await renders(page);
    await page.fill('#in-pp', '2');
    await waitRenders(page, n);
    const two = JSON.parse((await rawExchange(page)).response);
    assert.equal(two.memory.per_gpu.length, 2);
    assert.equal(await page.locator('#r-bars figure.gpu').count(), 2);
    assert.equal(runCli((await rawExchange(page)).request), `${(await rawExchange(page)).response}\n`);
    assert.deepEqual(log.console, []);
    await context.close();
  });

  test('a configuration that does not fit says by how much, with the overflow marked', async () => {
    const { page, context } = await openPage(browser, server);
    const n = await renders(page);
    await page.fill('#in-batch', '4000');
    await waitRenders(page, n);
    const { request, response } = await rawExchange(page);
    const r = JSON.parse(response);
    assert.equal(r.serving.fits, false);
    const cli = cliTable(runCli(request, false));
    const verdict = await page.textContent('#verdict');
    // One GPU: no "tightest GPU" to speak of.
    assert.match(verdict, /^Does not fit short by [\d.]+ GiB\.$/);
    assert.ok(verdict.includes(`short by ${cli.margin.replace(/^-/, '')} GiB`));
    assert.equal(await page.locator('#r-bars .bar.over .limit .overflow').count(), 1);
    await context.close();
  });

  test('a core error (TP that does not divide the GPUs) is shown, and the page recovers', async () => {
    const { page, context } = await openPage(browser, server);
    await page.fill('#in-n', '3');
    await page.fill('#in-tp', '2');
    await page.waitForSelector('#results[data-state="error"]');
    assert.match(await page.textContent('#error'), /^GPUs = 3 is not a multiple of tp x pp = 2 x 1/);
    assert.doesNotMatch(await page.textContent('#error'), /\[conflicting_options\]/);
    await page.fill('#in-n', '4');
    await page.waitForSelector('#results[data-state="ready"]');
    assert.equal(await page.isHidden('#error'), true);
    await context.close();
  });
});

describe('warnings', () => {
  test('context beyond max_position_embeddings and TP not dividing the heads are shown, as the core words them', async () => {
    const { page, context, log } = await openPage(browser, server);
    const n = await renders(page);
    await page.fill('#in-n', '3');
    await page.fill('#in-ctx', '10000000');
    await waitRenders(page, n);
    await page.waitForSelector('#results[data-state="ready"]');
    const r = JSON.parse((await rawExchange(page)).response);
    const codes = r.warnings.map((w) => w.code);
    assert.ok(codes.includes('context_beyond_max_position') && codes.includes('tp_not_dividing_heads'), codes.join());
    const shown = await page.$$eval('#r-warnings li', (li) => li.map((x) => [x.dataset.code, x.textContent]));
    assert.deepEqual(shown, r.warnings.map((w) => [w.code, w.message]));
    assert.deepEqual(log.console, []);
    await context.close();
  });
});

describe('accessibility and small screens', () => {
  test('every control has a label, and Tab reaches every control', async () => {
    const { page, context } = await openPage(browser, server);
    const unlabelled = await page.$$eval('input, select, textarea', (els) =>
      els.filter((e) => !e.closest('[hidden]') && e.labels.length === 0 && !e.getAttribute('aria-label')).map((e) => e.id || e.outerHTML));
    assert.deepEqual(unlabelled, []);
    const reached = new Set();
    await page.focus('body');
    for (let i = 0; i < 60; i++) {
      await page.keyboard.press('Tab');
      reached.add(await page.evaluate(() => document.activeElement.id || document.activeElement.parentElement.id));
    }
    for (const id of ['in-link', 'fetch', 'in-preset', 'token-box', 'paste-box', 'in-mode', 'gpu-filter', 'in-gpu', 'in-n', 'in-tp', 'in-pp',
      'in-dtype', 'in-kv', 'in-ctx', 'in-batch', 'in-reserve', 'in-in', 'in-out', 'in-engine', 'share-url', 'copy-link', 'p-speed',
      'p-context', 'p-recs']) {
      assert.ok(reached.has(id), `Tab never reaches #${id} (reached: ${[...reached].join(', ')})`);
    }
    // Every engine's and mode's options, and the recommendation filters, are labelled too.
    for (const q of ['engine=vllm&open=recs', 'engine=sglang', 'engine=llama.cpp', 'mode=lora', 'mode=full']) {
      const other = await openPage(browser, server, { path: `/?${q}` });
      const shown = await other.page.$$eval('input, select, textarea', (els) => els.filter((e) => !e.closest('[hidden]'))
        .map((e) => [e.id, e.labels.length > 0 && e.labels[0].textContent.trim().length > 0]));
      assert.ok(shown.length > 15, q);
      assert.deepEqual(shown.filter(([, ok]) => !ok), [], q);
      await other.context.close();
    }
    // Keyboard only: change the batch and see the result follow.
    const n = await renders(page);
    await page.focus('#in-batch');
    await page.keyboard.type('3');
    await waitRenders(page, n);
    assert.match(await page.textContent('#workload'), /^3 sequences/);
    await context.close();
  });

  test('375 px wide: no sideways scrolling, everything visible', async () => {
    const { page, context, log } = await openPage(browser, server, { viewport: { width: 375, height: 812 } });
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 375, `page is ${width}px wide at 375px`);
    for (const sel of ['#in-link', '#in-gpu', '#in-ctx', '#verdict', '#memory-table', '#copy-link']) {
      const box = await page.locator(sel).boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= 375.5, `${sel} overflows: ${JSON.stringify(box)}`);
    }
    saveArtifact('page-375px.png', await page.screenshot({ fullPage: true }));
    assert.deepEqual(log.console, []);
    await context.close();
  });

  test('375 px wide with an engine and every panel open: tables scroll in their own box, charts scale', async () => {
    const { page, context, log } = await openPage(browser, server, {
      viewport: { width: 375, height: 812 },
      path: '/?preset=Qwen/Qwen2.5-7B-Instruct&engine=vllm&open=speed,context,recs',
    });
    await page.waitForSelector('#recs-table');
    await page.waitForSelector('#chart-memory');
    await page.waitForSelector('#chart-per-user');
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 375, `page is ${width}px wide at 375px`);
    for (const sel of ['#chart-memory', '#chart-concurrency', '#chart-throughput', '#launch-command', '#startup-log', '#p-recs .table-wrap']) {
      const box = await page.locator(sel).boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= 375.5, `${sel} overflows: ${JSON.stringify(box)}`);
    }
    // The recommendations are a card per GPU: nothing to scroll sideways.
    assert.ok(await page.$eval('#p-recs .table-wrap', (w) => w.scrollWidth <= w.clientWidth));
    saveArtifact('page-375px-panels.png', await page.screenshot({ fullPage: true }));
    await page.setViewportSize({ width: 1280, height: 900 });
    saveArtifact('page-desktop-panels.png', await page.screenshot({ fullPage: true }));
    assert.deepEqual(log.console, []);
    await context.close();
  });

  test('the GPU list can be searched', async () => {
    const { page, context } = await openPage(browser, server);
    const target = otherGpu();
    await page.fill('#gpu-filter', target.toUpperCase());
    const options = await page.$$eval('#in-gpu option', (os) => os.map((o) => o.value));
    // The match, plus the GPU still selected.
    assert.deepEqual(options.sort(), [target, 'nvidia-h100-sxm'].sort());
    assert.match(await page.textContent('#gpu-count'), /^1 of \d+ GPUs match$/);
    const n = await renders(page);
    await page.press('#gpu-filter', 'Enter');
    await waitRenders(page, n);
    assert.equal(JSON.parse((await rawExchange(page)).response).layout.gpu, target);
    await context.close();
  });
});

describe('page weight', () => {
  /** Gzipped size (level 9) of each file the first load fetched. */
  async function firstLoad() {
    const { page, context, log } = await openPage(browser, server);
    await page.waitForTimeout(300);  // anything loaded after the first result counts too
    const sizes = {};
    for (const url of log.requests) {
      const body = Buffer.from(await (await fetch(url)).arrayBuffer());
      sizes[new URL(url).pathname] = zlib.gzipSync(body, { level: 9 }).length;
    }
    await context.close();
    return sizes;
  }
  const sum = (sizes, keep) => Object.entries(sizes).filter(([f]) => keep(f)).reduce((a, [, n]) => a + n, 0);
  const core = (f) => /^\/llmsizer(-lite)?\.(wasm|mjs)$/.test(f);

  test('the page itself (HTML, CSS, JavaScript; not the core) is at most 35 KB gzipped, closed panels not loaded', async () => {
    const sizes = await firstLoad();
    for (const f of ['/index.html', '/app.js', '/style.css', '/llmsizer.js', '/llmsizer-lite.mjs', '/llmsizer-lite.wasm']) {
      assert.ok(f in sizes || (f === '/index.html' && '/' in sizes), `${f} not loaded: ${Object.keys(sizes)}`);
    }
    // The full core loads only when a request needs it (another engine, a GGUF, fine-tuning, recommendations).
    for (const f of ['/llmsizer.mjs', '/llmsizer.wasm']) assert.ok(!(f in sizes), `${f} loaded at first`);
    for (const f of ['/hf.js', '/gguf.js', '/charts.js', '/speed.js', '/context.js', '/recs.js', '/train.js']) {
      assert.ok(!(f in sizes), `${f} loaded with every panel closed`);
    }
    const page = sum(sizes, (f) => !core(f));
    console.log(`# first load: page ${page} B gz, core ${sum(sizes, core)} B gz`);
    assert.ok(page <= 35000, `the page weighs ${page} bytes gzipped: ${JSON.stringify(sizes)}`);
  });

  test('everything the page loads is at most 160 KB gzipped', async () => {
    const sizes = await firstLoad();
    const total = sum(sizes, () => true);
    assert.ok(total <= 160000, `page weighs ${total} bytes gzipped: ${JSON.stringify(sizes)}`);
  });
});

describe('Content-Security-Policy', () => {
  test('the meta policy is in force: no inline script runs, WebAssembly and the Hub are allowed', async () => {
    const { page, context, log } = await openPage(browser, server);
    const csp = await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content');
    assert.match(csp, /script-src 'self' 'wasm-unsafe-eval';/);
    assert.match(csp, /connect-src 'self' https:\/\/huggingface\.co https:\/\/\*\.huggingface\.co https:\/\/\*\.hf\.co;/);
    assert.doesNotMatch(csp, /unsafe-inline|'unsafe-eval'/);
    assert.deepEqual(log.console, []);  // the page itself runs under it without a violation
    const ran = await page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.__inlineRan = true';
      document.head.append(s);
      return window.__inlineRan === true;
    });
    assert.equal(ran, false);
    assert.ok(log.console.some((t) => /Content Security Policy/.test(t)), log.console.join('\n'));
    // Nor an inline event handler, nor an inline style attribute, nor a connection to another host.
    const handler = await page.evaluate(async () => {
      const img = document.createElement('img');
      img.setAttribute('onerror', 'window.__handlerRan = true');
      img.src = 'data:,x';
      document.body.append(img);
      await new Promise((r) => setTimeout(r, 200));
      return window.__handlerRan === true;
    });
    assert.equal(handler, false);
    const styled = await page.evaluate(() => {
      const d = document.createElement('div');
      d.setAttribute('style', 'width: 1234px');
      document.body.append(d);
      return d.getBoundingClientRect().width;
    });
    assert.notEqual(styled, 1234);
    const fetched = await page.evaluate(() => fetch('https://example.com/x').then(() => 'fetched', () => 'refused'));
    assert.equal(fetched, 'refused');
    assert.ok(log.console.some((t) => /Connecting to 'https:\/\/example\.com\/x' violates .*connect-src/.test(t)), log.console.join('\n'));
    assert.deepEqual(log.blocked, [], 'the CSP refused it before any request left');
    await context.close();
  });
});
