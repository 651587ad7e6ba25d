// Serving engines, speed, the context-length charts and the GPU recommendations in a real browser (no
// network): the engine selector lists the core's engines; each engine's options are labelled controls that
// reach the request as the core's keys (and only for that engine); the start-up lines, a failure, the
// settings, the launch command (with a working Copy button) and the reverse solves are the core's; the panels
// load when opened and show the core's numbers (charts with title, description, labelled axes and a data
// table); recommendations are a separate request made only while their panel is open — byte-identical to the
// CLI's — with filters and sortable columns.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';

import { shortName } from '../../web/recs.js';
import { duration } from '../../web/render.js';
import { change, CLI, GIB, openPage, rawExchange, renders, runCli, sig, waitRenders, withBrowser } from './harness.mjs';

let server;
let browser;
withBrowser((s, b) => {
  server = s;
  browser = b;
});


async function open(page, panel) {
  await page.click(`#p-${panel} > summary`);
}

describe('the engine selector and each engine\'s options', () => {
  test('the engines are the core\'s', async () => {
    const { page, context } = await openPage(browser, server);
    const help = execFileSync(CLI, ['--help'], { encoding: 'utf8' });
    const engines = /--engine S\s+(\S+)/.exec(help)[1].split('|');
    assert.deepEqual(await page.$$eval('#in-engine option', (os) => os.map((o) => o.value)), engines);
    assert.equal(await page.inputValue('#in-engine'), 'generic');
    // Options of no engine are shown for the generic one.
    assert.equal(await page.locator('#engine-options > .grid:visible').count(), 0);
    await context.close();
  });

  test('vLLM: every option reaches the request; log, settings, launch command (Copy), solves are the core\'s', async () => {
    const { page, context, log } = await openPage(browser, server);
    await change(page, async () => {
      await page.selectOption('#in-engine', 'vllm');
      await page.fill('#in-gmu', '0.85');
      await page.fill('#in-mml', '16384');
      await page.fill('#in-mnbt', '4096');
      await page.fill('#in-mns', '128');
      await page.fill('#in-bs', '32');
      await page.check('#in-eager');
      await page.fill('#in-vllmv', '0.10');
      await page.fill('#in-batch', '8');
    });
    const { request, response } = await rawExchange(page);
    assert.deepEqual(request, {
      model: 'Qwen/Qwen2.5-7B-Instruct', engine: 'vllm', gpu: 'nvidia-h100-sxm', batch: 8, gpu_memory_utilization: 0.85,
      max_model_len: 16384, max_num_batched_tokens: 4096, max_num_seqs: 128, block_size: 32, enforce_eager: true, vllm_version: '0.10',
    });
    assert.equal(runCli(request), `${response}\n`);
    const s = JSON.parse(response).serving;
    assert.equal(await page.textContent('#startup-log'), s.startup_log.join('\n'));
    assert.match(s.startup_log.join('\n'), /GPU KV cache size: [\d,]+ tokens/);
    assert.equal(await page.textContent('#launch-command'), s.launch_command);
    assert.match(s.launch_command, /^vllm serve Qwen\/Qwen2\.5-7B-Instruct .*--gpu-memory-utilization 0\.85/);
    assert.equal(await page.textContent('[data-key="setting-block_size"]'), '32');
    assert.equal(await page.textContent('[data-key="kv_cache_tokens"]'), s.kv_cache_tokens.toLocaleString('en-US'));
    await page.click('#copy-command');
    await page.waitForFunction(() => document.querySelector('#r-engine [role="status"]').textContent === 'Copied.');
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), s.launch_command);
    // Reverse solves: the knob is gpu_memory_utilization, with the core's value.
    const v = s.solves;
    assert.equal(v.knob.name, 'gpu_memory_utilization');
    assert.match(await page.textContent('[data-key="solve-knob"]'), new RegExp(`^${String(v.knob.value).replace('.', '\\.')}`));
    assert.match(await page.textContent('[data-key="solve-context"]'), new RegExp(`^${v.max_context.tokens.toLocaleString('en-US')} tokens`));
    assert.match(await page.textContent('[data-key="solve-gpus"]'), new RegExp(`^${v.fewest_gpus.gpus} \\(TP ${v.fewest_gpus.tp} × PP`));
    assert.match(await page.textContent('#r-solves'), /Largest context for 8 concurrent sequences/);
    // Placeholders show the core's defaults once an option is cleared.
    await change(page, () => page.fill('#in-mns', ''));
    const d = JSON.parse((await rawExchange(page)).response).serving.settings;
    assert.equal(await page.getAttribute('#in-mns', 'placeholder'), String(d.max_num_seqs));
    // Another engine: vLLM's options leave the request.
    await change(page, () => page.selectOption('#in-engine', 'sglang'));
    const other = (await rawExchange(page)).request;
    assert.equal(other.gpu_memory_utilization, undefined);
    assert.equal(other.engine, 'sglang');
    assert.deepEqual(log.console, []);
    await context.close();
  });

  test('versions: vLLM V0 and the CUDA-graph switch, transformers version and attention reach the request', async () => {
    const { page, context } = await openPage(browser, server);
    await change(page, async () => {
      await page.selectOption('#in-engine', 'vllm');
      await page.fill('#in-vllmv', '0.9');
      await page.check('#in-v0');
      await page.check('#in-cg');
    });
    let x = await rawExchange(page);
    assert.equal(x.request.vllm_v0, true);
    assert.equal(x.request.vllm_estimate_cudagraphs, true);
    assert.equal(runCli(x.request), `${x.response}\n`);
    let s = JSON.parse(x.response).serving;
    assert.equal(s.engine_rules, 'vLLM 0.9 (V0 engine)');
    assert.equal(await page.textContent('#startup-log-title'), 'What vLLM 0.9 (V0 engine) would print at start-up');
    assert.match(s.startup_log[0], /^Initializing an LLM engine \(v0\.9\)/);
    await change(page, async () => {
      await page.selectOption('#in-engine', 'transformers');
      await page.fill('#in-tfv', '4.38');
      await page.selectOption('#in-attn', 'eager');
    });
    x = await rawExchange(page);
    assert.equal(x.request.transformers_version, '4.38');
    assert.equal(x.request.attention_implementation, 'eager');
    assert.equal(x.request.vllm_v0, undefined);
    assert.equal(runCli(x.request), `${x.response}\n`);
    s = JSON.parse(x.response).serving;
    assert.equal(s.engine_rules, 'transformers 4.38 (eager attention)');
    await context.close();
  });

  test('vLLM refusing to start: its error and the longest request that fits', async () => {
    const { page, context } = await openPage(browser, server, { path: '/?preset=meta-llama/Llama-3.1-8B-Instruct&engine=vllm&gpu=nvidia-l4&ctx=131072' });
    const s = JSON.parse((await rawExchange(page)).response).serving;
    assert.match(s.failure, /^ValueError: To serve at least one request/);
    assert.equal(await page.textContent('#engine-failure'), s.failure);
    assert.equal(await page.textContent('[data-key="max_model_len_that_fits"]'), s.max_model_len_that_fits.toLocaleString('en-US'));
    assert.match(await page.textContent('#verdict'), /^Does not fit/);
    await context.close();
  });

  test('SGLang: mem_fraction_static, and the fraction needed', async () => {
    const { page, context } = await openPage(browser, server, { path: '/?preset=Qwen/Qwen2.5-7B-Instruct&engine=sglang' });
    await change(page, () => page.fill('#in-mfs', '0.7'));
    const { request, response } = await rawExchange(page);
    assert.equal(request.mem_fraction_static, 0.7);
    assert.equal(runCli(request), `${response}\n`);
    const s = JSON.parse(response).serving;
    assert.equal(s.solves.knob.name, 'mem_fraction_static');
    assert.match(await page.textContent('#r-solves'), /mem_fraction_static needed for 1 concurrent sequence of 8,192 tokens/);
    assert.match(await page.textContent('#launch-command'), /--mem-fraction-static 0\.70$/);
    await context.close();
  });

  test('llama.cpp: GGUF file types as precisions, cache types, slots, offload, flags', async () => {
    const { page, context } = await openPage(browser, server, { path: '/?preset=Qwen/Qwen2.5-7B-Instruct&engine=llama.cpp' });
    await change(page, async () => {
      await page.selectOption('#in-dtype', 'Q4_K_M');
      await page.selectOption('#in-ctk', 'q8_0');
      await page.selectOption('#in-ctv', 'q8_0');
      await page.fill('#in-np', '4');
      await page.fill('#in-ngl', '20');
      await page.fill('#in-ub', '256');
      await page.uncheck('#in-fa');
      await page.check('#in-swafull');
    });
    const { request, response } = await rawExchange(page);
    assert.deepEqual(request, {
      model: 'Qwen/Qwen2.5-7B-Instruct', engine: 'llama.cpp', gpu: 'nvidia-h100-sxm', dtype: 'Q4_K_M', ctk: 'q8_0', ctv: 'q8_0',
      np: 4, ngl: 20, ubatch: 256, flash_attn: false, swa_full: true,
    });
    assert.equal(runCli(request), `${response}\n`);
    const r = JSON.parse(response);
    assert.match(r.precision.weights, /^GGUF Q4_K_M/);
    assert.equal(await page.textContent('[data-key="weights_precision"]'), r.precision.weights);
    // Partial offload: host RAM is reported apart from VRAM.
    assert.ok(r.serving.system_ram_bytes > 0);
    assert.equal(await page.textContent('[data-key="system_ram_bytes"]'), `${GIB(r.serving.system_ram_bytes)} GiB`);
    assert.match(await page.textContent('#launch-command'), /^llama-server -m Qwen2\.5-7B-Instruct-Q4_K_M\.gguf .*-np 4 -ngl 20/);
    // Flash attention back on: the default, so the key leaves the request.
    await change(page, () => page.check('#in-fa'));
    assert.equal((await rawExchange(page)).request.flash_attn, undefined);
    await context.close();
  });
});

