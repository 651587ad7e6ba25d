// app.js — the page: reads the controls, asks the core (WebAssembly) for an estimate, renders the answer, and
// keeps the address bar as a share link. It computes nothing itself: every figure comes from the core's JSON
// response (render.js only formats bytes as GiB).
//
// Flow: model (bundled preset | Hub link -> hf.js | pasted config.json) + controls -> request JSON ->
//       api.estimate() -> render.js -> history.replaceState(share URL from state.js)
//
// Sections to come (speed, training, recommendations, engine options) plug in without rewrites: the core's
// catalogue lists the choices (engines, modes), PARAMS in state.js maps URL keys to request keys, controls are
// elements with id "in-<key>" (engine-only ones carry data-engines="vllm ..."), and any response section
// without a dedicated renderer is shown by render.js renderGeneric().

import { createLlmsizer, EstimateError } from './llmsizer.js';
import { fetchModel, parseModelLink } from './hf.js';
import { decodeConfig, encodeConfig, listIds, PARAMS, readFragment, readQuery, writeQuery } from './state.js';
import * as R from './render.js';

const DEFAULT_PRESET = 'Qwen/Qwen2.5-7B-Instruct';
const DEFAULT_GPU = 'nvidia-h100-sxm';
const MAX_CONFIG_BYTES = 8 << 20;  // the core's request limit (api.h kMaxRequestBytes)
// The controls whose values go into the request and the URL (PARAMS entries with an "in-<key>" element).
const CONTROL_KEYS = ['mode', 'engine', 'gpu', 'n', 'tp', 'pp', 'dtype', 'kv', 'ctx', 'batch', 'reserve'];
// Inputs left blank take the core's default; the placeholder then shows the value the core used.
const PLACEHOLDERS = {
  n: (r) => r.layout.gpus, tp: (r) => r.layout.tp, pp: (r) => r.layout.pp,
  ctx: (r) => r.workload.context, batch: (r) => r.workload.batch, reserve: (r) => r.workload.reserve,
};

const $ = (id) => document.getElementById(id);
const paramOf = new Map(PARAMS.map((p) => [p.key, p]));

/** @type {import('./llmsizer.js').Llmsizer} */
let api;
let catalog;
/** {source: 'preset', id} | {source: 'hub', repo, rev, status, config, safetensors} | {source: 'paste', text, repo?, rev?} */
let model = null;
let defaultPreset = '';
let urlNotes = [];
let hubNotes = [];
let fetchSeq = 0;
let fragment = { value: '', pending: null };
let firstResult = false;
let urlTimer = 0;
let last = { request: null, response: null };

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

function setState(state) {
  $('results').dataset.state = state;
}

function control(key) {
  return $(`in-${key}`);
}

/** A control counts when it exists and is shown (engine-only options of another engine do not). */
function active(el) {
  return el && !el.closest('[hidden]');
}

// ---------------------------------------------------------------------------------------------------------
// Catalogue -> pickers
// ---------------------------------------------------------------------------------------------------------

function fillPresets() {
  const sel = $('in-preset');
  sel.replaceChildren(R.h('option', { value: '' }, '— choose a bundled model —'),
    ...catalog.models.map((m) => R.h('option', { value: m.id }, `${m.name || m.id}${m.gated ? ' (gated on the Hub)' : ''}`)));
  const ids = catalog.models.map((m) => m.id);
  defaultPreset = ids.includes(DEFAULT_PRESET) ? DEFAULT_PRESET : ids[0] || '';
}

function gpuLabel(g) {
  return `${g.name} — ${g.memory_gib} GiB`;
}

/** Shows the GPUs matching the filter text (the selected one always stays). */
function filterGpus() {
  const sel = control('gpu');
  const current = sel.value;
  const words = $('gpu-filter').value.toLowerCase().split(/\s+/).filter(Boolean);
  const match = (g) => words.every((w) => `${g.id} ${g.name} ${g.vendor} ${g.memory_gib}`.toLowerCase().includes(w));
  const shown = catalog.gpus.filter((g) => g.id === current || match(g));
  sel.replaceChildren(...shown.map((g) => R.h('option', { value: g.id }, gpuLabel(g))));
  sel.value = current;
  $('gpu-count').textContent = words.length ? `${shown.filter(match).length} of ${catalog.gpus.length} GPUs match` : '';
}

