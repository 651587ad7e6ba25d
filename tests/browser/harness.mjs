// Shared set-up for the real-browser tests: a static server for build-wasm/site on 127.0.0.1, Debian's
// chromium driven by playwright-core (headless; flags that work as root, see ../shared/TOOLCHAIN.md), the
// Hugging Face Hub mocked by a local HTTPS server (hub_server.mjs: tests/fixtures/hub/ or a test's own
// answers — GGUF files with Range requests, network faults, redirects to the Hub's CDN hosts), and every
// other non-local request aborted, so the tests never touch the network. Each page records what it fetched, its console errors and any dialog.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { HUB_HOSTS, startHub } from './hub_server.mjs';

export { file, json, redirect } from './hub_server.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SITE = path.join(ROOT, 'build-wasm/site');
export const CLI = path.join(ROOT, 'build/llmsizer');
export const ARTIFACTS = path.join(ROOT, 'build-wasm/test-artifacts');
const HUB_DIR = path.join(ROOT, 'tests/fixtures/hub');
export const HUB_MANIFEST = JSON.parse(fs.readFileSync(path.join(HUB_DIR, 'manifest.json'), 'utf8'));

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-dev-shm-usage', '--disable-features=AutofillServerCommunication,OptimizationHints,MediaRouter'];

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Starts `python3 -m http.server` on build-wasm/site; resolves once it answers. */
export async function startServer() {
  for (const f of ['index.html', 'app.js', 'llmsizer.js', 'llmsizer.mjs', 'llmsizer.wasm', 'llmsizer-lite.mjs', 'llmsizer-lite.wasm']) {
    assert.ok(fs.existsSync(path.join(SITE, f)), `${SITE}/${f} is missing: build build-wasm first (scripts/test.sh)`);
  }
  const port = await freePort();
  const proc = spawn('python3', ['-m', 'http.server', '--bind', '127.0.0.1', '-d', SITE, String(port)],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
  const origin = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10000;
  for (;;) {
    try {
      const res = await fetch(`${origin}/index.html`);
      if (res.ok) break;
    } catch { /* not up yet */ }
    if (Date.now() > deadline || proc.exitCode !== null) {
      proc.kill();
      throw new Error(`static server did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    origin,
    stop: () => new Promise((resolve) => {
      if (proc.exitCode !== null) return resolve();
      proc.once('exit', resolve);
      proc.kill();
    }),
  };
}

export function launch() {
  return chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
}

/**
 * A fresh browser context + page with the Hub mocked (hub_server.mjs: a real HTTPS server behind the
 * context's own proxy). `log` collects: requests (local), hub ({url, method, authorization, range} as the Hub
 * received them, redirected requests included), blocked (other hosts), console (error texts), pageErrors,
 * dialogs. `hub(url, req)`: the test's own answers (undefined falls through to the fixtures). `init`: a script
 * run before the page's own (e.g. to shorten the Hub deadline). Closing the context stops its Hub.
 */
export async function openPage(browser, server, { path: p = '/', viewport = { width: 1280, height: 900 }, wait = 'ready', hub, init } = {}) {
  const log = { requests: [], hub: [], blocked: [], console: [], pageErrors: [], dialogs: [] };
  const mock = await startHub(log, hub, HUB_DIR, HUB_MANIFEST);
  const context = await browser.newContext({ viewport, serviceWorkers: 'block', ignoreHTTPSErrors: true, proxy: { server: mock.proxy, bypass: '127.0.0.1,localhost' } });
  context.on('close', mock.close);
  if (init) await context.addInitScript(init);
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.origin });
  await context.route('**/*', (route, request) => {
    const url = request.url();
    if (url.startsWith(`${server.origin}/`)) {
      log.requests.push(url);
      return route.continue();
    }
    // The Hub's hosts go on to the mocked Hub through the proxy; nothing else leaves the machine.
    if (HUB_HOSTS.test(new URL(url).hostname) && url.startsWith('https://')) return route.continue();
    log.blocked.push(url);
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') log.console.push(m.text());
  });
  page.on('pageerror', (e) => log.pageErrors.push(String(e)));
  page.on('dialog', (d) => {
    log.dialogs.push(d.message());
    d.dismiss().catch(() => {});
  });
  await page.goto(server.origin + p);
  if (wait) await waitState(page, wait);
  return { page, context, log };
}

/** Waits for #results[data-state=...] (ready | error | hub-error | loading | empty). */
export async function waitState(page, state, timeout = 10000) {
  await page.waitForSelector(`#results[data-state="${state}"]`, { state: 'attached', timeout });
}

/** Waits until the page has rendered more times than `before` (a recompute after an input). */
export async function waitRenders(page, before) {
  await page.waitForFunction((n) => Number(document.querySelector('#results').dataset.renders || 0) > n, before);
}

export async function renders(page) {
  return page.$eval('#results', (e) => Number(e.dataset.renders || 0));
}

/** The request the page sent to the core and the core's response text (from the "Request and response" box). */
export async function rawExchange(page) {
  await page.$eval('#raw', (d) => { d.open = true; });
  await page.waitForFunction(() => document.querySelector('#raw-response').textContent.length > 0);
  return {
    request: JSON.parse(await page.textContent('#raw-request')),
    response: await page.textContent('#raw-response'),
  };
}

/** Runs `build/llmsizer --request <tmp file> [--json]` on a request object; returns stdout. */
export function runCli(request, json = true) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llmsizer-web-'));
  const file = path.join(dir, 'request.json');
  fs.writeFileSync(file, JSON.stringify(request));
  try {
    return execFileSync(CLI, ['--request', file, ...(json ? ['--json'] : [])], { encoding: 'utf8' });
  } catch (e) {
    if (e.status === 1 && typeof e.stdout === 'string') return e.stdout;
    throw e;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The catalogue as the CLI lists it, and the page's default preset (Qwen2.5-7B-Instruct, else the first). */
export function defaultPreset() {
  const models = JSON.parse(execFileSync(CLI, ['--list-models', '--json'], { encoding: 'utf8' }));
  return models.some((m) => m.id === 'Qwen/Qwen2.5-7B-Instruct') ? 'Qwen/Qwen2.5-7B-Instruct' : models[0].id;
}

/** Console errors other than the browser's own notices of a failed load (expected on the error paths). */
export function unexpectedConsole(log) {
  return log.console.filter((t) => !/^Failed to load resource/.test(t));
}

export function saveArtifact(name, buffer) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, name);
  fs.writeFileSync(file, buffer);
  return file;
}

/** A GPU preset other than the page's default (nvidia-h100-sxm), from the CLI's list. */
export function otherGpu() {
  const gpus = JSON.parse(execFileSync(CLI, ['--list-gpus', '--json'], { encoding: 'utf8' }));
  const a100 = gpus.find((g) => g.id === 'nvidia-a100-sxm4-80gb');
  return (a100 || gpus.find((g) => g.id !== 'nvidia-h100-sxm')).id;
}

/**
 * Registers the hooks every browser test file needs: the static site server and one chromium for the file.
 * `set(server, browser)` receives them once started (node:test runs `before` hooks in order, so a file's own
 * later `before` sees them).
 */
export function withBrowser(set) {
  let server;
  let browser;
  before(async () => {
    server = await startServer();
    browser = await launch();
    set(server, browser);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });
}

/** Runs `fill` (which changes inputs), then waits for the page to have recomputed. */
export async function change(page, fill) {
  const n = await renders(page);
  await fill();
  await waitRenders(page, n);
}

/** A number as the page prints counts: up to `d` significant digits, with separators. */
export const sig = (x, d = 3) => x.toLocaleString('en-US', { maximumSignificantDigits: d });
/** The tests' own GiB text for a byte count (the values checked with it are not rounding ties). */
export const GIB = (b) => (b / 2 ** 30).toFixed(2);
