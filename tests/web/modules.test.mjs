// The page's DOM-free modules under node:test: link parsing and Hub requests (web/hf.js), share-URL keys and
// the compressed config fragment (web/state.js), and the GiB formatting (web/render.js gib).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, test } from 'node:test';

import { apiUrl, configUrl, fetchModel, HubError, parseModelLink } from '../../web/hf.js';
import { band, compact, count, duration, durationBand, gib, gibBand, verdictOf } from '../../web/render.js';
import { decodeConfig, encodeConfig, PARAMS, readFragment, readQuery, writeQuery } from '../../web/state.js';

const CATALOG = {
  gpus: [{ id: 'nvidia-h100-sxm' }, { id: 'nvidia-a100-sxm4-80gb' }],
  models: [{ id: 'Qwen/Qwen2.5-7B-Instruct' }, { id: 'openai-community/gpt2' }],
  engines: ['generic'],
};

describe('parseModelLink: every accepted form', () => {
  const R = 'Qwen/Qwen2.5-7B-Instruct';
  const cases = [
    ['https://huggingface.co/Qwen/Qwen2.5-7B-Instruct', R, 'main'],
    ['https://huggingface.co/Qwen/Qwen2.5-7B-Instruct/', R, 'main'],
    ['http://huggingface.co/Qwen/Qwen2.5-7B-Instruct', R, 'main'],
    ['https://www.huggingface.co/Qwen/Qwen2.5-7B-Instruct', R, 'main'],
    ['huggingface.co/Qwen/Qwen2.5-7B-Instruct', R, 'main'],
    ['https://huggingface.co/Qwen/Qwen2.5-7B-Instruct?library=transformers', R, 'main'],
    ['https://huggingface.co/Qwen/Qwen2.5-7B-Instruct#model-card', R, 'main'],
    ['https://huggingface.co/Qwen/Qwen2.5-7B-Instruct/tree/v1.1', R, 'v1.1'],
    ['https://huggingface.co/Qwen/Qwen2.5-7B-Instruct/tree/v1.1/', R, 'v1.1'],
    ['https://huggingface.co/Qwen/Qwen2.5-7B-Instruct/tree/refs%2Fpr%2F12', R, 'refs/pr/12'],
    ['https://huggingface.co/Qwen/Qwen2.5-7B-Instruct/tree/refs/pr/12', R, 'refs/pr/12'],
    ['https://huggingface.co/Qwen/Qwen2.5-7B-Instruct/blob/main/config.json', R, 'main'],
    ['https://huggingface.co/Qwen/Qwen2.5-7B-Instruct/blob/a09a35458c702b33eeacc393d103063234e8bc28/config.json', R,
      'a09a35458c702b33eeacc393d103063234e8bc28'],
    ['https://huggingface.co/Qwen/Qwen2.5-7B-Instruct/resolve/dev/config.json?download=true', R, 'dev'],
    ['https://hf.co/Qwen/Qwen2.5-7B-Instruct', R, 'main'],
    ['hf.co/Qwen/Qwen2.5-7B-Instruct/', R, 'main'],
    ['Qwen/Qwen2.5-7B-Instruct', R, 'main'],
    ['  Qwen/Qwen2.5-7B-Instruct/  ', R, 'main'],
    ['Qwen/Qwen2.5-7B-Instruct?x=1#y', R, 'main'],
    ['https://huggingface.co/Qwen/Qwen2.5-7B-Instruct/discussions/3', R, 'main'],
    ['gpt2', 'gpt2', 'main'],
    ['https://huggingface.co/gpt2/tree/main', 'gpt2', 'main'],
  ];
  for (const [text, repo, rev] of cases) {
    test(text, () => {
      const r = parseModelLink(text);
      assert.equal(r.ok, true, r.message);
      assert.equal(r.repo, repo);
      assert.equal(r.rev, rev);
    });
  }
  test('a link to another file of the repo says config.json at the root is read', () => {
    const r = parseModelLink('https://huggingface.co/Qwen/Qwen2.5-7B-Instruct/blob/main/README.md');
    assert.equal(r.ok, true);
    assert.match(r.note, /README\.md.*config\.json/);
  });
});