function fillChoice(key, list) {
  const ids = listIds(catalog, list);
  const box = $(`${key}-fields`);
  if (!ids || ids.length < 2) {
    box.hidden = true;
    return;
  }
  const sel = control(key);
  sel.replaceChildren(...catalog[list].map((x) => (typeof x === 'string'
    ? R.h('option', { value: x }, x)
    : R.h('option', { value: x.id }, x.name || x.id))));
  sel.value = paramOf.get(key).def;
  box.hidden = false;
}

/** Engine-specific options: shown only for the engines named in their data-engines. */
function showEngineOptions() {
  const engine = active(control('engine')) ? control('engine').value : 'generic';
  for (const el of document.querySelectorAll('[data-engines]')) {
    el.hidden = !el.dataset.engines.split(/\s+/).includes(engine);
  }
}

// ---------------------------------------------------------------------------------------------------------
// State -> request, share URL
// ---------------------------------------------------------------------------------------------------------

function controlValues() {
  const out = {};
  for (const key of CONTROL_KEYS) {
    const el = control(key);
    if (!active(el)) continue;
    const v = el.value.trim();
    const p = paramOf.get(key);
    if (v === '' || (p.def !== undefined && v === p.def)) continue;
    out[key] = v;
  }
  return out;
}

function buildRequest() {
  const req = {};
  if (model.source === 'preset') {
    req.model = model.id;
  } else {
    req.config = model.source === 'hub' ? model.config : model.text;
    if (model.repo) {
      req.model_id = model.repo;
      req.revision = model.rev;
    }
    if (model.source === 'hub' && model.safetensors && !model.skipCounts) req.safetensors = model.safetensors;
  }
  for (const [key, v] of Object.entries(controlValues())) {
    const p = paramOf.get(key);
    req[p.req] = p.kind === 'int' || p.kind === 'number' ? Number(v) : v;
  }
  return req;
}

function shareValues() {
  const values = {};
  if (model?.source === 'preset') values.preset = model.id;
  else if (model?.repo) Object.assign(values, { model: model.repo, rev: model.rev });
  return Object.assign(values, controlValues());
}

function shareUrl() {
  const frag = model?.source === 'paste' && fragment.value ? `#config=${fragment.value}` : '';
  return `${location.origin}${location.pathname}${writeQuery(shareValues())}${frag}`;
}

/** The address bar follows the state (replaceState: Back still leaves the page), coalesced to one per 50 ms. */
function updateUrl() {
  const pending = model?.source === 'paste' && !fragment.value;
  $('share-url').value = pending ? '' : shareUrl();
  $('share').dataset.pending = pending ? '1' : '';
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
  const p = encodeConfig(text).then((value) => {
    if (model?.source === 'paste' && model.text === text) {
      fragment = { value, pending: null };
      updateUrl();
    }
  });
  fragment.pending = p;
}

// ---------------------------------------------------------------------------------------------------------
// Compute + render
// ---------------------------------------------------------------------------------------------------------

function describeSource() {
  if (!model) return '';
  if (model.source === 'preset') return `Model: bundled preset ${model.id} (no network needed).`;
  if (model.source === 'hub') {
    const where = `${model.repo} at revision “${model.rev}”`;
    if (model.status === 'loading') return `Fetching config.json of ${where} from huggingface.co…`;
    if (model.status === 'error') return `Could not load ${where}.`;
    return `Model: config.json of ${where}, from huggingface.co.`;
  }
  return `Model: the pasted config.json${model.repo ? ` (labelled ${model.repo})` : ''}.`;
}

const SLOTS = ['r-summary', 'r-verdict', 'r-warnings', 'r-bars', 'r-table', 'r-engine', 'r-speed', 'r-training',
  'r-recommendations', 'r-more', 'r-assumptions'];

