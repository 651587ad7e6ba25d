// sources.js — where the model comes from: a bundled preset, a Hub link (config.json + exact counts via hf.js,
// or a GGUF repository's file via gguf.js), a pasted or dropped config.json. It holds the model the page sizes
// and turns it into the model part of the request and of the share link; app.js (the controller) asks it and
// re-renders when it calls back.
//
// A Hub link to a model the core bundles (the catalogue's presets; `gated` marks those behind a licence) that
// answers 401/403, 429/5xx, or not at all, falls back to the bundled copy with a note saying why and how to
// read the live config (a token, Retry); the token path stays.
//
// `model` is one of
//   {source: 'preset', id}
//   {source: 'hub', repo, rev, status: 'loading'|'ready'|'error', config, safetensors, gguf?, ggufList?,
//    bundled?: id (the Hub failed: the bundled copy stands in), skipCounts?}
//   {source: 'paste', text, repo?, rev?}

import { h, gib } from './render.js';
import { encodeConfig, listIds } from './state.js';

const DEFAULT_PRESET = 'Qwen/Qwen2.5-7B-Instruct';
const MAX_CONFIG_BYTES = 4 << 20;  // the core's config limit (core/include/llmsizer/config.h kMaxConfigBytes)
// Deadline of each Hub request; a test may shorten it before the page loads (window.llmsizerHubTimeoutMs).
const HUB_TIMEOUT_MS = Number(globalThis.llmsizerHubTimeoutMs) || 15000;

const $ = (id) => document.getElementById(id);
const control = (key) => $(`in-${key}`);
const opt = (value, text) => h('option', { value }, text);

/** The model being sized (see the file comment). */
export let model = null;
/** Notes about the model's source, shown above the results. */
export let notes = [];
/** The last Hub failure that left no model: {repo, rev, error} (the results say what to do), else null. */
export let failure = null;
/** The id of the preset shown when nothing else is asked for. */
export let defaultPreset = '';
/** A pasted config's share-link fragment value (deflate-raw, base64url) once encoded; `pending` meanwhile. */
export let fragment = { value: '', pending: null };

let fetchSeq = 0;
/** {api(), catalog(), need(name), mods, recompute(), engineChosen(), showHubError(e)} from app.js. */
let ctx;

export function setup(context) {
  ctx = context;
}

// ---- the bundled presets ---------------------------------------------------------------------------------

export function fillPresets() {
  const models = ctx.catalog().models;
  $('in-preset').replaceChildren(...presetOptions(models));
  const ids = models.map((m) => m.id);
  defaultPreset = ids.includes(DEFAULT_PRESET) ? DEFAULT_PRESET : ids[0] || '';
}

/** The preset picker's options (the build's prerender writes the same into index.html). */
export function presetOptions(models) {
  return [opt('', '— choose a bundled model —'),
    ...models.map((m) => opt(m.id, `${m.name || m.id}${m.gated ? ' (gated on the Hub)' : ''}`))];
}

export function usePreset(id) {
  fetchSeq++;
  model = { source: 'preset', id };
  $('in-preset').value = id;
  $('gguf-box').hidden = true;
  notes = [];
  failure = null;
  ctx.showHubError(null);
  ctx.recompute();
}

/** The catalogue's preset for a Hub repo id (the Hub treats ids case-insensitively), or undefined. */
function bundledFor(repo) {
  const id = String(repo).toLowerCase();
  return ctx.catalog().models.find((m) => m.id.toLowerCase() === id);
}

/**
 * Whether a failed Hub read of `repo` falls back to its bundled copy, and the note that says so: for the
 * answers that say nothing about the model itself (sign-in, refused, rate limit, server error, no answer, a
 * page that is not the Hub's). A 404 stands: the link names something else.
 */
function fallbackNote(repo, rev, e) {
  const preset = bundledFor(repo);
  const offline = ['network', 'timeout', 'truncated', 'html'].includes(e.kind);
  if (!preset || !(offline || [401, 403, 429].includes(e.status) || e.status >= 500)) return null;
  const copy = `Showing the bundled copy of ${preset.id}${rev === 'main' ? '' : ` (the bundled config, not revision “${rev}”)`}`;
  let why;
  if (e.status === 401 && ctx.token()) why = 'huggingface.co did not accept the access token (401) — check it to read the live config';
  else if (e.status === 401) why = `${preset.gated ? 'gated' : 'sign-in required'} on the Hub — add a token to read the live config`;
  else if (e.status === 403) why = 'gated on the Hub, and this account has not accepted its terms (403) — accept them on huggingface.co, then Retry';
  else if (e.status === 429) why = 'huggingface.co is rate-limiting requests (429) — Retry later to read the live config';
  else if (e.status >= 500) why = `huggingface.co had an error (${e.status}) — Retry to read the live config`;
  else why = 'huggingface.co could not be reached — Retry to read the live config';
  return { id: preset.id, note: `${copy}; ${why}.` };
}

// ---- Hub links -------------------------------------------------------------------------------------------

export const hubOptions = () => ({ token: ctx.token(), timeoutMs: HUB_TIMEOUT_MS });

