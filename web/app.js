// app.js — the page: reads the controls, asks the core (WebAssembly) for an estimate, renders the answer, and
// keeps the address bar as a share link. It computes nothing itself: every figure comes from the core's JSON
// response (the renderers only format bytes as GiB and place bars and chart points in proportion).
//
// Flow: model (bundled preset | Hub link -> hf.js [-> gguf.js] | pasted config.json) + controls -> request
//       -> api.estimate() -> render.js (+ panels) -> history.replaceState(share URL from state.js)
//
// Controls are elements "in-<key>" for the PARAMS of state.js; options of one engine or mode carry
// data-engines / data-modes and count only while shown. Code for what the first result does not show (the
// Hub, GGUF files, the speed / context / recommendations panels, fine-tuning) is loaded on first use.

import { createLlmsizer } from './llmsizer.js';
import * as R from './render.js';
import { CACHE_TYPES, CHECKPOINTING, decodeConfig, encodeConfig, GGUF_TYPES, listIds, OPTIMIZERS, PANELS, PARAMS,
  readFragment, readQuery, TRAIN_PRECISIONS, writeQuery } from './state.js';

const DEFAULT_PRESET = 'Qwen/Qwen2.5-7B-Instruct';
const DEFAULT_GPU = 'nvidia-h100-sxm';
const MAX_CONFIG_BYTES = 4 << 20;  // the core's config limit (core/include/llmsizer/config.h kMaxConfigBytes)
// Deadline of each Hub request; a test may shorten it before the page loads (window.llmsizerHubTimeoutMs).
const HUB_TIMEOUT_MS = Number(globalThis.llmsizerHubTimeoutMs) || 15000;
const RECS_DELAY_MS = 150;  // the ranking of every GPU waits for typing to pause
// Inputs left blank take the core's default; the placeholder (or a select's first option) shows the core's value.
const SHOWN_DEFAULTS = {
  n: (r) => r.layout.gpus, tp: (r) => r.layout.tp, pp: (r) => r.layout.pp, ctx: (r) => r.workload.context,
  batch: (r) => r.workload.batch, reserve: (r) => r.workload.reserve, in: (r) => r.speed.input_tokens,
  out: (r) => r.speed.output_tokens, gmu: (r) => r.serving.settings.gpu_memory_utilization,
  mml: (r) => r.serving.settings.max_model_len, mnbt: (r) => r.serving.settings.max_num_batched_tokens,
  mns: (r) => r.serving.settings.max_num_seqs, bs: (r) => r.serving.settings.block_size,
  mfs: (r) => r.serving.settings.mem_fraction_static, opt: (r) => r.training.inputs.optimizer,
  tprec: (r) => r.training.inputs.training_precision, mb: (r) => r.training.inputs.micro_batch,
  seq: (r) => r.training.inputs.seq_len, gc: (r) => r.training.inputs.gradient_checkpointing,
  rank: (r) => r.training.inputs.lora_rank, targets: (r) => r.training.inputs.lora_targets.join(','),
  zero: (r) => r.training.inputs.zero,
};

const $ = (id) => document.getElementById(id);
const paramOf = new Map(PARAMS.map((p) => [p.key, p]));
/** Request keys with a control, in PARAMS order (filled at start-up). */
let controlKeys = [];

/** @type {import('./llmsizer.js').Llmsizer} */
let api;
let catalog;
/** {source: 'preset', id} | {source: 'hub', repo, rev, status, config, safetensors, gguf?} | {source: 'paste', text, repo?, rev?} */
let model = null;
let defaultPreset = '';
let hubNotes = [];
let fetchSeq = 0;
let fragment = { value: '', pending: null };
let firstResult = false;
let urlTimer = 0;
let recsTimer = 0;
let recsSort = '';
let panelFrame = 0;
let engineChosen = false;  // the engine came from the link or the person (a GGUF then keeps it)
let last = { request: null, response: null, parsed: null, recs: null };
const mods = {};
const loading = {};

// ---------------------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------------------

