// Share links, pasted configs and hostile input in a real browser: a copied link opened in a fresh browser
// context restores every control and shows the identical result (preset, Hub model, pasted config in the
// fragment); the address bar follows the state with replaceState (Back leaves the page); unknown or
// out-of-range parameters are dropped with a visible note; markup in a config or a URL renders as text and
// never runs.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { defaultPreset, openPage, otherGpu, rawExchange, renders, ROOT, runCli, saveArtifact, waitRenders, waitState, withBrowser } from './harness.mjs';

let server;
let browser;
withBrowser((s, b) => {
  server = s;
  browser = b;
});

const XSS = '<img src=x onerror=alert(1)>';
const CONTROLS = ['#in-preset', '#in-link', '#in-gpu', '#in-n', '#in-tp', '#in-pp', '#in-dtype', '#in-kv', '#in-ctx', '#in-batch', '#in-reserve'];

async function controlValues(page) {
  const out = {};
  for (const sel of CONTROLS) out[sel] = await page.inputValue(sel);
  return out;
}

/** What a reader sees: the text of every result section. */
async function shownResult(page) {
  return page.$$eval('#results > section:not([hidden])', (els) => els.map((e) => e.innerText));
}

async function copyLink(page) {
  await page.click('#copy-link');
  await page.waitForSelector('#copy-status:not([hidden])');
  return page.evaluate(() => navigator.clipboard.readText());
}

/** Opens `url` in a new browser context and checks it reproduces `page`'s controls and result exactly. */
async function reproduces(page, url) {
  const fresh = await openPage(browser, server, { path: url.slice(server.origin.length) });
  assert.deepEqual(await controlValues(fresh.page), await controlValues(page));
  assert.equal((await rawExchange(fresh.page)).response, (await rawExchange(page)).response);
  assert.deepEqual(await shownResult(fresh.page), await shownResult(page));
  assert.equal(await fresh.page.isHidden('#url-notes'), true);
  assert.deepEqual(fresh.log.console, []);
  return fresh;
}

describe('share links', () => {
  test('a preset with every control set: readable keys, and a fresh page shows the identical result', async () => {
    const { page, context, log } = await openPage(browser, server);
    const n = await renders(page);
    await page.selectOption('#in-gpu', otherGpu());
    await page.fill('#in-n', '4');
    await page.fill('#in-tp', '2');
    await page.fill('#in-pp', '2');
    await page.selectOption('#in-dtype', 'fp8');
    await page.selectOption('#in-kv', 'int8');
    await page.fill('#in-ctx', '12345');
    await page.fill('#in-batch', '9');
    await page.fill('#in-reserve', '0.15');
    await waitRenders(page, n);
    const url = await copyLink(page);
    assert.equal(url, `${server.origin}/?preset=${defaultPreset()}&gpu=${otherGpu()}&n=4&tp=2&pp=2&dtype=fp8&kv=int8&ctx=12345&batch=9&reserve=0.15`);
    assert.equal(page.url(), url);
    assert.equal(await page.inputValue('#share-url'), url);
    const fresh = await reproduces(page, url);
    assert.equal(JSON.parse((await rawExchange(fresh.page)).response).layout.dp, 1);
    await fresh.context.close();
    assert.deepEqual(log.console, []);
    await context.close();
  });

  test('a Hub model: the fresh page fetches the same revision and shows the identical result', async () => {
    const { page, context } = await openPage(browser, server);
    await page.fill('#in-link', 'https://huggingface.co/Qwen/Qwen2.5-7B-Instruct/tree/v2');
    await page.press('#in-link', 'Enter');
    await waitState(page, 'ready');
    const n = await renders(page);
    await page.fill('#in-ctx', '32768');
    await page.fill('#in-batch', '16');
    await waitRenders(page, n);
    const url = await copyLink(page);
    assert.equal(url, `${server.origin}/?model=Qwen/Qwen2.5-7B-Instruct&rev=v2&gpu=nvidia-h100-sxm&ctx=32768&batch=16`);
    const fresh = await reproduces(page, url);
    assert.ok(fresh.log.hub.some((h) => h.url === 'https://huggingface.co/Qwen/Qwen2.5-7B-Instruct/resolve/v2/config.json'));
    await fresh.context.close();
    await context.close();
  });

  test('the address bar follows with replaceState: Back leaves the page', async () => {
    const context = await browser.newContext();
    await context.route('**/*', (r) => (r.request().url().startsWith(server.origin) ? r.continue() : r.abort()));
    const page = await context.newPage();
    await page.goto(`${server.origin}/llmsizer.js`);
    await page.goto(`${server.origin}/`);
    await waitState(page, 'ready');
    for (const b of ['2', '3', '4']) {
      const n = await renders(page);
      await page.fill('#in-batch', b);
      await waitRenders(page, n);
    }
    await page.waitForFunction(() => location.search.includes('batch=4'));
    await page.goBack();
    assert.equal(page.url(), `${server.origin}/llmsizer.js`);
    await context.close();
  });
});

