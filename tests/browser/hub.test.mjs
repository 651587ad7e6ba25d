// The page and the Hugging Face Hub (answered from tests/fixtures/hub/): every link form fetches the right
// repo and revision; exact parameter counts are used when the Hub has them and their absence is said; 401,
// 403, 404, a network failure and an HTML page each get their message; a token reaches huggingface.co only,
// as a header, and never the address bar, the share link or the console; a config under text_config works.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { HUB_MANIFEST, launch, openPage, rawExchange, runCli, startServer, unexpectedConsole, waitState } from './harness.mjs';

let server;
let browser;
let shared;

before(async () => {
  server = await startServer();
  browser = await launch();
  shared = await openPage(browser, server);
});
after(async () => {
  await shared?.context.close();
  await browser?.close();
  await server?.stop();
});

/** Types a link into the model box and presses Enter; waits for the fetch to settle. */
async function enterLink(page, text, state = 'ready') {
  await page.fill('#in-link', text);
  await page.press('#in-link', 'Enter');
  await waitState(page, state);
}

const R = 'Qwen/Qwen2.5-7B-Instruct';
const CONFIG = (rev) => `https://huggingface.co/${R}/resolve/${rev}/config.json`;
const API_MAIN = `https://huggingface.co/api/models/${R}?expand[]=safetensors`;
const API_REV = (rev) => `https://huggingface.co/api/models/${R}/revision/${rev}?expand[]=safetensors`;

describe('every link form resolves to the right repo and revision', () => {
  const forms = [
    [`https://huggingface.co/${R}`, 'main'],
    [`https://huggingface.co/${R}/`, 'main'],
    [`https://huggingface.co/${R}?library=transformers`, 'main'],
    [`https://huggingface.co/${R}#model-card`, 'main'],
    [`https://huggingface.co/${R}/tree/v1.0`, 'v1.0'],
    [`https://huggingface.co/${R}/tree/refs%2Fpr%2F7`, 'refs%2Fpr%2F7'],
    [`https://huggingface.co/${R}/blob/0123abcd/config.json`, '0123abcd'],
    [`https://huggingface.co/${R}/resolve/dev/config.json`, 'dev'],
    [`hf.co/${R}`, 'main'],
    [`https://hf.co/${R}/`, 'main'],
    [R, 'main'],
    [`${R}/`, 'main'],
  ];
  for (const [link, rev] of forms) {
    test(link, async () => {
      const { page, log } = shared;
      log.hub.length = 0;
      // Start from the preset each time so every link is a new fetch.
      await page.selectOption('#in-preset', { index: 1 });
      await waitState(page, 'ready');
      await enterLink(page, link);
      const urls = log.hub.filter((h) => h.method === 'GET').map((h) => h.url).sort();
      assert.deepEqual(urls, [rev === 'main' ? API_MAIN : API_REV(rev), CONFIG(rev)].sort());
      const { request, response } = await rawExchange(page);
      assert.equal(request.model_id, R);
      assert.equal(request.revision, decodeURIComponent(rev));
      assert.deepEqual(request.safetensors, { BF16: 7615616512 });
      assert.equal(runCli(request), `${response}\n`);
      assert.equal(await page.textContent('#model-title'), R);
      assert.match(await page.textContent('#source'), new RegExp(`config\\.json of ${R} at revision “${decodeURIComponent(rev)}”`));
      // Exact count from the Hub, labelled as such.
      assert.match(await page.textContent('[data-key="parameters"]'), /7,615,616,512; exact, from the Hub/);
      await page.waitForFunction(() => location.search.includes('model='));
      const q = new URL(page.url()).searchParams;
      assert.equal(q.get('model'), R);
      assert.equal(q.get('rev'), decodeURIComponent(rev));
      assert.deepEqual(log.blocked, []);
      assert.deepEqual(log.console, []);
    });
  }

  test('an unreadable link says which forms are accepted, and fetches nothing', async () => {
    const { page, log } = shared;
    log.hub.length = 0;
    await page.fill('#in-link', 'https://github.com/Qwen/Qwen2.5');
    await page.press('#in-link', 'Enter');
    const msg = await page.textContent('#hub-error');
    assert.match(msg, /Only huggingface\.co and hf\.co links are read\. Accepted forms: https:\/\/huggingface\.co\/org\/name · .*\/tree\/<revision> · .*\/blob\/<revision>\/config\.json · .*\/resolve\/<revision>\/config\.json · hf\.co\/org\/name · org\/name/);
    assert.deepEqual(log.hub, []);
  });
});

describe('what the Hub has, and what it lacks', () => {
  test('no safetensors metadata: counted from config.json, and the page says so', async () => {
    const { page, log } = await openPage(browser, server);
    await enterLink(page, 'https://huggingface.co/openai-community/gpt2');
    assert.match(await page.textContent('#hub-notes'), /The Hub lists no safetensors parameter counts for this model: parameters are counted from config\.json/);
    assert.match(await page.textContent('[data-key="parameters"]'), /124,439,808; counted from config\.json/);
    const { request } = await rawExchange(page);
    assert.equal(request.safetensors, undefined);
    assert.deepEqual(log.console, []);
    await page.context().close();
  });

  test('a multimodal config whose language model is under text_config', async () => {
    const { page } = await openPage(browser, server);
    await enterLink(page, 'google/gemma-3-27b-it');
    const { request, response } = await rawExchange(page);
    assert.ok(request.config.text_config);
    assert.equal(runCli(request), `${response}\n`);
    assert.match(await page.textContent('[data-key="num_hidden_layers"]'), /^62$/);
    assert.match(await page.textContent('[data-key="parameters"]'), /27,432,406,640; exact, from the Hub/);
    await page.context().close();
  });
});