function setText(id, text) {
  const el = $(id);
  el.textContent = text || '';
  el.hidden = !text;
}

function setNotes(id, notes) {
  const el = $(id);
  el.replaceChildren(...notes.map((n) => R.h('li', null, n)));
  el.hidden = notes.length === 0;
}

const control = (key) => $(`in-${key}`);
/** A control counts when it exists and is shown (options of another engine or mode do not). */
const active = (el) => el && !el.closest('[hidden]');

/** A control's value as URL text: '' for the default (blank, or a checkbox in its default state). */
function readControl(el) {
  if (el.type === 'checkbox') {
    const v = el.checked ? '1' : '0';
    return v === (el.dataset.default || '0') ? '' : v;
  }
  return el.value.trim();
}

function writeControl(el, v) {
  if (el.type === 'checkbox') el.checked = String(v) === '1';
  else el.value = String(v);
}

/** A module of the page, loaded once (a failed load may be tried again); re-renders when it arrives. */
function need(name) {
  if (!loading[name]) {
    loading[name] = import(`./${name}.js`).then((m) => {
      mods[name] = m;
      renderLast();
      return m;
    }, () => {
      delete loading[name];
      throw new Error(`Part of the page (${name}.js) could not be loaded: check the connection, then try again.`);
    });
  }
  return loading[name];
}

/** The module if loaded, else null (it loads meanwhile, and the page renders again when it is there). */
function lazy(name) {
  if (mods[name]) return mods[name];
  need(name).catch((e) => setText('error', e.message));
  return null;
}

// ---------------------------------------------------------------------------------------------------------
// Catalogue -> pickers
// ---------------------------------------------------------------------------------------------------------

const opt = (value, text) => R.h('option', { value }, text);

function fillPresets() {
  const sel = $('in-preset');
  sel.replaceChildren(opt('', '— choose a bundled model —'),
    ...catalog.models.map((m) => opt(m.id, `${m.name || m.id}${m.gated ? ' (gated on the Hub)' : ''}`)));
  const ids = catalog.models.map((m) => m.id);
  defaultPreset = ids.includes(DEFAULT_PRESET) ? DEFAULT_PRESET : ids[0] || '';
}

const gpuText = (g) => `${g.id} ${g.name} ${g.vendor} ${g.memory_gib}`.toLowerCase();

/** Shows the GPUs matching the filter text (the selected one always stays). */
function filterGpus() {
  const sel = control('gpu');
  const current = sel.value;
  const words = $('gpu-filter').value.toLowerCase().split(/\s+/).filter(Boolean);
  const match = (g) => words.every((w) => gpuText(g).includes(w));
  const shown = catalog.gpus.filter((g) => g.id === current || match(g));
  sel.replaceChildren(...shown.map((g) => opt(g.id, `${g.name} — ${g.memory_gib} GiB`)));
  sel.value = current;
  $('gpu-count').textContent = words.length ? `${shown.filter(match).length} of ${catalog.gpus.length} GPUs match` : '';
}

/** The engine and mode pickers, from the catalogue (removed when the core offers one choice). */
function fillChoice(key, list) {
  const ids = listIds(catalog, list);
  const sel = control(key);
  if (!ids || ids.length < 2) {
    (key === 'mode' ? $('mode-fields') : sel.parentElement.querySelector(`label[for="in-${key}"]`)).hidden = true;
    sel.remove();
    return;
  }
  sel.replaceChildren(...catalog[list].map((x) => (typeof x === 'string' ? opt(x, x) : opt(x.id, x.name || x.id))));
  sel.value = paramOf.get(key).def;
  if (key === 'mode') $('mode-fields').hidden = false;
}

/** A select whose first option is the core's default; `values` after it. */
function fillSelect(key, values, first = 'default') {
  control(key).replaceChildren(opt('', first), ...values.map((v) => opt(v, v)));
}