function fill(id, node) {
  const el = $(id);
  if (node) el.replaceChildren(node);
  else el.replaceChildren();
  el.hidden = !node;
}

function clearResults() {
  for (const id of SLOTS) fill(id, null);
}

function render(r) {
  fill('r-summary', R.renderSummary(r));
  fill('r-verdict', R.renderVerdict(r));
  fill('r-warnings', R.renderWarnings(r));
  fill('r-bars', R.renderBars(r));
  fill('r-table', R.renderTable(r));
  fill('r-engine', R.renderEngine(r));
  fill('r-speed', r.speed ? R.renderGeneric('Speed', r.speed) : null);
  fill('r-training', r.training ? R.renderGeneric('Training', r.training) : null);
  fill('r-recommendations', r.recommendations ? R.renderGeneric('Recommended GPUs', r.recommendations) : null);
  const more = Object.keys(r).filter((k) => !R.KNOWN_SECTIONS.has(k) && !['speed', 'training', 'recommendations'].includes(k));
  fill('r-more', more.length ? R.h('div', null, more.map((k) => R.renderGeneric(k, r[k]))) : null);
  fill('r-assumptions', R.renderAssumptions(r));
  for (const [key, get] of Object.entries(PLACEHOLDERS)) {
    const v = get(r);
    if (control(key) && v !== undefined) control(key).placeholder = String(v);
  }
  $('version').textContent = `core ${r.version}`;
}

function renderRaw() {
  if (!$('raw').open) return;
  $('raw-request').textContent = last.request ? JSON.stringify(last.request, null, 2) : '';
  $('raw-response').textContent = last.response || '';
}

function recompute() {
  const t0 = performance.now();
  setText('source', describeSource());
  showEngineOptions();
  setNotes('hub-notes', hubNotes);
  if (!model || (model.source === 'hub' && model.status !== 'ready')) {
    clearResults();
    setText('error', '');
    setState(model ? (model.status === 'loading' ? 'loading' : 'hub-error') : 'empty');
    updateUrl();
    return;
  }
  const request = buildRequest();
  const text = api.estimateText(JSON.stringify(request));
  const response = JSON.parse(text);
  last = { request, response: text };
  if (!response.ok) {
    const e = new EstimateError(response.error.code, response.error.message, response.error.path);
    if (request.safetensors && e.path && e.path.startsWith('/safetensors')) {
      // Counts in a dtype the core does not know: estimate from the config instead, and say so.
      model.skipCounts = true;
      hubNotes = [...hubNotes, `The Hub's parameter counts could not be used (${e.message}): counted from config.json.`];
      recompute();
      return;
    }
    setText('error', `${e.message}${e.path ? ` (at ${e.path})` : ''} [${e.code}]`);
    $('results').classList.add('stale');
    setState('error');
  } else {
    setText('error', '');
    $('results').classList.remove('stale');
    render(response);
    setState('ready');
  }
  renderRaw();
  updateUrl();
  $('results').dataset.renders = String(Number($('results').dataset.renders || 0) + 1);
  performance.measure('llmsizer:recompute', { start: t0 });
  if (!firstResult && response.ok) {
    firstResult = true;
    performance.mark('llmsizer:first-result');
  }
}

// ---------------------------------------------------------------------------------------------------------
// Model sources
// ---------------------------------------------------------------------------------------------------------

function usePreset(id) {
  fetchSeq++;
  model = { source: 'preset', id };
  $('in-preset').value = id;
  hubNotes = [];
  setText('hub-error', '');
  recompute();
}

async function loadHub(repo, rev, note) {
  const seq = ++fetchSeq;
  model = { source: 'hub', repo, rev, status: 'loading' };
  $('in-preset').value = '';
  hubNotes = note ? [note] : [];
  setText('hub-error', '');
  recompute();
  try {
    const got = await fetchModel(repo, rev, { token: $('in-token').value });
    if (seq !== fetchSeq) return;
    Object.assign(model, { status: 'ready', config: got.config, safetensors: got.safetensors });
    hubNotes = [...hubNotes, ...got.notes];
  } catch (e) {
    if (seq !== fetchSeq) return;
    model.status = 'error';
    setText('hub-error', e.message);
  }
  recompute();
}