describe('parseModelLink: what it refuses, naming the accepted forms', () => {
  const bad = [
    ['', /Enter a model/],
    ['https://github.com/org/name', /Only huggingface\.co/],
    ['https://huggingface.co.evil.example/org/name', /Only huggingface\.co/],
    ['https://huggingface.co/datasets/org/name', /dataset/],
    ['https://huggingface.co/spaces/org/name', /Space/],
    ['https://huggingface.co/', /no repository/],
    ['<img src=x onerror=alert(1)>', /not a valid repository name/],
    ['org/na me', /not a valid repository name/],
    ['org/-name', /not a valid repository name/],
    ['org/name/tree/bad%20rev', /not a revision/],
    ['https://huggingface.co:8443/org/name', /port/],
  ];
  for (const [text, why] of bad) {
    test(JSON.stringify(text), () => {
      const r = parseModelLink(text);
      assert.equal(r.ok, false);
      assert.match(r.message, why);
      assert.match(r.message, /Accepted forms: https:\/\/huggingface\.co\/org\/name .*hf\.co\/org\/name · org\/name/);
    });
  }
});

describe('Hub URLs', () => {
  test('config.json and the safetensors API, main and another revision', () => {
    assert.equal(configUrl('Qwen/Qwen2.5-7B-Instruct', 'main'), 'https://huggingface.co/Qwen/Qwen2.5-7B-Instruct/resolve/main/config.json');
    assert.equal(apiUrl('Qwen/Qwen2.5-7B-Instruct', 'main'), 'https://huggingface.co/api/models/Qwen/Qwen2.5-7B-Instruct?expand[]=safetensors');
    assert.equal(configUrl('a/b', 'refs/pr/3'), 'https://huggingface.co/a/b/resolve/refs%2Fpr%2F3/config.json');
    assert.equal(apiUrl('a/b', 'v2'), 'https://huggingface.co/api/models/a/b/revision/v2?expand[]=safetensors');
  });
});

/** A fake fetch: routes by URL to [status, body, contentType] or throws for 'network'. */
function fakeFetch(routes, seen) {
  return async (url, init) => {
    seen.push({ url, auth: init.headers.Authorization });
    const key = url.includes('/api/models/') ? 'api' : 'config';
    const r = routes[key];
    if (r === 'network') throw new TypeError('Failed to fetch');
    const [status, body, type = 'application/json'] = r;
    return new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'content-type': type } });
  };
}

describe('fetchModel', () => {
  const cfg = { model_type: 'gpt2', n_embd: 768 };
  test('config + exact counts; the token only as a header to huggingface.co', async () => {
    const seen = [];
    const r = await fetchModel('a/b', 'main', {
      token: ' hf_secret ',
      fetch: fakeFetch({ config: [200, cfg], api: [200, { safetensors: { parameters: { BF16: 7, F32: 3 }, total: 10 } }] }, seen),
    });
    assert.deepEqual(r.config, cfg);
    assert.deepEqual(r.safetensors, { BF16: 7, F32: 3 });
    assert.deepEqual(r.notes, []);
    assert.equal(seen.length, 2);
    for (const s of seen) {
      assert.equal(s.auth, 'Bearer hf_secret');
      assert.ok(!s.url.includes('hf_secret'));
    }
  });
  test('no token, no header', async () => {
    const seen = [];
    await fetchModel('a/b', 'main', { fetch: fakeFetch({ config: [200, cfg], api: [200, {}] }, seen) });
    assert.ok(seen.every((s) => s.auth === undefined));
  });
  test('no safetensors metadata: a note says so', async () => {
    const r = await fetchModel('a/b', 'main', { fetch: fakeFetch({ config: [200, cfg], api: [200, { id: 'a/b' }] }, []) });
    assert.equal(r.safetensors, null);
    assert.match(r.notes[0], /no safetensors parameter counts/);
  });
  test('the API failing is only a note', async () => {
    const r = await fetchModel('a/b', 'main', { fetch: fakeFetch({ config: [200, cfg], api: [500, 'oops', 'text/plain'] }, []) });
    assert.deepEqual(r.config, cfg);
    assert.match(r.notes[0], /Exact parameter counts unavailable \(the Hub API answered 500\)/);
  });
  const failures = [
    ['401 without a token', [401, { error: 'x' }], '', /asks you to sign in.*gated.*private.*access token/s],
    ['401 with a token', [401, { error: 'x' }], 'hf_x', /did not accept the access token/],
    ['403', [403, { error: 'x' }], '', /refused access.*terms.*accept/s],
    ['404', [404, { error: 'x' }], '', /Not found \(404\).*no config\.json at revision “main”/s],
    ['network failure', 'network', '', /Could not reach huggingface\.co/],
    ['an HTML page', [200, '<!doctype html><title>Sign in</title>', 'text/html'], '', /web page instead of config\.json/],
    ['HTML with a JSON content type', [200, '<html></html>'], '', /web page instead/],
    ['broken JSON', [200, '{"a": ', 'application/json'], '', /not valid JSON/],
    ['a JSON array', [200, [1, 2]], '', /not a JSON object/],
  ];
  for (const [label, route, token, message] of failures) {
    test(label, async () => {
      await assert.rejects(fetchModel('a/b', 'main', { token, fetch: fakeFetch({ config: route, api: [200, {}] }, []) }), (e) => {
        assert.ok(e instanceof HubError);
        assert.match(e.message, message);
        assert.match(e.message, /paste/);
        if (token) assert.ok(!e.message.includes(token));
        return true;
      });
    });
  }
});