function fillLists() {
  const dtype = control('dtype');
  dtype.append(R.h('optgroup', { label: 'GGUF file types (llama.cpp)' }, GGUF_TYPES.map((t) => opt(t, t))));
  fillSelect('ctk', CACHE_TYPES, 'default (f16)');
  fillSelect('ctv', CACHE_TYPES, 'default (f16)');
  fillSelect('opt', OPTIMIZERS);
  fillSelect('tprec', TRAIN_PRECISIONS);
  fillSelect('gc', CHECKPOINTING);
  fillSelect('zero', ['0', '1', '2', '3']);
  catalog.vendors = [...new Set(catalog.gpus.map((g) => g.vendor))].sort();
  catalog.markets = [...new Set(catalog.gpus.map((g) => g.market).filter(Boolean))].sort();
  fillSelect('rv', catalog.vendors, 'all vendors');
  fillSelect('rm', catalog.markets, 'all markets');
}

/** Options of one engine or mode: shown only for those named in data-engines / data-modes. */
function showOptions() {
  const mode = active(control('mode')) ? control('mode').value : 'inference';
  for (const el of document.querySelectorAll('[data-modes]')) el.hidden = !el.dataset.modes.split(' ').includes(mode);
  const engine = active(control('engine')) ? control('engine').value : 'generic';
  for (const el of document.querySelectorAll('[data-engines]')) el.hidden = !el.dataset.engines.split(' ').includes(engine);
}

// ---------------------------------------------------------------------------------------------------------
// State -> request, share URL
// ---------------------------------------------------------------------------------------------------------

/** URL values of the active controls that differ from their default. */
function controlValues() {
  const out = {};
  for (const key of controlKeys) {
    const el = control(key);
    if (!active(el)) continue;
    const v = readControl(el);
    const p = paramOf.get(key);
    if (v === '' || (p.def !== undefined && v === p.def)) continue;
    out[key] = v;
  }
  return out;
}

function toRequest(req, values, recs) {
  for (const [key, v] of Object.entries(values)) {
    const p = paramOf.get(key);
    if (Boolean(p.recs) !== recs) continue;
    req[p.req] = p.kind === 'int' || p.kind === 'number' ? Number(v) : p.kind === 'bool' ? v === '1' : v;
  }
  return req;
}

function buildRequest() {
  const req = {};
  if (model.source === 'preset') {
    req.model = model.id;
  } else if (model.gguf) {
    req.gguf = model.gguf.summaries;
    req.model_id = mods.gguf.stem(model.gguf.file);
    req.revision = model.rev;
  } else {
    req.config = model.source === 'hub' ? model.config : model.text;
    if (model.repo) {
      req.model_id = model.repo;
      req.revision = model.rev;
    }
    if (model.source === 'hub' && model.safetensors && !model.skipCounts) req.safetensors = model.safetensors;
  }
  return toRequest(req, controlValues(), false);
}

function openPanels() {
  return PANELS.filter((p) => active($(`p-${p}`)) && $(`p-${p}`).open);
}

function shareValues() {
  const values = {};
  if (model?.source === 'preset') values.preset = model.id;
  else if (model?.repo) Object.assign(values, { model: model.repo, rev: model.rev, file: model.gguf?.file });
  Object.assign(values, controlValues());
  if (recsSort) values.sort = recsSort;
  const open = openPanels();
  if (open.length) values.open = open.join(',');
  return values;
}

function shareUrl() {
  const frag = model?.source === 'paste' && fragment.value ? `#config=${fragment.value}` : '';
  return `${location.origin}${location.pathname}${writeQuery(shareValues())}${frag}`;
}

/** The address bar follows the state (replaceState: Back still leaves the page), coalesced to one per 50 ms. */
function updateUrl() {
  const pending = model?.source === 'paste' && !fragment.value;
  $('share-url').value = pending ? '' : shareUrl();
  if (pending || urlTimer) return;
  urlTimer = setTimeout(() => {
    urlTimer = 0;
    if (model?.source === 'paste' && !fragment.value) return;
    const url = shareUrl();
    if (url !== location.href) history.replaceState(null, '', url);
  }, 50);
}