/** Reads the model box. `retry`: fetch again even when this link is the one already shown or failed (Enter,
 * the Fetch button); a plain change (leaving the box) fetches only a new link. */
function loadLink(retry) {
  const link = parseModelLink($('in-link').value);
  if (!link.ok) {
    setText('hub-error', link.message);
    return;
  }
  const same = model?.source === 'hub' && model.repo === link.repo && model.rev === link.rev;
  if (!same || (retry && model.status !== 'loading')) loadHub(link.repo, link.rev, link.note);
}

function usePaste(text) {
  if (!text.trim()) {
    usePreset(model?.source === 'preset' ? model.id : defaultPreset);
    return;
  }
  fetchSeq++;
  // A config pasted after a failed fetch keeps that repo as its label (model_id) and in the share link.
  const label = model && model.source !== 'preset' && model.repo ? { repo: model.repo, rev: model.rev } : {};
  model = { source: 'paste', text, ...label };
  $('in-preset').value = '';
  hubNotes = [];
  setPasteFragment(text);
  recompute();
}

async function dropFile(file) {
  if (file.size > MAX_CONFIG_BYTES) {
    setText('hub-error', `${file.name} is larger than 8 MiB: that is not a config.json.`);
    return;
  }
  const text = await file.text();
  $('in-config').value = text;
  $('paste-box').open = true;
  setText('hub-error', '');
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

function applyValues(values) {
  for (const key of CONTROL_KEYS) {
    if (values[key] === undefined) continue;
    const el = control(key);
    if (!el || el.closest('[hidden]')) continue;
    el.value = String(values[key]);
  }
}

function wire() {
  $('controls').addEventListener('submit', (e) => e.preventDefault());
  for (const key of CONTROL_KEYS) {
    const el = control(key);
    if (el) el.addEventListener('input', recompute);
  }
  $('gpu-filter').addEventListener('input', filterGpus);
  $('gpu-filter').addEventListener('keydown', (e) => {
    if (e.key !== 'Enter') return;
    e.preventDefault();
    const words = e.target.value.toLowerCase().split(/\s+/).filter(Boolean);
    const hit = catalog.gpus.find((g) => words.every((w) => `${g.id} ${g.name} ${g.vendor} ${g.memory_gib}`.toLowerCase().includes(w)));
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
  $('in-token').addEventListener('change', () => {
    if (model?.source === 'hub' && model.status === 'error') loadHub(model.repo, model.rev);
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
}

async function init() {
  try {
    api = await createLlmsizer();
    catalog = api.catalog();
  } catch (e) {
    setText('error', `The calculator could not start: ${e && e.message ? e.message : e}. It needs a browser with WebAssembly.`);
    setState('error');
    return;
  }
  fillPresets();
  const gpuIds = catalog.gpus.map((g) => g.id);
  control('gpu').value = '';
  filterGpus();
  control('gpu').value = gpuIds.includes(DEFAULT_GPU) ? DEFAULT_GPU : gpuIds[0];
  fillChoice('engine', 'engines');
  fillChoice('mode', 'modes');

  const query = readQuery(location.search, catalog);
  const frag = readFragment(location.hash);
  urlNotes = [...query.notes, ...frag.notes];
  const v = query.values;
  applyValues(v);
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
      urlNotes.push('Ignored the config.json in the link: it cannot be decoded.');
    }
  }
  setNotes('url-notes', urlNotes);
  if (!model && v.model) {
    const rev = v.rev || 'main';
    $('in-link').value = rev === 'main' ? v.model : `https://huggingface.co/${v.model}/tree/${encodeURIComponent(rev)}`;
    loadHub(v.model, rev);
    return;
  }
  if (!model) {
    usePreset(v.preset || defaultPreset);
    return;
  }
  recompute();
}

init();
