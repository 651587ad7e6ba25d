// The DOM-free parts of issue 17 ("the page as a newcomer meets it"): the one table of which engine reads which
// field (state.js PARAMS `engines`) against the core; the words a wrong field value gets; the short GPU names of
// the recommendations against every GPU of the catalogue; the site build's comment stripping (strip.mjs: a
// parser finds comments, so strings and regular expressions survive, and line numbers stay); and the staged
// index.html with the prerendered estimate (no inline script, style or handler; bar widths in style.css).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { shortName } from '../../web/recs.js';
import { ENGINE_HELP, fieldProblem, PARAMS, unusedBy } from '../../web/state.js';
import { strip, stripCss, stripHtml } from '../../wasm/strip.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'build/llmsizer');
const SITE = path.join(ROOT, 'build-wasm/site');
const P = new Map(PARAMS.map((p) => [p.key, p]));

function cli(request) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llmsizer-web3-'));
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

describe('which engine reads which field (state.js PARAMS, until the core\'s catalogue says)', () => {
  const engines = /--engine S\s+(\S+)/.exec(execFileSync(CLI, ['--help'], { encoding: 'utf8' }))[1].split('|');

  test('the safety reserve moves the generic estimate and no engine\'s; each engine has its reason', () => {
    const reserve = P.get('reserve');
    for (const engine of engines) {
      const at = (v) => cli({ model: 'Qwen/Qwen2.5-7B-Instruct', engine, reserve: v });
      const [a, b] = [at(0.1), at(0.5)];
      assert.ok(a.ok && b.ok, engine);
      const moved = a.serving.max_concurrency !== b.serving.max_concurrency || a.serving.margin_bytes !== b.serving.margin_bytes;
      assert.equal(moved, unusedBy(reserve, engine) === '', `${engine}: the reserve ${moved ? 'moves' : 'does not move'} the estimate`);
      if (engine !== 'generic') assert.ok(unusedBy(reserve, engine).length > 20 && !/^Not used by/.test(unusedBy(reserve, engine)), engine);
    }
  });

  test('every engine is explained in one line; engine-only options name engines the core has', () => {
    for (const engine of engines) {
      assert.ok(ENGINE_HELP[engine] && !ENGINE_HELP[engine].includes('\n'), engine);
      assert.ok(ENGINE_HELP[engine].startsWith(`${engine === 'vllm' ? 'vLLM' : engine === 'sglang' ? 'SGLang' : engine}`), engine);
    }
    for (const p of PARAMS.filter((x) => x.engines)) for (const e of p.engines) assert.ok(engines.includes(e), `${p.key}: ${e}`);
    assert.deepEqual(PARAMS.filter((x) => x.engines && !x.unused).map((x) => x.key),
      ['gmu', 'mml', 'mnbt', 'mns', 'bs', 'eager', 'vllmv', 'v0', 'cg', 'cpuoff', 'tfv', 'attn', 'mfs', 'ctk', 'ctv', 'np', 'ngl', 'ncmoe', 'ot',
        'hostbw', 'ub',
        'fa', 'swafull']);
  });
});

describe('a wrong value, in words for its field', () => {
  test('numbers out of range or not whole; blank and fine values pass', () => {
    assert.equal(fieldProblem(P.get('ctx'), '0'), 'must be a whole number from 1 to 100,000,000');
    assert.equal(fieldProblem(P.get('ctx'), '2.5'), 'must be a whole number from 1 to 100,000,000');
    assert.equal(fieldProblem(P.get('reserve'), '0.95'), 'must be a number from 0 to 0.9');
    assert.equal(fieldProblem(P.get('ngl'), '-2'), 'must be a whole number from -1 to 100,000');
    assert.equal(fieldProblem(P.get('vllmv'), 'latest'), 'must be a version such as 0.19');
    assert.match(fieldProblem(P.get('targets'), 'q proj'), /^must be module names/);
    for (const [k, v] of [['ctx', ''], ['ctx', '1'], ['ctx', '100000000'], ['reserve', '0'], ['ngl', '-1'], ['vllmv', '0.10.1'], ['dtype', 'whatever']]) {
      assert.equal(fieldProblem(P.get(k), v), '', `${k}=${v}`);
    }
  });

  test('what the page refuses, the core refuses too (or never gets: 0 would become the default)', () => {
    const r = cli({ model: 'openai-community/gpt2', context: 100000001 });
    assert.equal(r.ok, false);
    assert.equal(r.error.path, '/context');
  });
});