function setPasteFragment(text) {
  fragment = { value: '', pending: null };
  fragment.pending = encodeConfig(text).then((value) => {
    if (model?.source === 'paste' && model.text === text) {
      fragment = { value, pending: null };
      updateUrl();
    }
  });
}

// ---------------------------------------------------------------------------------------------------------
// Compute + render
// ---------------------------------------------------------------------------------------------------------

function describeSource() {
  if (!model) return '';
  if (model.source === 'preset') return `Model: bundled preset ${model.id} (no network needed).`;
  if (model.source === 'hub') {
    const where = `${model.repo} at revision “${model.rev}”`;
    const what = model.gguf ? `GGUF file ${model.gguf.file} of ${where}` : `config.json of ${where}`;
    if (model.status === 'loading') return `Fetching ${model.gguf ? `the header of ${what}` : what} from huggingface.co…`;
    if (model.status === 'error') return `Could not load ${where}.`;
    return `Model: ${what}, from huggingface.co.`;
  }
  return `Model: the pasted config.json${model.repo ? ` (labelled ${model.repo})` : ''}.`;
}

const SLOTS = ['r-summary', 'r-verdict', 'r-warnings', 'r-bars', 'r-table', 'r-engine', 'r-solves', 'r-gguf', 'r-more',
  'r-assumptions'];

function fill(id, node) {
  const el = $(id);
  el.replaceChildren(...(node ? [node] : []));
  el.hidden = !node;
}

function clearResults() {
  for (const id of SLOTS) fill(id, null);
  for (const id of ['r-speed', 'r-context', 'r-recs']) $(id).replaceChildren();
  $('speed-line').textContent = '';
}

const loadingNote = () => R.h('p', { class: 'note' }, 'Loading…');

function render(r) {
  const training = r.training && r.training.mode && r.training.mode !== 'inference' && r.training.breakdown;
  const t = training && lazy('train');
  fill('r-summary', R.renderSummary(r));
  fill('r-verdict', training ? (t ? t.renderTrainingVerdict(r) : loadingNote()) : R.renderVerdict(r));
  fill('r-warnings', R.renderWarnings(r));
  fill('r-bars', training ? (t ? t.renderTrainingBars(r) : null) : R.renderBars(r));
  fill('r-table', training ? (t ? t.renderTrainingTable(r) : null) : R.renderTable(r));
  fill('r-engine', training ? null : R.renderEngine(r));
  fill('r-solves', training ? null : R.renderSolves(r));
  const g = r.gguf && lazy('gguf');
  fill('r-gguf', g ? g.renderGguf(R.h, R.gib, R.count, r.gguf) : null);
  const more = Object.keys(r).filter((k) => !R.KNOWN_SECTIONS.has(k));
  fill('r-more', more.length ? R.h('div', null, more.map((k) => R.renderGeneric(k, r[k]))) : null);
  fill('r-assumptions', R.renderAssumptions(training ? r.training : r));
  $('speed-line').textContent = R.speedLine(r);
  schedulePanels();
  for (const [key, get] of Object.entries(SHOWN_DEFAULTS)) {
    const el = control(key);
    let v;
    try {
      v = get(r);
    } catch {
      v = undefined;
    }
    if (!el || v === undefined || v === null) continue;
    if (el.tagName === 'SELECT') el.options[0].textContent = `default (${v})`;
    else el.placeholder = String(v);
  }
  $('version').textContent = `core ${r.version}`;
}

/** Open panels follow in the next frame (one render for several keystrokes), after the main result. */
function schedulePanels() {
  if (panelFrame) return;
  panelFrame = requestAnimationFrame(() => {
    panelFrame = 0;
    const t0 = performance.now();
    if (last.parsed?.ok) renderPanels(last.parsed);
    performance.measure('llmsizer:panels', { start: t0 });
  });
}

/** The open panels' contents (their modules load on first opening). */
function renderPanels(r) {
  if ($('p-speed').open) {
    const m = lazy('speed');
    $('r-speed').replaceChildren(m ? m.renderSpeed(r) : loadingNote());
  }
  if ($('p-context').open) {
    const m = lazy('context');
    $('r-context').replaceChildren(m ? m.renderContext(r) : loadingNote());
  }
  renderRecs();
}