describe('share-URL query', () => {
  test('keys are short, ordered and readable', () => {
    const q = writeQuery({ batch: '16', model: 'Qwen/Qwen2.5-7B-Instruct', rev: 'main', gpu: 'nvidia-h100-sxm', n: '2', dtype: 'bf16', kv: 'fp8', ctx: '32768' });
    assert.equal(q, '?model=Qwen/Qwen2.5-7B-Instruct&rev=main&gpu=nvidia-h100-sxm&n=2&dtype=bf16&kv=fp8&ctx=32768&batch=16');
  });
  test('round trip', () => {
    const values = { preset: 'openai-community/gpt2', gpu: 'nvidia-a100-sxm4-80gb', n: 4, tp: 2, pp: 2, dtype: 'int4', kv: 'int8', ctx: 2048, batch: 7, reserve: 0.15, engine: 'generic' };
    const { values: back, notes } = readQuery(writeQuery(values), CATALOG);
    assert.deepEqual(notes, []);
    assert.deepEqual(back, values);
  });
  test('unknown, malformed, out-of-range and repeated parameters are dropped with a note each', () => {
    const { values, notes } = readQuery('?gpu=nvidia-h100-sxm&foo=1&ctx=abc&batch=0&reserve=0.95&n=2&n=3&dtype=fp7&gpu=x&tp=1e3&mode=lora', CATALOG);
    assert.deepEqual(values, { gpu: 'nvidia-h100-sxm', n: 2 });
    assert.equal(notes.length, 9);
    assert.match(notes.join("\n"), /repeated gpu=“x”/);
    assert.match(notes.join('\n'), /unknown parameter “foo”/);
    assert.match(notes.join('\n'), /ctx=“abc”: expected a whole number from 1 to 100000000/);
    assert.match(notes.join('\n'), /batch=“0”: out of range/);
    assert.match(notes.join('\n'), /reserve=“0.95”: out of range/);
    assert.match(notes.join('\n'), /repeated n=“3”/);
    assert.match(notes.join('\n'), /dtype=“fp7”: not a known weight precision/);
    assert.match(notes.join('\n'), /tp=“1e3”/);
    assert.match(notes.join('\n'), /mode=“lora”: this build has no mode choice/);
  });
  test('markup in a parameter is refused as a value and quoted as text, shortened', () => {
    const { values, notes } = readQuery(`?model=${encodeURIComponent('<img src=x onerror=alert(1)>')}&gpu=${'x'.repeat(500)}`, CATALOG);
    assert.deepEqual(values, {});
    assert.match(notes[0], /model=“<img src=x onerror=alert\(1\)>”: not a Hub repo id/);
    assert.ok(notes[1].length < 200);
  });
  test('rev without model, and preset with model', () => {
    assert.deepEqual(readQuery('?rev=dev', CATALOG).values, {});
    const r = readQuery('?preset=openai-community/gpt2&model=a/b', CATALOG);
    assert.deepEqual(r.values, { model: 'a/b' });
    assert.match(r.notes[0], /preset=.*model= is given too/);
  });
  test('every key maps to a request key the core knows (or is the preset)', () => {
    const cli = execFileSync(new URL('../../build/llmsizer', import.meta.url).pathname, ['--help'], { encoding: 'utf8' });
    for (const p of PARAMS) {
      if (!p.req) continue;  // page state: the preset, the GGUF file, open panels, the table's sort
      assert.match(cli, new RegExp(`--${p.req.replace(/_/g, '-')}\\b`), p.key);
    }
  });
});

describe('config in the fragment', () => {
  test('deflate-raw + base64url round trip, shorter than the text', async () => {
    const text = JSON.stringify({ model_type: 'llama', hidden_size: 4096, note: 'ünïcødé <b>', pad: 'x'.repeat(2000) }, null, 2);
    const v = await encodeConfig(text);
    assert.match(v, /^[A-Za-z0-9_-]+$/);
    assert.ok(v.length < text.length / 4);
    assert.equal(await decodeConfig(v), text);
  });
  test('garbage is refused', async () => {
    await assert.rejects(decodeConfig('not+base64'));
    await assert.rejects(decodeConfig('AAAA'));
  });
  test('only #config= is read', () => {
    assert.deepEqual(readFragment('#config=abc_-'), { config: 'abc_-', notes: [] });
    assert.deepEqual(readFragment(''), { config: null, notes: [] });
    assert.match(readFragment('#token=hf_x').notes[0], /Ignored the link’s fragment/);
  });
});

