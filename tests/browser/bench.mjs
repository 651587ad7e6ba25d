// Benchmark of the page (prints numbers; asserts nothing): total gzipped transfer, time from navigation to
// the first rendered result on localhost, and the time of one full recompute (WASM call + render + layout)
// after an input changes. Targets from the page issue: <= 150 KB gz, <= 300 ms, <= 16 ms.
//
// Usage: node tests/browser/bench.mjs [loads=5] [recomputes=200]   (after building build-wasm/site)
import zlib from 'node:zlib';

import { launch, openPage, startServer } from './harness.mjs';

const loads = Number(process.argv[2] || 5);
const recomputes = Number(process.argv[3] || 200);

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { median: q(0.5), p95: q(0.95), max: s[s.length - 1] };
}
const ms = (x) => `${x.toFixed(2)} ms`;

const server = await startServer();
const browser = await launch();
try {
  // 1. Transfer: every file the first load fetches, gzipped at level 9 (what a gzip-serving host sends).
  const first = await openPage(browser, server);
  const files = [];
  for (const url of first.log.requests) {
    const body = Buffer.from(await (await fetch(url)).arrayBuffer());
    files.push({ path: new URL(url).pathname, raw: body.length, gz: zlib.gzipSync(body, { level: 9 }).length });
  }
  await first.context.close();

  // 2. Navigation -> first rendered result (the page marks it right after the first render).
  const firstResult = [];
  for (let i = 0; i < loads; i++) {
    const { page, context } = await openPage(browser, server);
    firstResult.push(await page.evaluate(() => performance.getEntriesByName('llmsizer:first-result')[0].startTime));
    await context.close();
  }

  // 3. One recompute: set an input, dispatch its input event (the page recomputes synchronously), force layout.
  const { page, context } = await openPage(browser, server);
  const timing = await page.evaluate((n) => {
    const el = document.getElementById('in-batch');
    const total = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      el.value = String(1 + (i % 64));
      el.dispatchEvent(new Event('input', { bubbles: true }));
      void document.body.offsetHeight;  // style + layout of the new DOM
      total.push(performance.now() - t0);
    }
    const core = performance.getEntriesByName('llmsizer:recompute').slice(-n).map((e) => e.duration);
    return { total, core };
  }, recomputes);
  await context.close();

  const gz = files.reduce((a, f) => a + f.gz, 0);
  const raw = files.reduce((a, f) => a + f.raw, 0);
  console.log('llmsizer page benchmark (localhost, headless chromium)\n');
  console.log('transfer (gzip -9 of each file the page loads):');
  for (const f of files.sort((a, b) => b.gz - a.gz)) {
    console.log(`  ${f.path.padEnd(18)} ${String(f.raw).padStart(8)} B raw  ${String(f.gz).padStart(7)} B gz`);
  }
  console.log(`  ${'total'.padEnd(18)} ${String(raw).padStart(8)} B raw  ${String(gz).padStart(7)} B gz = ${(gz / 1000).toFixed(1)} KB (target <= 150 KB)\n`);
  const f = stats(firstResult);
  console.log(`navigation -> first result, ${loads} loads: median ${ms(f.median)}, max ${ms(f.max)} (target <= 300 ms)`);
  const t = stats(timing.total);
  const c = stats(timing.core);
  console.log(`recompute after an input, ${recomputes} runs:`);
  console.log(`  WASM call + DOM render:          median ${ms(c.median)}, p95 ${ms(c.p95)}, max ${ms(c.max)}`);
  console.log(`  + style and layout (one frame):  median ${ms(t.median)}, p95 ${ms(t.p95)}, max ${ms(t.max)} (target <= 16 ms)`);
} finally {
  await browser.close();
  await server.stop();
}