/** Renders the last response again (a module arrived, a panel opened). */
function renderLast() {
  if (last.parsed && last.parsed.ok) render(last.parsed);
}

function renderRaw() {
  if (!$('raw').open) return;
  $('raw-request').textContent = last.request ? JSON.stringify(last.request, null, 2) : '';
  $('raw-response').textContent = last.response || '';
  setText('raw-recs', last.recs ? `${JSON.stringify(last.recs.request)}\n${last.recs.response}` : '');
}

function showError(e) {
  setText('error', `${e.message}${e.path ? ` (at ${e.path})` : ''} [${e.code}]`);
  $('results').classList.add('stale');
  $('results').dataset.state = 'error';
}

/**
 * The lite core answered "needs_full_module" (another engine, a GGUF, fine-tuning, recommendations): load the
 * full core once, then run `again`. The results stay as they were meanwhile, marked as loading.
 */
function whenFull(again) {
  $('results').dataset.state = 'loading-core';
  setText('error', 'Loading the full calculator core…');
  api.loadFull().then(
    () => {
      setText('error', '');
      again();
    },
    (e) => {
      setText('error', `The full calculator core could not be loaded (${e && e.message ? e.message : e}): check the connection and change any input to try again.`);
      $('results').dataset.state = 'error';
    },
  );
}

function recompute() {
  const t0 = performance.now();
  setText('source', describeSource());
  showOptions();
  setNotes('hub-notes', hubNotes);
  if (!model || (model.source === 'hub' && model.status !== 'ready')) {
    clearResults();
    setText('error', '');
    $('results').dataset.state = model ? (model.status === 'loading' ? 'loading' : 'hub-error') : 'empty';
    updateUrl();
    return;
  }
  const request = buildRequest();
  const text = api.estimateText(JSON.stringify(request));
  const response = JSON.parse(text);
  if (!response.ok && response.error.code === 'needs_full_module') {
    whenFull(recompute);
    return;
  }
  last = { request, response: text, parsed: response, recs: last.recs };
  if (!response.ok) {
    const e = response.error;
    if (request.safetensors && e.path && e.path.startsWith('/safetensors')) {
      // Counts in a dtype the core does not know: estimate from the config instead, and say so.
      model.skipCounts = true;
      hubNotes = [...hubNotes, `The Hub's parameter counts could not be used (${e.message}): counted from config.json.`];
      recompute();
      return;
    }
    showError(e);
  } else {
    setText('error', '');
    $('results').classList.remove('stale');
    render(response);
    $('results').dataset.state = 'ready';
  }
  scheduleRecs();
  renderRaw();
  updateUrl();
  $('results').dataset.renders = String(Number($('results').dataset.renders || 0) + 1);
  performance.measure('llmsizer:recompute', { start: t0 });
  if (!firstResult && response.ok) {
    firstResult = true;
    performance.mark('llmsizer:first-result');
  }
}

// ---- recommendations: their own request, only while the panel is open, after typing pauses ------------

function scheduleRecs() {
  clearTimeout(recsTimer);
  if (!active($('p-recs')) || !$('p-recs').open || !last.parsed?.ok) return;
  setText('recs-status', 'Ranking every GPU…');
  recsTimer = setTimeout(runRecs, RECS_DELAY_MS);
}

function runRecs() {
  if (!last.parsed?.ok) return;
  const t0 = performance.now();
  const request = toRequest({ ...last.request, recommend: true }, controlValues(), true);
  const text = api.estimateText(JSON.stringify(request));
  if (JSON.parse(text).error?.code === 'needs_full_module') {
    whenFull(runRecs);
    return;
  }
  last.recs = { request, response: text, parsed: JSON.parse(text) };
  performance.measure('llmsizer:recommend', { start: t0 });
  setText('recs-status', last.recs.parsed.ok ? '' : `${last.recs.parsed.error.message} [${last.recs.parsed.error.code}]`);
  renderRecs();
  renderRaw();
  $('p-recs').dataset.renders = String(Number($('p-recs').dataset.renders || 0) + 1);
}