describe('failures are explained in plain words', () => {
  const cases = [
    ['test-org/private-model', /asks you to sign in to read test-org\/private-model \(401\).*gated.*private.*access token/s],
    ['test-org/terms-not-accepted', /refused access to test-org\/terms-not-accepted \(403\).*terms.*accept them/s],
    ['test-org/no-config', /Not found \(404\): test-org\/no-config has no config\.json at revision “main”/],
    ['test-org/unreachable', /Could not reach huggingface\.co: you may be offline/],
    ['test-org/login-wall', /huggingface\.co sent a web page instead of config\.json/],
  ];
  for (const [repo, message] of cases) {
    test(`${repo}: ${HUB_MANIFEST.repos[repo].status || HUB_MANIFEST.repos[repo].abort || 'HTML'}`, async () => {
      const { page, log } = await openPage(browser, server);
      await enterLink(page, repo, 'hub-error');
      const shown = await page.textContent('#hub-error');
      assert.match(shown, message);
      assert.match(shown, /paste the model’s config\.json/);
      assert.equal(await page.isVisible('#hub-error'), true);
      assert.match(await page.textContent('#source'), new RegExp(`Could not load ${repo}`));
      assert.equal(await page.isHidden('#r-verdict'), true);
      assert.deepEqual(unexpectedConsole(log), []);
      assert.deepEqual(log.pageErrors, []);
      // The fallback: paste the config (here gpt2's) and get a result labelled with the repo.
      await page.click('#paste-box summary');
      await page.fill('#in-config', JSON.stringify({ model_type: 'gpt2', n_embd: 768, n_layer: 12, n_head: 12, vocab_size: 50257, n_positions: 1024 }));
      await waitState(page, 'ready');
      const { request } = await rawExchange(page);
      assert.equal(request.model_id, repo);
      await page.context().close();
    });
  }
});

describe('access tokens', () => {
  const TOKEN = HUB_MANIFEST.repos['meta-llama/Llama-3.1-8B-Instruct'].token;

  test('a gated model: 401 without a token (its bundled copy meanwhile), then the token fetches it; the token goes nowhere else', async () => {
    const { page, log } = await openPage(browser, server);
    const messages = [];
    page.on('console', (m) => messages.push(m.text()));
    await enterLink(page, 'https://huggingface.co/meta-llama/Llama-3.1-8B-Instruct');
    // The model is bundled: its copy stands in, and the note says how to read the live config.
    assert.match(await page.textContent('#hub-notes'), /bundled copy of meta-llama\/Llama-3\.1-8B-Instruct; gated on the Hub — add a token/);
    assert.equal((await rawExchange(page)).request.model, 'meta-llama/Llama-3.1-8B-Instruct');
    assert.ok(log.hub.every((h) => h.authorization === undefined));

    await page.click('#token-box summary');
    await page.fill('#in-token', TOKEN);
    await page.press('#in-token', 'Tab');  // change -> the failed fetch is retried with the token
    await page.waitForFunction(() => /config\.json of meta-llama/.test(document.querySelector('#source').textContent));
    await waitState(page, 'ready');
    const { request, response } = await rawExchange(page);
    assert.deepEqual(request.safetensors, { BF16: 8030261248 });
    assert.equal(runCli(request), `${response}\n`);

    const withToken = log.hub.filter((h) => h.authorization);
    assert.ok(withToken.length >= 2);
    for (const h of log.hub) {
      assert.ok(h.url.startsWith('https://huggingface.co/'));
      assert.ok(!h.url.includes(TOKEN), h.url);
      if (h.authorization) assert.equal(h.authorization, `Bearer ${TOKEN}`);
    }
    // Never in the address bar, the share link, the request to the core, storage or the console.
    await page.waitForFunction(() => location.search.includes('model='));
    assert.ok(!page.url().includes(TOKEN));
    assert.ok(!(await page.inputValue('#share-url')).includes(TOKEN));
    await page.click('#copy-link');
    await page.waitForSelector('#copy-status:not([hidden])');
    assert.ok(!(await page.evaluate(() => navigator.clipboard.readText())).includes(TOKEN));
    assert.ok(!JSON.stringify(request).includes(TOKEN));
    assert.ok(!(await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie)).includes(TOKEN));
    assert.ok(messages.every((m) => !m.includes(TOKEN)));
    assert.ok(log.requests.every((u) => !u.includes(TOKEN)));
    assert.deepEqual(log.blocked, []);
    await page.context().close();
  });

  test('a wrong token: 401 says the token was not accepted (beside the bundled copy, if any)', async () => {
    const { page } = await openPage(browser, server);
    await page.click('#token-box summary');
    await page.fill('#in-token', 'hf_wrong');
    await enterLink(page, 'meta-llama/Llama-3.1-8B-Instruct');
    assert.match(await page.textContent('#hub-notes'), /bundled copy of meta-llama\/Llama-3\.1-8B-Instruct; huggingface\.co did not accept the access token \(401\)/);
    assert.ok(!(await page.textContent('#hub-notes')).includes('hf_wrong'));
    // An unbundled model: the Hub's own message.
    await enterLink(page, 'test-org/private-model', 'hub-error');
    assert.match(await page.textContent('#hub-error'), /did not accept the access token/);
    assert.ok(!(await page.textContent('#hub-error')).includes('hf_wrong'));
    await page.context().close();
  });
});