describe('formatting', () => {
  // Expected strings are what C's printf("%.2f") prints for the exact value bytes / 2^30 (the CLI's table):
  // ties round half to even, e.g. 0.125 -> 0.12, 0.375 -> 0.38; negatives keep their sign even at -0.00.
  const cases = [
    [0, '0.00'], [2 ** 30, '1.00'], [85899345920, '80.00'], [2 ** 27, '0.12'], [3 * 2 ** 27, '0.38'],
    [5 * 2 ** 27, '0.62'], [-1, '-0.00'], [-(2 ** 31), '-2.00'], [13476831232, '12.55'], [2 ** 50, '1048576.00'],
  ];
  for (const [bytes, want] of cases) test(`gib(${bytes}) = ${want}`, () => assert.equal(gib(bytes), want));
  test('agrees with printf on the GiB values of a sweep of byte counts', () => {
    const values = [];
    for (let i = 0; i < 200; i++) values.push(Math.floor((i * 2654435761) % 2 ** 40) + i * 5368709);
    const args = values.map((b) => (b / 2 ** 30).toPrecision(17));
    const out = execFileSync('/usr/bin/printf', ['%.2f\\n', ...args], { encoding: 'utf8' }).trim().split('\n');
    values.forEach((b, i) => assert.equal(gib(b), out[i], `${b} bytes`));
  });
  test('counts', () => {
    assert.equal(count(7615616512), '7,615,616,512');
    assert.equal(compact(7615616512), '7.62B');
  });
});

describe('durations: the core\'s seconds in the unit people read', () => {
  test('ms below 1 s, s below 2 min, min below 2 h, h below 2 days, days beyond', () => {
    assert.equal(duration(0.011865), '11.9 ms'); // a TPOT: 0.011865 s x 1000 = 11.865 ms
    assert.equal(duration(0.9994), '999 ms');
    assert.equal(duration(1), '1 s');
    assert.equal(duration(119.4), '119 s');
    assert.equal(duration(120), '2 min'); // 120 / 60
    assert.equal(duration(5400), '90 min'); // 5,400 / 60
    assert.equal(duration(7200), '2 h'); // 7,200 / 3,600
    assert.equal(duration(123456), '34.3 h'); // 123,456 / 3,600 = 34.29
    assert.equal(duration(172800), '2 days'); // 172,800 / 86,400
    assert.equal(duration(1e7), '116 days'); // 10,000,000 / 86,400 = 115.7
    assert.equal(duration(NaN), '–');
    assert.equal(duration(undefined), '–');
  });
});

describe('how sure: the core\'s bands and verdict, formatted', () => {
  // A response fragment as the core writes it (api/how_sure.cpp): bands keyed by the figure's dotted path.
  const r = {
    bands: { 'memory.total_bytes': [34883558031, 36464975462], 'memory.weights_bytes': [16093013504, 16093013504],
      'speed.tpot_seconds': [0.01079, 0.02922], 'serving.kv_cache_tokens': [0, 0] },
    how_sure: { verdict: 'may not fit', figures: { 'memory.weights_bytes': { exact: true } } },
  };
  test('GiB ranges as the figures are printed (2^30, two decimals); exact figures say so', () => {
    // 34883558031 / 2^30 = 32.488..., 36464975462 / 2^30 = 33.960...
    assert.equal(gibBand(r, 'memory.total_bytes'), ' (32.49–33.96 GiB)');
    assert.equal(gibBand(r, 'memory.weights_bytes'), ' (exact)');
    assert.equal(gibBand(r, 'memory.kv_cache_bytes'), '');
  });
  test('durations in the unit people read; an empty band shows nothing', () => {
    assert.equal(durationBand(r, 'speed.tpot_seconds'), ' (10.8 ms–29.2 ms)');
    assert.equal(band(r, 'serving.kv_cache_tokens'), null);
  });
  test('the badge is the core\'s verdict on the band; without one, the plain fit', () => {
    assert.deepEqual(verdictOf(r, true), ['May not fit', 'maybe']);
    assert.deepEqual(verdictOf({}, true), ['Fits', 'fits']);
    assert.deepEqual(verdictOf({}, false), ['Does not fit', 'nofit']);
  });
});