function renderRecs() {
  if (!$('p-recs').open || !last.recs?.parsed.ok) return;
  const m = lazy('recs');
  $('r-recs').replaceChildren(m ? m.renderRecs(last.recs.parsed, {
    sort: recsSort,
    current: control('gpu').value,
    onSort: (s) => {
      recsSort = s;
      renderRecs();
      updateUrl();
    },
  }) : loadingNote());
}

// ---------------------------------------------------------------------------------------------------------
// Model sources
// ---------------------------------------------------------------------------------------------------------

function showHubError(e) {
  setText('hub-error', e ? e.message : '');
  $('hub-retry').hidden = !(e && e.retry);
}

function usePreset(id) {
  fetchSeq++;
  model = { source: 'preset', id };
  $('in-preset').value = id;
  $('gguf-box').hidden = true;
  hubNotes = [];
  showHubError(null);
  recompute();
}

const hubOptions = () => ({ token: $('in-token').value.trim(), timeoutMs: HUB_TIMEOUT_MS });

/**
 * Loads a Hub model: config.json (+ exact counts); when the repo has no config.json but .gguf files, the GGUF
 * flow (the file list, then the chosen file's header). `file`: a .gguf path asked for by the link.
 */
async function loadHub(repo, rev, note, file) {
  const seq = ++fetchSeq;
  model = { source: 'hub', repo, rev, status: 'loading' };
  $('in-preset').value = '';
  $('gguf-box').hidden = true;
  hubNotes = note ? [note] : [];
  showHubError(null);
  recompute();
  try {
    const hf = await need('hf');
    if (!file) {
      try {
        const got = await hf.fetchModel(repo, rev, hubOptions());
        if (seq !== fetchSeq) return;
        Object.assign(model, { status: 'ready', config: got.config, safetensors: got.safetensors });
        hubNotes = [...hubNotes, ...got.notes];
        recompute();
        return;
      } catch (e) {
        if (e.status !== 404) throw e;
        // No config.json: a GGUF repository? Its file list says; otherwise the 404 stands.
        const g = await need('gguf');
        const list = await g.listGguf(repo, rev, hubOptions()).catch(() => ({ files: [] }));
        if (seq !== fetchSeq) return;
        if (!list.files.length) throw e;
        await loadGgufList(seq, g, list, g.defaultFile(list.files));
        return;
      }
    }
    const g = await need('gguf');
    const list = await g.listGguf(repo, rev, hubOptions());
    if (seq !== fetchSeq) return;
    if (!list.files.length) throw new hf.HubError('http', `${repo} at revision “${rev}” has no .gguf file, ${hf.PASTE}.`);
    const listed = list.files.some((f) => f.path === file);
    if (!listed) hubNotes.push(`The link names ${file}, which ${repo} does not list: showing ${g.defaultFile(list.files)} instead.`);
    await loadGgufList(seq, g, list, listed ? file : g.defaultFile(list.files));
  } catch (e) {
    if (seq !== fetchSeq) return;
    model.status = 'error';
    showHubError(e);
    recompute();
  }
}

async function loadGgufList(seq, g, list, file) {
  model.ggufList = list;
  if (list.skipped.length) hubNotes.push(`Left out of the file list: ${list.skipped.join(', ')}.`);
  const sel = control('file');
  sel.replaceChildren(...list.files.map((f) => opt(f.path, `${f.path}${f.parts.length > 1 ? ` (${f.parts.length} parts)` : ''}${
    f.size !== null ? ` — ${R.gib(f.size)} GiB` : ''}`)));
  $('gguf-box').hidden = false;
  await loadGgufFile(seq, g, file);
}