describe('pasted config.json', () => {
  const text = fs.readFileSync(path.join(ROOT, 'tests/fixtures/configs/llama-3.1-8b.json'), 'utf8');

  test('paste -> result (CLI-identical) -> link with the config in the fragment -> identical result', async () => {
    const { page, context, log } = await openPage(browser, server);
    await page.click('#paste-box summary');
    await page.fill('#in-config', text);
    await waitState(page, 'ready');
    const { request, response } = await rawExchange(page);
    assert.deepEqual(request, { config: text, gpu: 'nvidia-h100-sxm' });
    assert.equal(runCli(request), `${response}\n`);
    assert.equal(await page.inputValue('#in-preset'), '');
    assert.match(await page.textContent('#source'), /the pasted config\.json/);
    assert.match(await page.textContent('[data-key="parameters"]'), /8,030,261,248/);
    const n = await renders(page);
    await page.selectOption('#in-kv', 'fp8');
    await waitRenders(page, n);
    const url = await copyLink(page);
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/\?gpu=nvidia-h100-sxm&kv=fp8#config=[A-Za-z0-9_-]+$/);
    assert.ok(url.length < text.length + 100);
    const fresh = await reproduces(page, url);
    assert.equal(await fresh.page.inputValue('#in-config'), text);
    assert.deepEqual(fresh.log.hub, []);
    await fresh.context.close();
    assert.deepEqual(log.console, []);
    await context.close();
  });

  test('a dropped config.json file', async () => {
    const { page, context } = await openPage(browser, server);
    await page.evaluate((t) => {
      const dt = new DataTransfer();
      dt.items.add(new File([t], 'config.json', { type: 'application/json' }));
      document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, text);
    await page.waitForFunction(() => document.querySelector('#source').textContent.includes('pasted'));
    await waitState(page, 'ready');
    assert.equal(await page.inputValue('#in-config'), text);
    assert.equal((await rawExchange(page)).request.config, text);
    await context.close();
  });

  test('text that is not JSON gets the core\'s message, and clearing it returns to the preset', async () => {
    const { page, context } = await openPage(browser, server);
    await page.click('#paste-box summary');
    await page.fill('#in-config', '{"hidden_size": 4096,');
    await waitState(page, 'error');
    assert.match(await page.textContent('#error'), /not valid JSON/);
    assert.doesNotMatch(await page.textContent('#error'), /\[invalid_json\]/);
    // The config box is the field at fault.
    assert.equal(await page.getAttribute('#in-config', 'aria-invalid'), 'true');
    assert.match(await page.textContent('#in-config-error'), /not valid JSON/);
    await page.fill('#in-config', '');
    await waitState(page, 'ready');
    assert.equal(await page.inputValue('#in-preset'), defaultPreset());
    assert.equal(await page.getAttribute('#in-config', 'aria-invalid'), null);
    await context.close();
  });
});

describe('hostile input renders as text', () => {
  const xssConfig = fs.readFileSync(path.join(ROOT, 'tests/fixtures/hub/xss-config.json'), 'utf8');

  async function noMarkup(page, log) {
    assert.equal(await page.locator('#results img, #controls img, #results script, #url-notes b').count(), 0);
    assert.deepEqual(log.dialogs, []);
    assert.deepEqual(log.pageErrors, []);
    assert.deepEqual(log.console, []);
    assert.ok(!log.requests.some((u) => u.endsWith('/x')), 'the <img src=x> was requested');
  }

  test('config strings holding <img src=x onerror=alert(1)>, pasted', async () => {
    const { page, log } = await openPage(browser, server);
    await page.click('#paste-box summary');
    await page.fill('#in-config', xssConfig);
    await waitState(page, 'ready');
    await page.waitForTimeout(200);
    assert.equal(await page.textContent('#model-title'), XSS);
    assert.ok((await page.textContent('[data-key="architecture"]')).startsWith(`${XSS} (${XSS}`));
    assert.ok((await page.textContent('#r-warnings')).includes(`model_type '${XSS}' is not one llmsizer knows`));
    saveArtifact('page-xss-config.png', await page.screenshot({ fullPage: true }));
    await noMarkup(page, log);
    await page.context().close();
  });

  test('the same config fetched from the Hub', async () => {
    const { page, log } = await openPage(browser, server);
    await page.fill('#in-link', 'test-org/xss-model');
    await page.press('#in-link', 'Enter');
    await waitState(page, 'ready');
    await page.waitForTimeout(200);
    assert.ok((await page.textContent('[data-key="architecture"]')).startsWith(XSS));
    await noMarkup(page, log);
    await page.context().close();
  });

  test('unknown, out-of-range and hostile URL parameters are ignored with a visible note', async () => {
    const q = `?preset=${encodeURIComponent(defaultPreset())}&ctx=999999999999&batch=-1&reserve=2&dtype=fp7&foo=bar` +
      `&model=${encodeURIComponent(XSS)}&gpu=${encodeURIComponent('<script>alert(1)</script>')}&${encodeURIComponent('<b>k</b>')}=1`;
    const { page, log } = await openPage(browser, server, { path: `/${q}#${encodeURIComponent(XSS)}` });
    assert.equal(await page.isVisible('#url-notes'), true);
    const notes = await page.$$eval('#url-notes li', (li) => li.map((x) => x.textContent));
    const all = notes.join('\n');
    for (const re of [/ctx=“999999999999”: out of range/, /batch=“-1”: expected a whole number/, /reserve=“2”: out of range/,
      /dtype=“fp7”: not a known weight precision/, /unknown parameter “foo”/, /model=“<img src=x onerror=alert\(1\)>”: not a Hub repo id/,
      /gpu=“<script>alert\(1\)<\/script>”: not a known GPU preset id/, /unknown parameter “<b>k<\/b>”/,
      /Ignored the link’s fragment “#<img src=x onerror=alert\(1\)>”/]) {
      assert.match(all, re);
    }
    // The valid ones still apply; the result is the preset's, with the core's defaults for the rest.
    assert.equal(await page.inputValue('#in-ctx'), '');
    assert.equal(await page.inputValue('#in-gpu'), 'nvidia-h100-sxm');
    assert.equal(await page.textContent('#model-title'), defaultPreset());
    assert.equal(await page.locator('#url-notes script, #url-notes img').count(), 0);
    // The address bar drops what was ignored.
    await page.waitForFunction(() => !location.search.includes('foo'));
    assert.ok(!page.url().includes('script'));
    await noMarkup(page, log);
    await page.context().close();
  });
});

describe('every input of the engines, speed, panels and recommendations is in the link', () => {
  const links = [
    `?preset=Qwen/Qwen2.5-7B-Instruct&engine=vllm&gpu=nvidia-h100-sxm&batch=4&in=2000&out=300&gmu=0.8&mml=16384&mnbt=4096&mns=64` +
      '&bs=32&eager=1&vllmv=0.10&rv=NVIDIA&rm=datacenter&rmin=40&sort=-tokens_per_second&open=speed,context,recs',
    '?preset=Qwen/Qwen2.5-7B-Instruct&engine=llama.cpp&gpu=nvidia-rtx-4090&dtype=Q4_K_M&ctx=16384&ctk=q8_0&ctv=q4_0&np=2&ngl=10' +
      '&ub=128&fa=0&swafull=1&open=speed',
    '?preset=Qwen/Qwen2.5-7B-Instruct&engine=sglang&gpu=nvidia-a100-sxm4-80gb&mfs=0.75&sort=name',
  ];
  for (const q of links) {
    test(q.slice(0, 80), async () => {
      const { page, context, log } = await openPage(browser, server, { path: `/${q}` });
      assert.equal(await page.isHidden('#url-notes'), true, await page.textContent('#url-notes'));
      // The link is already in canonical form: the address bar keeps it as it is.
      await page.waitForTimeout(150);
      assert.equal(new URL(page.url()).search, q);
      const open = new URLSearchParams(q).get('open');
      for (const p of ['speed', 'context', 'recs']) {
        assert.equal(await page.$eval(`#p-${p}`, (d) => d.open), Boolean(open && open.includes(p)), p);
      }
      if (open && open.includes('recs')) {
        await page.waitForSelector('#recs-table');
        await rawExchange(page);
        await page.waitForFunction(() => document.querySelector('#raw-recs').textContent.length > 0);
        assert.match(await page.textContent('#raw-recs'), /"recommend_vendor":"NVIDIA","recommend_market":"datacenter","recommend_min_memory_gib":40/);
        assert.equal(await page.getAttribute('#recs-table th:has(button[data-sort="tokens_per_second"])', 'aria-sort'), 'descending');
      }
      const { request, response } = await rawExchange(page);
      assert.equal(runCli(request), `${response}\n`);
      // A fresh page from the copied link: the same controls, panels and result.
      const url = await copyLink(page);
      const fresh = await openPage(browser, server, { path: url.slice(server.origin.length) });
      assert.equal((await rawExchange(fresh.page)).response, response);
      for (const sel of ['#in-engine', '#in-gmu', '#in-mml', '#in-eager', '#in-ctk', '#in-ctv', '#in-np', '#in-fa', '#in-mfs', '#in-in', '#in-out']) {
        const value = (p) => p.$eval(sel, (e) => (e.type === 'checkbox' ? String(e.checked) : e.value));
        assert.equal(await value(fresh.page), await value(page), sel);
      }
      assert.deepEqual(await shownResult(fresh.page), await shownResult(page));
      assert.deepEqual(log.console, []);
      assert.deepEqual(fresh.log.console, []);
      await fresh.context.close();
      await context.close();
    });
  }

  test('hostile values of the new keys are ignored with a note, never markup; options of another engine too', async () => {
    const q = `?preset=${encodeURIComponent(defaultPreset())}&engine=vllm&gmu=2&mml=-5&eager=yes&vllmv=${encodeURIComponent('0.19;alert(1)')}` +
      `&ctk=q9_9&targets=${encodeURIComponent(XSS)}&file=${encodeURIComponent('../../etc/passwd.gguf')}&open=${encodeURIComponent('speed,<script>')}` +
      `&sort=evil&zero=7&fa=true&rv=${encodeURIComponent('<b>x</b>')}&np=4&in=1e9`;
    const { page, context, log } = await openPage(browser, server, { path: `/${q}` });
    const notes = (await page.$$eval('#url-notes li', (li) => li.map((x) => x.textContent))).join('\n');
    for (const re of [/gmu=“2”: out of range \(gpu_memory_utilization: 0\.01 to 1\)/, /mml=“-5”: expected a whole number/,
      /eager=“yes”: expected 1 \(on\) or 0 \(off\)/, /vllmv=“0\.19;alert\(1\)”: expected a version such as 0\.19/,
      /ctk=“q9_9”: not a known K cache type/, /targets=“<img src=x onerror=alert\(1\)>”: expected module names/,
      /file=“\.\.\/\.\.\/etc\/passwd\.gguf”: not a \.gguf file path/, /open=“speed,<script>”: expected some of speed, context, recs/,
      /sort=“evil”: not a known recommendations sort/, /zero=“7”: out of range/, /fa=“true”: expected 1 \(on\) or 0 \(off\)/,
      /rv=“<b>x<\/b>”: not a known vendor/, /np=“4”: it does not apply to this engine or mode/, /in=“1e9”: expected a whole number/]) {
      assert.match(notes, re);
    }
    assert.equal(await page.locator('#url-notes *:not(li)').count(), 0);
    // What was valid still applies: the vLLM engine.
    assert.equal(await page.inputValue('#in-engine'), 'vllm');
    assert.equal((await rawExchange(page)).request.engine, 'vllm');
    await page.waitForFunction(() => !location.search.includes('gmu'));
    assert.equal(new URL(page.url()).search, `?preset=${defaultPreset()}&engine=vllm&gpu=nvidia-h100-sxm`);
    assert.deepEqual(log.dialogs, []);
    assert.deepEqual(log.console, []);
    await context.close();
  });
});
