// Fine-tuning in a real browser: the mode switch lists the core's modes; a training mode shows its options
// (LoRA's only for LoRA and QLoRA), hides the serving ones, and sends the core's keys; the breakdown bar and
// table show weights / gradients / optimizer / activations / other against the GPU's capacity, with fits,
// GPUs needed, tokens/s and the epoch time — the core's numbers, CLI-identical; a share link restores it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { duration } from '../../web/render.js';
import { change, GIB, openPage, rawExchange, renders, runCli, sig, waitRenders, withBrowser } from './harness.mjs';

let server;
let browser;
withBrowser((s, b) => {
  server = s;
  browser = b;
});


describe('fine-tuning modes', () => {
  test('the mode switch, LoRA options, the breakdown bar and table, fit, GPUs, speed and epoch time', async () => {
    const { page, context, log } = await openPage(browser, server, { path: '/?preset=meta-llama/Llama-3.1-8B-Instruct' });
    assert.deepEqual(await page.$$eval('#in-mode option', (os) => os.map((o) => o.value)), ['inference', 'full', 'lora', 'qlora']);
    assert.equal(await page.isHidden('#training-fields'), true);
    await change(page, () => page.selectOption('#in-mode', 'lora'));
    assert.equal(await page.isVisible('#training-fields'), true);
    assert.equal(await page.isVisible('#in-rank'), true);
    for (const sel of ['#engine-fields', '#p-speed', '#p-context', '#p-recs', '#in-ctx']) assert.equal(await page.isHidden(sel), true, sel);
    assert.ok(log.requests.some((u) => u.endsWith('/train.js')));
    // The core's defaults show in the blank controls.
    const d = JSON.parse((await rawExchange(page)).response).training.inputs;
    assert.equal(await page.getAttribute('#in-rank', 'placeholder'), String(d.lora_rank));
    assert.equal(await page.$eval('#in-opt option', (o) => o.textContent), `default (${d.optimizer})`);

    await change(page, async () => {
      await page.selectOption('#in-opt', 'adamw-8bit');
      await page.selectOption('#in-tprec', 'bf16');
      await page.fill('#in-mb', '2');
      await page.fill('#in-seq', '4096');
      await page.selectOption('#in-gc', 'full');
      await page.fill('#in-rank', '16');
      await page.fill('#in-targets', 'all-linear');
      await page.selectOption('#in-zero', '2');
      await page.check('#in-offload');
      await page.fill('#in-n', '4');
      await page.fill('#in-tokens', '1000000000');
    });
    const { request, response } = await rawExchange(page);
    assert.deepEqual(request, {
      model: 'meta-llama/Llama-3.1-8B-Instruct', mode: 'lora', gpu: 'nvidia-h100-sxm', gpus: 4, optimizer: 'adamw-8bit',
      training_precision: 'bf16', micro_batch: 2, seq_len: 4096, gradient_checkpointing: 'full', lora_rank: 16,
      lora_targets: 'all-linear', zero: 2, offload_optimizer: true, dataset_tokens: 1000000000,
    });
    assert.equal(runCli(request), `${response}\n`);
    const res = JSON.parse(response);
    const t = res.training;
    const VERDICT = { fits: 'Fits', 'may not fit': 'May not fit', 'does not fit': 'Does not fit' };
    assert.equal(t.mode, 'lora');

    // The bar: one segment per breakdown part (widths = the core's bytes as flex factors, which CSS keeps to
    // six significant digits), then free and reserve.
    const segs = await page.$$eval('#r-bars .track .seg', (ss) => ss.map((s) => [s.className, Number(s.style.flexGrow)]));
    t.breakdown.forEach((p, i) => assert.ok(Math.abs(segs[i][1] - p.bytes) <= p.bytes * 1e-5, `${p.key}: ${segs[i][1]} vs ${p.bytes}`));
    assert.deepEqual(t.breakdown.map((p) => p.key), ['weights', 'gradients', 'optimizer', 'activations', 'other']);
    assert.deepEqual(segs.map((x) => x[0].replace('seg ', '')),
      ['seg-weights', 'seg-grad', 'seg-opt', 'seg-act', 'seg-over', 'seg-free', 'seg-reserve']);
    assert.equal(await page.textContent('#r-bars figcaption'), `Each GPU: ${GIB(t.total_bytes)} of ${GIB(t.gpu_memory_bytes)} GiB`);
    // The table, in GiB.
    for (const p of t.breakdown) {
      assert.equal(await page.textContent(`#training-table tr[data-row="${p.key}"] td.num`), GIB(p.bytes), p.key);
    }
    assert.equal(await page.textContent('#training-table tr[data-row="free_bytes"] td.num'), GIB(t.free_bytes));
    // Verdict and facts.
    assert.match(await page.textContent('#verdict'), new RegExp(`^${VERDICT[res.how_sure.verdict]} `));  // on the band
    assert.equal(await page.textContent('#trainable'), `${t.trainable_parameters.toLocaleString('en-US')} (${sig(t.trainable_percent)} % of ${t.parameters.toLocaleString('en-US')})`);
    assert.match(await page.textContent('#training-gpus-needed'), new RegExp(`^${t.gpus_needed}\\b`));
    assert.equal(await page.textContent('#training-speed'), `${sig(t.tokens_per_second_per_gpu)} tokens/s per GPU, ` +
      `${sig(t.speed.tokens_per_second)} tokens/s in all, ${duration(t.speed.seconds_per_step)} ` +
      `(${duration(res.bands['training.speed.seconds_per_step'][0])}–${duration(res.bands['training.speed.seconds_per_step'][1])}) per step`);
    assert.equal(await page.textContent('#epoch'), `${duration(t.seconds_per_epoch)} for 1,000,000,000 tokens`);
    assert.match(await page.textContent('#r-assumptions summary'), new RegExp(`^Assumptions \\(${t.assumptions.length}\\)$`));

    // The share link carries the mode and its options; a fresh page shows the identical result.
    await page.waitForFunction(() => location.search.includes('mode=lora'));
    const url = page.url();
    assert.equal(new URL(url).search, '?preset=meta-llama/Llama-3.1-8B-Instruct&mode=lora&gpu=nvidia-h100-sxm&n=4&opt=adamw-8bit' +
      '&tprec=bf16&mb=2&seq=4096&gc=full&rank=16&targets=all-linear&zero=2&offload=1&tokens=1000000000');
    const fresh = await openPage(browser, server, { path: url.slice(server.origin.length) });
    assert.equal((await rawExchange(fresh.page)).response, response);
    assert.equal(await fresh.page.textContent('#r-bars'), await page.textContent('#r-bars'));
    assert.equal(await fresh.page.isHidden('#url-notes'), true);
    await fresh.context.close();

    // Full fine-tuning: no LoRA options; a model that does not fit says by how much, per GPU.
    await change(page, () => page.selectOption('#in-mode', 'full'));
    assert.equal(await page.isHidden('#in-rank'), true);
    const full = await rawExchange(page);
    assert.equal(full.request.lora_rank, undefined);
    assert.equal(runCli(full.request), `${full.response}\n`);
    // Back to inference: the serving view returns.
    await change(page, () => page.selectOption('#in-mode', 'inference'));
    assert.equal(await page.isVisible('#memory-table'), true);
    assert.deepEqual(log.console, []);
    await context.close();
  });

  test('full fine-tuning of a 70B model on one GPU does not fit: the overflow is marked', async () => {
    const { page, context } = await openPage(browser, server, { path: '/?preset=meta-llama/Llama-3.3-70B-Instruct&mode=full' });
    const t = JSON.parse((await rawExchange(page)).response).training;
    assert.equal(t.fits, false);
    assert.match(await page.textContent('#verdict'), new RegExp(`^Does not fit short by ${GIB(-t.free_bytes)} GiB per GPU`));
    assert.equal(await page.locator('#r-bars .bar.over .limit .overflow').count(), 1);
    await context.close();
  });
});