/** Reads every part's header of `file` and estimates it (with llama.cpp unless an engine was chosen). */
async function loadGgufFile(seq, g, file) {
  const entry = model.ggufList.files.find((f) => f.path === file);
  control('file').value = file;
  model.gguf = { file, summaries: null };
  model.status = 'loading';
  showHubError(null);
  recompute();
  const summaries = [];
  await api.loadFull();  // the GGUF parser is in the full core
  if (seq !== fetchSeq) return;
  for (const part of entry.parts) {
    summaries.push(await g.readHeader(model.repo, model.rev, part, hubOptions(), api.ggufText));
    if (seq !== fetchSeq) return;
  }
  model.gguf.summaries = summaries;
  model.status = 'ready';
  const engine = control('engine');
  if (engine && !engineChosen && listIds(catalog, 'engines').includes('llama.cpp')) engine.value = 'llama.cpp';
  recompute();
}

function pickGguf() {
  if (model?.source !== 'hub' || !model.ggufList) return;
  const seq = ++fetchSeq;
  loadGgufFile(seq, mods.gguf, control('file').value).catch((e) => {
    if (seq !== fetchSeq) return;
    model.status = 'error';
    showHubError(e);
    recompute();
  });
}

/** Reads the model box. `retry`: fetch again even when this link is the one already shown or failed (Enter,
 * the Fetch button); a plain change (leaving the box) fetches only a new link. */
async function loadLink(retry) {
  // The first link loads hf.js: say "loading" meanwhile, as a fetch would.
  const state = $('results').dataset.state;
  if (!mods.hf) $('results').dataset.state = 'loading';
  let link;
  try {
    link = (await need('hf')).parseModelLink($('in-link').value);
  } catch (e) {
    link = { ok: false, message: e.message };
  }
  const same = link.ok && model?.source === 'hub' && model.repo === link.repo && model.rev === link.rev &&
    (!link.file || model.gguf?.file === link.file);
  if (link.ok && (!same || (retry && model.status !== 'loading'))) {
    loadHub(link.repo, link.rev, link.note, link.file);
    return;
  }
  $('results').dataset.state = state;
  if (!link.ok) showHubError({ message: link.message });
}

function retryHub() {
  if (model?.source !== 'hub') return;
  if (model.gguf && model.ggufList) pickGguf();
  else loadHub(model.repo, model.rev, undefined, model.gguf?.file);
}

function usePaste(text) {
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
  hubNotes = [];
  setPasteFragment(text);
  recompute();
}

async function dropFile(file) {
  if (file.size > MAX_CONFIG_BYTES) {
    showHubError({ message: `${file.name} is larger than 4 MiB: that is not a config.json.` });
    return;
  }
  const text = await file.text();
  $('in-config').value = text;
  $('paste-box').open = true;
  showHubError(null);
  usePaste(text);
}

async function copyLink() {
  if (fragment.pending) await fragment.pending;
  const url = shareUrl();
  $('share-url').value = url;
  history.replaceState(null, '', url);
  try {
    await navigator.clipboard.writeText(url);
    setText('copy-status', 'Link copied.');
  } catch {
    $('share-url').select();
    setText('copy-status', 'Select and copy the link above.');
  }
}

// ---------------------------------------------------------------------------------------------------------
// Start-up
// ---------------------------------------------------------------------------------------------------------

/** Sets the controls from a link; a value for an option the chosen engine or mode does not use is a note. */
function applyValues(values, notes) {
  for (const key of ['mode', 'engine']) {
    if (values[key] !== undefined && control(key)) writeControl(control(key), values[key]);
  }
  showOptions();
  for (const key of controlKeys) {
    if (values[key] === undefined || key === 'mode' || key === 'engine') continue;
    const el = control(key);
    if (!active(el)) {
      notes.push(`Ignored ${key}=“${values[key]}”: it does not apply to this ${paramOf.get(key).req.startsWith('recommend') ? 'page' : 'engine or mode'}.`);
      continue;
    }
    writeControl(el, values[key]);
  }
  engineChosen = values.engine !== undefined;
  if (values.sort) recsSort = values.sort;
  for (const p of values.open ? values.open.split(',') : []) $(`p-${p}`).open = true;
}