/**
 * Loads a Hub model: config.json (+ exact counts); when the repo has no config.json but .gguf files, the GGUF
 * flow (the file list, then the chosen file's header). `file`: a .gguf path asked for by the link.
 */
export async function loadHub(repo, rev, note, file) {
  const seq = ++fetchSeq;
  model = { source: 'hub', repo, rev, status: 'loading' };
  $('in-preset').value = '';
  $('gguf-box').hidden = true;
  notes = note ? [note] : [];
  failure = null;
  ctx.showHubError(null);
  ctx.recompute();
  try {
    const hf = await ctx.need('hf');
    if (!file) {
      try {
        const got = await hf.fetchModel(repo, rev, hubOptions());
        if (seq !== fetchSeq) return;
        Object.assign(model, { status: 'ready', config: got.config, safetensors: got.safetensors });
        notes = [...notes, ...got.notes];
        ctx.recompute();
        return;
      } catch (e) {
        if (e.status !== 404) throw e;
        // No config.json: a GGUF repository? Its file list says; otherwise the 404 stands.
        const g = await ctx.need('gguf');
        const list = await g.listGguf(repo, rev, hubOptions()).catch(() => ({ files: [] }));
        if (seq !== fetchSeq) return;
        if (!list.files.length) throw e;
        await loadGgufList(seq, g, list, g.defaultFile(list.files));
        return;
      }
    }
    const g = await ctx.need('gguf');
    const list = await g.listGguf(repo, rev, hubOptions());
    if (seq !== fetchSeq) return;
    if (!list.files.length) throw new hf.HubError('http', `${repo} at revision “${rev}” has no .gguf file, ${hf.PASTE}.`);
    const listed = list.files.some((f) => f.path === file);
    if (!listed) notes.push(`The link names ${file}, which ${repo} does not list: showing ${g.defaultFile(list.files)} instead.`);
    await loadGgufList(seq, g, list, listed ? file : g.defaultFile(list.files));
  } catch (e) {
    if (seq !== fetchSeq) return;
    hubFailed(e, !file);
  }
}

/** A failed Hub read: the bundled copy when there is one (config.json reads only), else the error. */
function hubFailed(e, configRead) {
  const fallback = configRead && !model.gguf ? fallbackNote(model.repo, model.rev, e) : null;
  if (fallback) {
    Object.assign(model, { status: 'ready', bundled: fallback.id, retry: e.retry });
    notes = [...notes, fallback.note];
    ctx.showHubError(e.retry ? { message: '', retry: true } : null);
  } else {
    model.status = 'error';
    failure = { repo: model.repo, rev: model.rev, error: e };
    ctx.showHubError(e);
  }
  ctx.recompute();
}

async function loadGgufList(seq, g, list, file) {
  model.ggufList = list;
  if (list.skipped.length) notes.push(`Left out of the file list: ${list.skipped.join(', ')}.`);
  control('file').replaceChildren(...list.files.map((f) => opt(f.path, `${f.path}${f.parts.length > 1 ? ` (${f.parts.length} parts)` : ''}${
    f.size !== null ? ` — ${gib(f.size)} GiB` : ''}`)));
  $('gguf-box').hidden = false;
  await loadGgufFile(seq, g, file);
}

/** Reads every part's header of `file` and estimates it (with llama.cpp unless an engine was chosen). */
async function loadGgufFile(seq, g, file) {
  const entry = model.ggufList.files.find((f) => f.path === file);
  control('file').value = file;
  model.gguf = { file, summaries: null };
  model.status = 'loading';
  failure = null;
  ctx.showHubError(null);
  ctx.recompute();
  const summaries = [];
  await ctx.api().loadFull();  // the GGUF parser is in the full core
  if (seq !== fetchSeq) return;
  for (const part of entry.parts) {
    summaries.push(await g.readHeader(model.repo, model.rev, part, hubOptions(), ctx.api().ggufText));
    if (seq !== fetchSeq) return;
  }
  model.gguf.summaries = summaries;
  model.status = 'ready';
  const engine = control('engine');
  if (engine && !ctx.engineChosen() && listIds(ctx.catalog(), 'engines').includes('llama.cpp')) engine.value = 'llama.cpp';
  ctx.recompute();
}

export function pickGguf() {
  if (model?.source !== 'hub' || !model.ggufList) return;
  const seq = ++fetchSeq;
  loadGgufFile(seq, ctx.mods.gguf, control('file').value).catch((e) => {
    if (seq !== fetchSeq) return;
    hubFailed(e, false);
  });
}

/** Whether the last read of this Hub model failed (an error, or the bundled copy standing in). */
const failed = () => model?.source === 'hub' && (model.status === 'error' || Boolean(model.bundled));

/**
 * Reads the model box. `how`: 'enter' (Enter, the Fetch button) fetches even the link already shown; 'paste'
 * fetches a new link, or the same one again when its last read failed; 'change' (leaving the box) a new link.
 */