describe('panels load when opened and show the core\'s numbers', () => {
  test('speed: the request\'s figures, its inputs, the assumptions, and the chart vs concurrency', async () => {
    const { page, context, log } = await openPage(browser, server, { path: '/?preset=Qwen/Qwen2.5-7B-Instruct&engine=vllm' });
    assert.ok(!log.requests.some((u) => u.endsWith('/speed.js')), 'speed.js loads only when its panel opens');
    await change(page, async () => {
      await page.fill('#in-in', '1000');
      await page.fill('#in-out', '500');
    });
    const { request, response } = await rawExchange(page);
    assert.equal(request.input_tokens, 1000);
    assert.equal(request.output_tokens, 500);
    assert.equal(runCli(request), `${response}\n`);
    const s = JSON.parse(response).speed;
    assert.equal(await page.textContent('#speed-line'),
      ` — ${sig(s.decode_tokens_per_second)} tokens/s per request, first token after ${duration(s.ttft_seconds)}, ${s.bound}-bound`);
    await open(page, 'speed');
    await page.waitForSelector('#r-speed [data-key="ttft"]');
    assert.ok(log.requests.some((u) => u.endsWith('/speed.js')));
    assert.equal(await page.textContent('#r-speed [data-key="ttft"]'), duration(s.ttft_seconds));
    assert.equal(await page.textContent('#r-speed [data-key="tpot"]'), duration(s.tpot_seconds));
    assert.equal(await page.textContent('#r-speed [data-key="tokens_per_second"]'), `${sig(s.decode_tokens_per_second)} tokens/s`);
    assert.match(await page.textContent('#r-speed [data-key="throughput"]'), new RegExp(`^${sig(s.throughput_tokens_per_second)} tokens/s`));
    assert.equal(await page.textContent('#r-speed [data-key="e2e"]'), duration(s.e2e_latency_seconds));
    assert.match(await page.textContent('#r-speed [data-key="bound"]'), new RegExp(`^${s.bound} `));
    assert.match(await page.textContent('#r-speed [data-key="speed-request"]'), /^1,000 prompt tokens, 500 generated/);
    assert.equal(await page.textContent('#r-speed [data-key="speed-bandwidth_efficiency"]'), sig(s.assumptions.bandwidth_efficiency, 6));
    // The chart: accessible, with units, one point per curve entry, and its data table.
    const chart = await page.$eval('#chart-per-user', (svg) => ({
      role: svg.getAttribute('role'),
      labels: svg.getAttribute('aria-labelledby').split(' ').map((id) => document.getElementById(id).textContent),
      axes: [...svg.querySelectorAll('.axis')].map((t) => t.textContent),
      points: svg.querySelectorAll('circle').length,
    }));
    assert.equal(chart.role, 'img');
    assert.equal(chart.labels[0], 'Tokens/s per user vs concurrency');
    assert.match(chart.labels[1], /Tokens per second each request sees/);
    assert.deepEqual(chart.axes, ['concurrent requests', 'tokens/s']);
    assert.equal(chart.points, s.curve.length);
    const rows = await page.$$eval('#p-speed figure:has(#chart-per-user) table tbody tr', (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
    assert.deepEqual(rows, s.curve.map((p) => [p.concurrency.toLocaleString('en-US'), sig(p.per_user_tokens_per_second)]));
    assert.equal(await page.locator('#chart-throughput circle').count(), 2 * s.curve.length);
    assert.deepEqual(log.console, []);
    await context.close();
  });

  test('memory and concurrency vs context length, from serving.context_curve', async () => {
    const { page, context } = await openPage(browser, server, { path: '/?preset=Qwen/Qwen2.5-7B-Instruct&engine=vllm&batch=200&open=context' });
    await page.waitForSelector('#chart-memory');
    const r = JSON.parse((await rawExchange(page)).response);
    const curve = r.serving.context_curve;
    assert.ok(curve.length >= 5);
    assert.deepEqual(curve.map((p) => p.context).slice(0, 3), [1024, 2048, 4096]);
    const conc = await page.$$eval('#p-context figure:has(#chart-concurrency) table tbody tr', (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
    // x labels: 1K = 1,024 tokens; points where 200 sequences do not fit are marked.
    assert.deepEqual(conc, curve.map((p) => [p.context % 1024 === 0 ? `${p.context / 1024}K` : p.context.toLocaleString('en-US'),
      `${p.max_concurrency.toLocaleString('en-US')}${p.fits ? '' : ' (does not fit)'}`]));
    assert.ok(curve.some((p) => !p.fits) && curve.some((p) => p.fits), 'the batch of 200 fits at short contexts only');
    assert.equal(await page.locator('#chart-concurrency circle.hollow').count(), curve.filter((p) => !p.fits).length);
    const mem = await page.$$eval('#p-context figure:has(#chart-memory) table tbody tr', (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
    assert.deepEqual(mem.map((row) => row.slice(1, 3)), curve.map((p) => [GIB(p.memory.weights_bytes), GIB(p.memory.kv_cache_bytes)]));
    assert.deepEqual(await page.$$eval('#chart-memory .axis', (ts) => ts.map((t) => t.textContent)), ['context length (tokens)', 'GiB per GPU']);
    assert.match(await page.$eval('#chart-memory desc', (d) => d.textContent), /against the usable [\d.]+ GiB of 79\.19 GiB/);
    // The share link keeps the panel open.
    await page.waitForFunction(() => location.search.includes('open=context'));
    await context.close();
  });
});

describe('recommendations', () => {
  test('only while open; the CLI\'s ranking; filters; sorting; tokens/s per GPU', async () => {
    const { page, context, log } = await openPage(browser, server, { path: '/?preset=Qwen/Qwen2.5-7B-Instruct&engine=vllm' });
    assert.equal((await rawExchange(page)).request.recommend, undefined);
    await open(page, 'recs');
    await page.waitForSelector('#recs-table');
    const raw = (await page.textContent('#raw-recs')).split('\n');
    const request = JSON.parse(raw[0]);
    assert.deepEqual(request, { model: 'Qwen/Qwen2.5-7B-Instruct', engine: 'vllm', gpu: 'nvidia-h100-sxm', recommend: true });
    assert.equal(runCli(request), `${raw[1]}\n`);
    const recs = JSON.parse(raw[1]).recommendations;
    assert.equal(await page.locator('#recs-table tbody tr').count(), recs.length);
    assert.ok(recs.some((x) => typeof x.tokens_per_second === 'number'), 'the core gives tokens/s per GPU');
    const first = recs[0];
    const cells = await page.$$eval('#recs-table tbody tr:first-child > *', (cs) => cs.map((c) => c.textContent));
    // GPUs x the short name (the full one in the title), whole sequences; the GPU's memory last.
    assert.deepEqual(cells, ['1', `${first.count} × ${shortName(first.name)}`, `TP ${first.tp} × PP ${first.pp}`,
      Math.floor(first.max_concurrency).toLocaleString('en-US'), sig(first.tokens_per_second), GIB(first.headroom_bytes),
      sig(first.throughput_tokens_per_second), sig(first.throughput_tokens_per_second_per_gpu), String(first.memory_gib)]);
    assert.match(await page.getAttribute('#recs-table tbody tr:first-child th', 'title'), new RegExp(`^${first.name.replace(/[()]/g, '\\$&')} \\(`));
    assert.ok(log.requests.some((u) => u.endsWith('/recs.js')));

    // Filters go into the ranking request only.
    let n = await page.$eval('#p-recs', (d) => Number(d.dataset.renders || 0));
    await page.selectOption('#in-rv', 'AMD');
    await page.fill('#in-rmin', '150');
    await page.waitForFunction((k) => Number(document.querySelector('#p-recs').dataset.renders || 0) > k, n);
    await page.waitForFunction(() => [...document.querySelectorAll('#recs-table tbody th')].every((t) => /\(AMD, /.test(t.title)));
    // Both filters (the vendor's ranking may come first, the minimum memory's after the typing pause).
    await page.waitForFunction(() => document.querySelector('#raw-recs').textContent.includes('"recommend_min_memory_gib":150'));
    const filtered = (await page.textContent('#raw-recs')).split('\n');
    assert.deepEqual(JSON.parse(filtered[0]), { ...request, recommend_vendor: 'AMD', recommend_min_memory_gib: 150 });
    const amd = JSON.parse(filtered[1]).recommendations;
    assert.ok(amd.length > 0 && amd.every((x) => x.vendor === 'AMD' && x.memory_gib >= 150));
    assert.equal(runCli(JSON.parse(filtered[0])), `${filtered[1]}\n`);
    assert.equal((await rawExchange(page)).request.recommend_vendor, undefined, 'the main request has no filter');
    await page.selectOption('#in-rv', '');
    await page.fill('#in-rmin', '');
    await page.waitForFunction(() => document.querySelectorAll('#recs-table tbody tr').length > 10);

    // vLLM does not run on Apple GPUs: they are folded below the table with the core's reason (issue 16).
    const excluded = JSON.parse((await page.textContent('#raw-recs')).split('\n')[1]).recommendations_excluded;
    assert.ok(excluded.some((x) => x.gpu === 'apple-m2-ultra'));
    assert.equal(await page.locator('#recs-excluded li').count(), excluded.length);
    assert.match(await page.textContent('#recs-excluded li[data-gpu="apple-m2-ultra"]'), /Apple Silicon/);
    // The top three's launch commands, one per node, as the core wrote them.
    const ranked = JSON.parse((await page.textContent('#raw-recs')).split('\n')[1]).recommendations;
    const withCmds = ranked.filter((x) => (x.launch_commands || []).length).slice(0, 3);
    assert.ok(withCmds.length > 0, 'vLLM recommendations carry launch commands');
    assert.equal(await page.locator('#recs-launch pre').count(), withCmds.reduce((k, x) => k + x.launch_commands.length, 0));
    assert.equal(await page.textContent('#recs-launch pre >> nth=0'), withCmds[0].launch_commands[0].command);
    // A latency target and a price: the ranking request carries them, the table gains their columns.
    await page.fill('#in-tpot', '50');
    await page.fill('#in-usd', '2.5');
    await page.waitForFunction(() => document.querySelector('#raw-recs').textContent.includes('"gpu_hour_usd":2.5'));
    const priced = (await page.textContent('#raw-recs')).split('\n');
    assert.deepEqual(JSON.parse(priced[0]), { ...request, target_tpot_ms: 50, gpu_hour_usd: 2.5 });
    assert.equal(runCli(JSON.parse(priced[0])), `${priced[1]}\n`);
    const top = JSON.parse(priced[1]).recommendations[0];
    await page.waitForSelector('#recs-table td[data-key="cost_per_million_output_tokens_usd"]');
    assert.equal(await page.textContent('#recs-table tbody tr:first-child td[data-key="cost_per_million_output_tokens_usd"]'),
      `$${sig(top.cost_per_million_output_tokens_usd)}`);
    assert.equal(await page.textContent('#recs-table tbody tr:first-child td[data-key="concurrency_at_target"]'),
      top.concurrency_at_target.toLocaleString('en-US'));
    await page.waitForFunction(() => /tpot=50&usd=2\.5/.test(location.search));
    // The top three layouts' tokens/s per GPU against tokens/s per user, the 50 ms target as 20 tokens/s per user.
    assert.equal(await page.locator('#chart-recs polyline').count(), 3);
    assert.equal(await page.locator('#chart-recs line.ref').count(), 1);
    assert.match(await page.textContent('#chart-recs-box .legend'), /target: 50 ms per token = 20 tokens\/s per user/);
    assert.equal(await page.locator('#chart-recs-box table.data tbody tr').count(),
      JSON.parse(priced[1]).recommendations.slice(0, 3).reduce((n, x) => n + x.curve.length, 0));
    await page.fill('#in-tpot', '');
    await page.fill('#in-usd', '');
    await page.waitForFunction(() => !document.querySelector('#recs-table td[data-key="cost_per_million_output_tokens_usd"]'));

    // Sorting: by tokens/s, descending then ascending; the link remembers it.
    const all = JSON.parse((await page.textContent('#raw-recs')).split('\n')[1]).recommendations;
    await page.click('#recs-table button[data-sort="tokens_per_second"]');
    await page.click('#recs-table button[data-sort="tokens_per_second"]');
    const shown = await page.$$eval('#recs-table tbody tr', (trs) => trs.map((tr) => tr.dataset.gpu));
    const want = all.map((x, i) => [x, i]).sort(([a, i], [b, j]) => (b.tokens_per_second ?? -1) - (a.tokens_per_second ?? -1) || i - j)
      .filter(([x]) => x.tokens_per_second !== null).map(([x]) => x.gpu);
    assert.deepEqual(shown.slice(0, want.length), want);
    assert.equal(await page.getAttribute('#recs-table th:has(button[data-sort="tokens_per_second"])', 'aria-sort'), 'descending');
    await page.waitForFunction(() => location.search.includes('sort=-tokens_per_second'));
    assert.match(page.url(), /open=recs/);

    // Typing with the panel open: the estimate at once, the ranking once typing pauses.
    n = await page.$eval('#p-recs', (d) => Number(d.dataset.renders || 0));
    const before = await renders(page);
    // Three keystrokes 20 ms apart, timed in the page (a loaded test machine delays the driver's own round trips).
    await page.evaluate(async () => {
      const el = document.querySelector('#in-batch');
      for (const ch of '123') {
        el.value += ch;
        el.dispatchEvent(new Event('input', { bubbles: true }));
        await new Promise((r) => setTimeout(r, 20));
      }
    });
    await page.waitForFunction((k) => Number(document.querySelector('#p-recs').dataset.renders || 0) > k, n);
    assert.equal(await renders(page), before + 3);
    assert.ok(await page.$eval('#p-recs', (d) => Number(d.dataset.renders)) <= n + 2, 'the ranking waits for a pause');
    // Closed: no more ranking requests.
    await page.click('#p-recs > summary');
    n = await page.$eval('#p-recs', (d) => Number(d.dataset.renders || 0));
    await change(page, () => page.fill('#in-batch', '4'));
    await page.waitForTimeout(400);
    assert.equal(await page.$eval('#p-recs', (d) => Number(d.dataset.renders || 0)), n);
    const times = await page.evaluate(() => performance.getEntriesByName('llmsizer:recommend').map((e) => e.duration));
    console.log(`# recommendations request: ${times.map((t) => t.toFixed(1)).join(', ')} ms`);
    assert.deepEqual(log.console, []);
    await context.close();
  });
});

describe('encoders', () => {
  test('an embedding model reads as an encoder: kind, no KV cache, texts per forward, sequences/s, every engine\'s command', async () => {
    const { page, context } = await openPage(browser, server);
    await change(page, async () => {
      await page.selectOption('#in-preset', 'BAAI/bge-m3');
      await page.selectOption('#in-engine', 'vllm');
      await page.fill('#in-batch', '64');
    });
    const { request, response } = await rawExchange(page);
    assert.equal(request.model, 'BAAI/bge-m3');
    assert.equal(runCli(request), `${response}\n`);
    const r = JSON.parse(response);
    assert.equal(r.model.kind, 'encoder');
    assert.match(await page.textContent('[data-key="kind"]'), /^encoder: model head, one forward per text of up to 8,192 tokens, no KV cache/);
    assert.equal(await page.textContent('[data-key="kv_precision"]'), 'none (encoder)');
    assert.equal(await page.textContent('label[for="in-ctx"]'), 'Tokens per text');
    assert.equal(await page.textContent('label[for="in-batch"]'), 'Texts per batch');
    // The texts per forward carry their band (the table's default width: no encoder is measured).
    const [lo, hi] = r.bands['serving.max_concurrency'].map(Math.floor);
    assert.match(await page.textContent('#max-concurrency'), new RegExp(` texts of 512 tokens in one forward \\(${lo}–${hi}\\)$`));
    assert.equal(await page.textContent('#launch-command'), r.serving.launch_command);
    assert.match(r.serving.launch_command, /--runner pooling/);
    assert.match(await page.textContent('#encoder-commands'), /# tei\ntext-embeddings-router --model-id BAAI\/bge-m3/);
    const s = r.speed;
    assert.equal(await page.textContent('#speed-line'),
      ` — ${sig(s.sequences_per_second)} sequences/s (${sig(s.tokens_per_second)} tokens/s), ${s.bound}-bound`);
    await open(page, 'speed');
    await page.waitForSelector('#r-speed [data-key="sequences_per_second"]');
    assert.equal(await page.textContent('#r-speed [data-key="sequences_per_second"]'), sig(s.sequences_per_second));
    await context.close();
  });
});

describe('vision-language models', () => {
  test('images per request join the prompt; the summary names the tower and the tokens per image', async () => {
    const { page, context } = await openPage(browser, server);
    await change(page, async () => {
      await page.selectOption('#in-preset', 'google/gemma-3-4b-it');
      await page.fill('#in-img', '2');
      await page.fill('#in-imgsz', '1280x720');
    });
    const { request, response } = await rawExchange(page);
    assert.equal(request.images, 2);
    assert.equal(request.image_size, '1280x720');
    assert.equal(runCli(request), `${response}\n`);
    const r = JSON.parse(response);
    assert.equal(r.model.kind, 'vision-language');
    // Gemma 3: 256 tokens per image at any size (mm_tokens_per_image); tower 416,866,032 + projector 2,950,272.
    assert.equal(r.workload.images.image_tokens, 512);
    assert.match(await page.textContent('[data-key="vision"]'), /^gemma3: 419.82M with its projector; 256 tokens per 1280x720 image$/);
    assert.ok(r.memory.breakdown.vision_activations_bytes > 0);
    await context.close();
  });
});