function wire() {
  $('controls').addEventListener('submit', (e) => e.preventDefault());
  for (const key of controlKeys) {
    control(key).addEventListener(control(key).type === 'checkbox' ? 'change' : 'input', recompute);
  }
  control('engine')?.addEventListener('input', () => { engineChosen = true; });
  $('gpu-filter').addEventListener('input', filterGpus);
  $('gpu-filter').addEventListener('keydown', (e) => {
    if (e.key !== 'Enter') return;
    e.preventDefault();
    const words = e.target.value.toLowerCase().split(/\s+/).filter(Boolean);
    const hit = catalog.gpus.find((g) => words.every((w) => gpuText(g).includes(w)));
    if (hit) {
      control('gpu').value = hit.id;
      recompute();
    }
  });
  $('in-preset').addEventListener('input', (e) => {
    if (e.target.value) {
      $('in-link').value = '';
      usePreset(e.target.value);
    }
  });
  $('in-link').addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      loadLink(true);
    }
  });
  $('in-link').addEventListener('change', () => loadLink(false));
  $('in-link').addEventListener('paste', () => setTimeout(() => loadLink(false), 0));
  $('fetch').addEventListener('click', () => loadLink(true));
  $('hub-retry').addEventListener('click', retryHub);
  control('file').addEventListener('input', pickGguf);
  $('in-token').addEventListener('change', () => {
    if (model?.source === 'hub' && model.status === 'error') retryHub();
  });
  $('in-config').addEventListener('input', (e) => usePaste(e.target.value));
  document.addEventListener('dragover', (e) => e.preventDefault());
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    const file = e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files[0];
    if (file) dropFile(file);
  });
  $('copy-link').addEventListener('click', copyLink);
  $('raw').addEventListener('toggle', renderRaw);
  for (const p of PANELS) {
    $(`p-${p}`).addEventListener('toggle', () => {
      if (last.parsed?.ok) renderPanels(last.parsed);
      if (p === 'recs') scheduleRecs();
      updateUrl();
    });
  }
}

async function init() {
  try {
    api = await createLlmsizer();
    catalog = api.catalog();
  } catch (e) {
    setText('error', `The calculator could not start: ${e && e.message ? e.message : e}. It needs a browser with WebAssembly.`);
    $('results').dataset.state = 'error';
    return;
  }
  fillPresets();
  fillLists();
  const gpuIds = catalog.gpus.map((g) => g.id);
  control('gpu').value = '';
  filterGpus();
  control('gpu').value = gpuIds.includes(DEFAULT_GPU) ? DEFAULT_GPU : gpuIds[0];
  fillChoice('engine', 'engines');
  fillChoice('mode', 'modes');
  controlKeys = PARAMS.filter((p) => p.req && control(p.key)).map((p) => p.key);

  const query = readQuery(location.search, catalog);
  const frag = readFragment(location.hash);
  const notes = [...query.notes, ...frag.notes];
  const v = query.values;
  applyValues(v, notes);
  filterGpus();
  wire();

  if (frag.config) {
    try {
      const text = await decodeConfig(frag.config);
      $('in-config').value = text;
      $('paste-box').open = true;
      model = { source: 'paste', text, ...(v.model ? { repo: v.model, rev: v.rev || 'main' } : {}) };
      fragment = { value: frag.config, pending: null };
    } catch {
      notes.push('Ignored the config.json in the link: it cannot be decoded.');
    }
  }
  setNotes('url-notes', notes);
  if (!model && v.model) {
    const rev = v.rev || 'main';
    $('in-link').value = v.file ? `https://huggingface.co/${v.model}/blob/${encodeURIComponent(rev)}/${v.file}`
      : rev === 'main' ? v.model : `https://huggingface.co/${v.model}/tree/${encodeURIComponent(rev)}`;
    loadHub(v.model, rev, undefined, v.file);
    return;
  }
  if (!model) {
    usePreset(v.preset || defaultPreset);
    return;
  }
  recompute();
}

init();