export async function loadLink(how) {
  // The first link loads hf.js: say "loading" meanwhile, as a fetch would.
  const state = $('results').dataset.state;
  if (!ctx.mods.hf) $('results').dataset.state = 'loading';
  let link;
  try {
    link = (await ctx.need('hf')).parseModelLink($('in-link').value);
  } catch (e) {
    link = { ok: false, message: e.message };
  }
  const same = link.ok && model?.source === 'hub' && model.repo === link.repo && model.rev === link.rev &&
    (!link.file || model.gguf?.file === link.file);
  const again = how === 'enter' || (how === 'paste' && failed());
  if (link.ok && (!same || (again && model.status !== 'loading'))) {
    loadHub(link.repo, link.rev, link.note, link.file);
    return;
  }
  $('results').dataset.state = state;
  if (!link.ok) ctx.showHubError({ message: link.message, field: true });
}

export function retryHub() {
  if (model?.source !== 'hub') return;
  if (model.gguf && model.ggufList) pickGguf();
  else loadHub(model.repo, model.rev, undefined, model.gguf?.file);
}

/** A token was entered or changed: a read that failed (or fell back to the bundled copy) is tried again. */
export function tokenChanged() {
  if (failed()) retryHub();
}

// ---- pasted and dropped config.json -------------------------------------------------------------------

export function usePaste(text) {
  if (!text.trim()) {
    usePreset(model?.source === 'preset' ? model.id : defaultPreset);
    return;
  }
  fetchSeq++;
  // A config pasted after a failed fetch keeps that repo as its label (model_id) and in the share link.
  const label = model && model.source !== 'preset' && model.repo && !model.gguf ? { repo: model.repo, rev: model.rev } : {};
  model = { source: 'paste', text, ...label };
  $('in-preset').value = '';
  $('gguf-box').hidden = true;
  notes = [];
  failure = null;
  ctx.showHubError(null);
  setPasteFragment(text);
  ctx.recompute();
}

/** A config.json from a share link's fragment (already decoded), labelled with the link's repo if any. */
export function restorePaste(text, value, repo, rev) {
  $('in-config').value = text;
  $('paste-box').open = true;
  model = { source: 'paste', text, ...(repo ? { repo, rev: rev || 'main' } : {}) };
  fragment = { value, pending: null };
}

function setPasteFragment(text) {
  fragment = { value: '', pending: null };
  fragment.pending = encodeConfig(text).then((value) => {
    if (model?.source === 'paste' && model.text === text) {
      fragment = { value, pending: null };
      ctx.updateUrl();
    }
  });
}

export async function dropFile(file) {
  if (file.size > MAX_CONFIG_BYTES) {
    ctx.showHubError({ message: `${file.name} is larger than 4 MiB: that is not a config.json.` });
    return;
  }
  const text = await file.text();
  $('in-config').value = text;
  $('paste-box').open = true;
  usePaste(text);
}

/** The core refused the Hub's parameter counts: estimate from config.json instead, and say so. */
export function skipCounts(message) {
  model.skipCounts = true;
  notes = [...notes, `The Hub's parameter counts could not be used (${message}): counted from config.json.`];
}

// ---- the model as request, share link and words ----------------------------------------------------------

/** Whether there is a model to estimate now (not loading, not failed). */
export const ready = () => Boolean(model) && (model.source !== 'hub' || model.status === 'ready');

/** The model's part of the request. */
export function request() {
  const req = {};
  if (model.source === 'preset' || model.bundled) {
    req.model = model.bundled || model.id;
  } else if (model.gguf) {
    req.gguf = model.gguf.summaries;
    req.model_id = ctx.mods.gguf.stem(model.gguf.file);
    req.revision = model.rev;
  } else {
    req.config = model.source === 'hub' ? model.config : model.text;
    if (model.repo) {
      req.model_id = model.repo;
      req.revision = model.rev;
    }
    if (model.source === 'hub' && model.safetensors && !model.skipCounts) req.safetensors = model.safetensors;
  }
  return req;
}

/** The model's share-link keys. */
export function shareValues() {
  if (model?.source === 'preset') return { preset: model.id };
  if (model?.repo) return { model: model.repo, rev: model.rev, file: model.gguf?.file };
  return {};
}

/** The share link's fragment (a pasted config), '' when none; null while it is being encoded. */
export function shareFragment() {
  if (model?.source !== 'paste') return '';
  return fragment.value ? `#config=${fragment.value}` : null;
}

/** One line on where the model comes from (shown under the model box). */
export function describe() {
  if (!model) return '';
  if (model.source === 'preset') return `Model: bundled preset ${model.id} (no network needed).`;
  if (model.source === 'hub') {
    const where = `${model.repo} at revision “${model.rev}”`;
    const what = model.gguf ? `GGUF file ${model.gguf.file} of ${where}` : `config.json of ${where}`;
    if (model.status === 'loading') return `Fetching ${model.gguf ? `the header of ${what}` : what} from huggingface.co…`;
    if (model.status === 'error') return `Could not load ${where}.`;
    if (model.bundled) return `Model: the bundled copy of ${model.bundled} (no network needed); huggingface.co did not give its config.json.`;
    return `Model: ${what}, from huggingface.co.`;
  }
  return `Model: the pasted config.json${model.repo ? ` (labelled ${model.repo})` : ''}.`;
}