describe('short GPU names in the recommendations', () => {
  const gpus = JSON.parse(execFileSync(CLI, ['--list-gpus', '--json'], { encoding: 'utf8' }));

  test('every catalogue GPU: no parenthetical remark, no brand word, at most 28 characters, never empty', () => {
    for (const g of gpus) {
      const s = shortName(g.name);
      assert.ok(s.length > 0 && s.length <= 28, `${g.name} -> ${s}`);
      assert.doesNotMatch(s, /[()]|GeForce|Instinct|Workstation Edition/, `${g.name} -> ${s}`);
    }
    assert.equal(shortName('B200 (HGX/DGX B200, SXM)'), 'B200');
    assert.equal(shortName('GeForce RTX 4090 24GB'), 'RTX 4090 24GB');
    assert.equal(shortName('RTX PRO 6000 Blackwell Workstation Edition 96GB'), 'RTX PRO 6000 Blackwell 96GB');
    assert.equal(shortName('Instinct MI250X (one GCD of 64 GB; an OAM holds 2)'), 'MI250X');
    assert.equal(shortName('H100 SXM 80GB'), 'H100 SXM 80GB');
  });
});

describe('the site build stages the page without comments (wasm/strip.mjs)', () => {
  test('a parser finds JavaScript comments: strings, template literals and regular expressions keep their // and /*', () => {
    const src = [
      '// a comment',
      'const url = "https://huggingface.co/x"; // trailing',
      'const re = /\\/\\/not-a-comment/g;',
      '/** JSDoc',
      ' * spans lines */',
      'const t = `/* kept */ ${url}`;',
      'const x = 2',
      '  * 3;',
    ].join('\n');
    const out = strip('a.js', src);
    assert.equal(out.split('\n').length, src.split('\n').length, 'line numbers stay');
    assert.match(out, /"https:\/\/huggingface\.co\/x";$/m);
    assert.match(out, /\/\\\/\\\/not-a-comment\/g/);
    assert.match(out, /`\/\* kept \*\/ \$\{url\}`/);
    assert.match(out, /^ {2}\* 3;$/m, 'a line starting with * is code here');
    assert.doesNotMatch(out, /a comment|trailing|JSDoc|spans/);
  });

  test('CSS and HTML comments', () => {
    assert.equal(stripCss('a { b: c; } /* x\ny */ d { content: ": "; }'), 'a { b: c; }\n d { content: ": "; }');
    assert.equal(stripHtml('<p>a</p><!-- x\ny --><p>b</p>'), '<p>a</p>\n<p>b</p>');
  });

  test('the staged scripts are the sources less their comments (same lines)', { skip: !fs.existsSync(path.join(SITE, 'app.js')) }, () => {
    for (const f of ['app.js', 'sources.js', 'render.js', 'state.js']) {
      const staged = fs.readFileSync(path.join(SITE, f), 'utf8');
      const source = fs.readFileSync(path.join(ROOT, 'web', f), 'utf8');
      assert.equal(staged, strip(f, source), f);
      assert.equal(staged.split('\n').length, source.split('\n').length, f);
    }
  });
});

describe('the staged index.html with the default estimate prerendered', { skip: !fs.existsSync(path.join(SITE, 'index.html')) }, () => {
  const html = fs.readFileSync(path.join(SITE, 'index.html'), 'utf8');
  const css = fs.readFileSync(path.join(SITE, 'style.css'), 'utf8');

  test('no inline script, inline style or handler; boot.js before the body; the bars\' widths in style.css', () => {
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i);
    assert.doesNotMatch(html, /<style\b|\sstyle=|\son[a-z]+=/i);
    assert.ok(html.indexOf('<script src="boot.js"></script>') < html.indexOf('<body>'));
    const segs = [...html.matchAll(/data-g="(\d+)"/g)].map((m) => m[1]);
    assert.ok(segs.length >= 5, 'bar segments');
    for (const n of segs) assert.match(css, new RegExp(`\\[data-g="${n}"\\]\\{flex-grow:\\d+\\}`));
  });

  test('the state it shows: the default preset on the default GPU, as the core answers it', () => {
    const query = /<html lang="en" data-prerendered="([^"]+)">/.exec(html)[1].replace(/&amp;/g, '&');
    assert.equal(query, '?preset=Qwen/Qwen2.5-7B-Instruct&gpu=nvidia-h100-sxm');
    assert.match(html, /<section id="results" data-state="prerendered"/);
    const r = cli({ model: 'Qwen/Qwen2.5-7B-Instruct', gpu: 'nvidia-h100-sxm' });
    // The memory table's cells carry the core's bytes.
    for (const k of ['weights_bytes', 'kv_cache_bytes', 'total_bytes', 'free_bytes']) {
      assert.match(html, new RegExp(`<tr data-row="${k}"[^>]*><th scope="row">[^<]+</th><td class="num" data-bytes="${r.memory[k]}"`), k);
    }
    assert.match(html, new RegExp(`${Math.floor(r.serving.max_concurrency).toLocaleString('en-US')} sequences of ${r.workload.context.toLocaleString('en-US')} tokens at once`));
    assert.match(html, new RegExp(`<input id="in-ctx" placeholder="${r.workload.context}" data-pre `));
  });
});
