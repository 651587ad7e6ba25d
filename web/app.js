// app.js — the page's controller: reads the controls, asks the core (WebAssembly) for an estimate, renders the
// answer, and keeps the address bar as a share link. It computes nothing itself: every figure comes from the
// core's JSON response (the renderers only format bytes as GiB and place bars and chart points in proportion).
//
// Flow: model (sources.js: bundled preset | Hub link -> hf.js [-> gguf.js] | pasted config.json) + controls
//       -> request -> api.estimate() -> render.js (+ panels) -> history.replaceState(share URL from state.js)
//
// Controls are elements "in-<key>" for the PARAMS of state.js; options of one mode carry data-modes, and the
// engines that read a field are PARAMS' `engines` (an engine's own options are shown only for it, a shared
// field another engine ignores is disabled with the reason). A value the page can tell is wrong (a context of 0)
// is flagged at its field and not sent; an error the core returns is placed at the field its path names. The
// results then keep the last good estimate, dimmed, under the message. Code for what the first result does not
// show (the Hub, GGUF files, the speed / context / recommendations panels, fine-tuning) is loaded on first use.
//
// The build prerenders the default estimate into index.html (wasm/prerender.mjs, with render.js and the same
// core); the first live render replaces it with the same DOM.

import { createLlmsizer } from './llmsizer.js';
import * as R from './render.js';
import * as S from './sources.js';
import { applyCatalogue, ATTENTION, CACHE_TYPES, CHECKPOINTING, decodeConfig, DEFAULT_GPU, ENGINE_HELP, fieldProblem, GGUF_TYPES, listIds,
  OPTIMIZERS, PANELS, PARAMS, readFragment, readQuery, TRAIN_PRECISIONS, unusedBy, writeQuery } from './state.js';

const RECS_DELAY_MS = 150;  // the ranking of every GPU waits for typing to pause

const $ = (id) => document.getElementById(id);
const paramOf = new Map(PARAMS.map((p) => [p.key, p]));
/** Request keys with a control, in PARAMS order (filled at start-up). */
let controlKeys = [];

/** @type {import('./llmsizer.js').Llmsizer} */
let api;
let catalog;
let firstResult = false;
let urlTimer = 0;
let recsTimer = 0;
let recsSort = '';
let panelFrame = 0;
let engineChosen = false;  // the engine came from the link or the person (a GGUF then keeps it)
let last = { request: null, response: null, parsed: null, recs: null };
/** The last response that was a result (kept, dimmed, while an input is wrong). */
let good = null;
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
/** A control counts when it exists, is shown (options of another engine or mode are not) and is enabled. */
const active = (el) => el && !el.closest('[hidden]') && !el.disabled;

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

/** A control's visible label ("Context (tokens)"), for messages. */
function labelOf(el) {
  const text = el && el.labels && el.labels[0] ? el.labels[0].textContent.replace(/\s+/g, ' ').trim() : '';
  return text || (el && el.id) || '';
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

const gpuText = (g) => `${g.id} ${g.name} ${g.vendor} ${g.memory_gib}`.toLowerCase();

/** Shows the GPUs matching the filter text (the selected one always stays). */
function filterGpus() {
  const sel = control('gpu');
  const current = sel.value;
  const words = $('gpu-filter').value.toLowerCase().split(/\s+/).filter(Boolean);
  const match = (g) => words.every((w) => gpuText(g).includes(w));
  const shown = catalog.gpus.filter((g) => g.id === current || match(g));
  sel.replaceChildren(...shown.map((g) => opt(g.id, R.gpuLabel(g))));
  sel.value = current;
  $('gpu-count').textContent = words.length ? `${shown.filter(match).length} of ${catalog.gpus.length} GPUs match` : '';
}

/** The engine and mode pickers, from the catalogue (removed when the core offers one choice). */
function fillChoice(key, list) {
  const ids = listIds(catalog, list);
  const sel = control(key);
  if (!ids || ids.length < 2) {
    (key === 'mode' ? $('mode-fields') : sel.parentElement.querySelector(`label[for="in-${key}"]`)).hidden = true;
    if (key === 'engine') $('engine-help').hidden = true;
    sel.remove();
    return;
  }
  sel.replaceChildren(...catalog[list].map((x) => opt(...R.choice(x))));
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
  fillSelect('attn', ATTENTION, "default (the version's)");
  fillSelect('opt', OPTIMIZERS);
  fillSelect('tprec', TRAIN_PRECISIONS);
  fillSelect('gc', CHECKPOINTING);
  fillSelect('zero', ['0', '1', '2', '3']);
  catalog.vendors = [...new Set(catalog.gpus.map((g) => g.vendor))].sort();
  catalog.markets = [...new Set(catalog.gpus.map((g) => g.market).filter(Boolean))].sort();
  fillSelect('rv', catalog.vendors, 'all vendors');
  fillSelect('rm', catalog.markets, 'all markets');
}

const currentMode = () => (active(control('mode')) ? control('mode').value : 'inference');
const currentEngine = () => (control('engine') && !control('engine').closest('[hidden]') ? control('engine').value : 'generic');

/**
 * Options of one mode: shown only for the modes in data-modes. Fields of PARAMS with `engines`: an engine's
 * own options are shown only for it; a shared field another engine ignores is disabled, with why.
 */
function showOptions() {
  const mode = currentMode();
  for (const el of document.querySelectorAll('[data-modes]')) el.hidden = !el.dataset.modes.split(' ').includes(mode);
  const engine = currentEngine();
  for (const p of PARAMS) {
    const el = p.engines && control(p.key);
    if (!el) continue;
    const why = unusedBy(p, engine);
    if (!p.unused) {
      el.parentElement.hidden = Boolean(why);
      continue;
    }
    el.disabled = Boolean(why);
    el.parentElement.classList.toggle('unused', Boolean(why));
    setText(`why-${p.key}`, why);
  }
  for (const group of $('engine-options').children) group.hidden = [...group.children].every((c) => c.hidden);
  if ($('engine-help')) setText('engine-help', ENGINE_HELP[engine] || '');
}

// ---------------------------------------------------------------------------------------------------------
// Errors at their fields
// ---------------------------------------------------------------------------------------------------------

/** Marks `el` invalid with `message` beside it (aria-invalid + aria-describedby). */
function markField(el, message) {
  const id = `${el.id}-error`;
  let note = $(id);
  if (!note) {
    note = R.h('p', { id, class: 'field-error' });
    const after = el.parentElement.classList.contains('row') ? el.parentElement : el;
    after.after(note);
  }
  note.textContent = message;
  el.setAttribute('aria-invalid', 'true');
  if (el.parentElement.parentElement.classList.contains('grid')) el.parentElement.classList.add('has-error');
  // The field being typed in keeps its message in view.
  if (document.activeElement === el) note.scrollIntoView({ block: 'nearest' });
  const ids = (el.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
  if (!ids.includes(id)) el.setAttribute('aria-describedby', [...ids, id].join(' '));
}

function unmarkField(el) {
  const id = `${el.id}-error`;
  $(id)?.remove();
  el.removeAttribute('aria-invalid');
  el.parentElement.classList.remove('has-error');
  const ids = (el.getAttribute('aria-describedby') || '').split(' ').filter((x) => x && x !== id);
  if (ids.length) el.setAttribute('aria-describedby', ids.join(' '));
  else el.removeAttribute('aria-describedby');
}

function clearFieldErrors() {
  for (const el of document.querySelectorAll('#controls [aria-invalid="true"]')) {
    if (el.id !== 'in-link') unmarkField(el);
  }
}

/**
 * The core's message in the page's words: request keys ('reserve', --gpu-memory-utilization) become the
 * fields' labels. Returns the text and the field it is about (the error's path, else the first key named).
 */
function explain(e) {
  let text = e.message;
  let field = null;
  const atPath = e.path ? PARAMS.find((p) => p.req && `/${p.req}` === e.path) : null;
  for (const p of PARAMS) {
    if (!p.req || !control(p.key)) continue;
    const el = control(p.key);
    const flag = `--${p.req.replace(/_/g, '-')}`;
    const named = text.includes(`'${p.req}'`) || new RegExp(`${flag}(?![\\w-])`).test(text);
    if (named && !field && !atPath && active(el)) field = el;
    text = text.split(`'${p.req}'`).join(labelOf(el)).replace(new RegExp(`${flag}(?![\\w-])`, 'g'), labelOf(el));
  }
  if (atPath && active(control(atPath.key))) field = control(atPath.key);
  // What no field names is about the pasted config.json, when there is one.
  if (!field && !atPath && S.model?.source === 'paste') field = $('in-config');
  return { text: text.charAt(0).toUpperCase() + text.slice(1), field };
}

// ---------------------------------------------------------------------------------------------------------
// State -> request, share URL
// ---------------------------------------------------------------------------------------------------------

/** URL values of the active controls that differ from their default, and the fields whose value is wrong. */
function readControls() {
  const values = {};
  const problems = [];
  for (const key of controlKeys) {
    const el = control(key);
    if (!active(el)) continue;
    const v = readControl(el);
    const p = paramOf.get(key);
    const problem = el.validity && el.validity.badInput ? `must be ${p.kind === 'int' ? 'a whole number' : 'a number'}` : fieldProblem(p, v);
    if (problem) {
      problems.push({ el, message: `${labelOf(el)} ${problem}.`, beside: `${problem.charAt(0).toUpperCase()}${problem.slice(1)} (blank: the default).` });
      continue;
    }
    if (v === '' || (p.def !== undefined && v === p.def)) continue;
    values[key] = v;
  }
  return { values, problems };
}

const controlValues = () => readControls().values;

function toRequest(req, values, recs) {
  for (const [key, v] of Object.entries(values)) {
    const p = paramOf.get(key);
    if (Boolean(p.recs) !== recs) continue;
    req[p.req] = p.kind === 'int' || p.kind === 'number' ? Number(v) : p.kind === 'bool' ? v === '1' : v;
  }
  return req;
}

function openPanels() {
  return PANELS.filter((p) => active($(`p-${p}`)) && $(`p-${p}`).open);
}

function shareValues() {
  const values = { ...S.shareValues(), ...controlValues() };
  if (recsSort) values.sort = recsSort;
  const open = openPanels();
  if (open.length) values.open = open.join(',');
  return values;
}

function shareUrl() {
  return `${location.origin}${location.pathname}${writeQuery(shareValues())}${S.shareFragment() || ''}`;
}

/** The address bar follows the state (replaceState: Back still leaves the page), coalesced to one per 50 ms. */
function updateUrl() {
  const pending = S.shareFragment() === null;
  $('share-url').value = pending ? '' : shareUrl();
  if (pending || urlTimer) return;
  urlTimer = setTimeout(() => {
    urlTimer = 0;
    if (S.shareFragment() === null) return;
    const url = shareUrl();
    if (url !== location.href) history.replaceState(null, '', url);
  }, 50);
}

// ---------------------------------------------------------------------------------------------------------
// Compute + render
// ---------------------------------------------------------------------------------------------------------

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
  good = null;
}

const loadingNote = () => R.h('p', { class: 'note' }, 'Loading…');

function render(r) {
  const training = r.training && r.training.mode && r.training.mode !== 'inference' && r.training.breakdown;
  const t = training && lazy('train');
  const slots = training ? {
    'r-summary': R.renderSummary(r), 'r-verdict': t ? t.renderTrainingVerdict(r) : loadingNote(),
    'r-warnings': R.renderWarnings(r), 'r-bars': t ? t.renderTrainingBars(r) : null,
    'r-table': t ? t.renderTrainingTable(r) : null, 'r-assumptions': R.renderAssumptions(r.training),
  } : R.resultSlots(r);
  const g = r.gguf && lazy('gguf');
  slots['r-gguf'] = g ? g.renderGguf(R.h, R.gib, R.count, r.gguf) : null;
  const more = Object.keys(r).filter((k) => !R.KNOWN_SECTIONS.has(k));
  slots['r-more'] = more.length ? R.h('div', null, more.map((k) => R.renderGeneric(k, r[k]))) : null;
  for (const id of SLOTS) fill(id, slots[id]);
  $('speed-line').textContent = R.speedLine(r);
  schedulePanels();
  const shown = R.shownDefaults(r);
  for (const [key, v] of Object.entries(shown)) {
    const el = control(key);
    if (!el) continue;
    if (el.tagName === 'SELECT') el.options[0].textContent = `default (${v})`;
    else el.placeholder = el.disabled ? '' : v;  // a field the engine ignores has no default to show
  }
  // An encoder's workload is texts per batch and tokens per text (the same request keys, batch and context).
  const enc = r.model && r.model.kind === 'encoder';
  document.querySelector('label[for="in-ctx"]').textContent = enc ? 'Tokens per text' : 'Context (tokens)';
  document.querySelector('label[for="in-batch"]').textContent = enc ? 'Texts per batch' : 'Concurrent sequences';
  $('version').textContent = `core ${r.version}`;
}

/** The phone's one-line summary: the result's, or what stands in its way; a tap goes there. */
function renderBar() {
  const bar = $('summary-bar');
  const state = $('results').dataset.state;
  const badge = (text) => R.h('span', { class: 'badge nofit' }, text);
  const go = R.h('span', { class: 'go' }, ' ↓');
  let parts = null;
  if (state === 'error' && $('error').dataset.field) parts = [badge('Input'), ` ${$('error').dataset.field}: fix it`, go];
  else if (state === 'hub-error') parts = [badge('Hub'), ' the model could not be loaded: what to do', go];
  else if (state === 'loading' || state === 'loading-core') parts = ['Loading…'];
  else if (good) parts = R.summaryLine(good);
  bar.replaceChildren(...(parts || []));
  bar.hidden = !parts;
  bar.classList.toggle('stale', state !== 'ready');
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

/**
 * An input the estimate cannot use: the message beside its field, the same above the results (in view), and
 * the last good result kept, dimmed, below it.
 */
function showProblems(problems) {
  for (const { el, beside } of problems) markField(el, beside);
  const first = problems[0];
  const text = problems.length > 1 ? `${first.message} (and ${problems.length - 1} more field${problems.length > 2 ? 's' : ''})` : first.message;
  setError(text + (good ? ' The result below is the last one that worked.' : ''), first.el);
}

function setError(text, field) {
  setText('error', text);
  if (field) $('error').dataset.field = labelOf(field);
  else delete $('error').dataset.field;
  $('results').classList.toggle('stale', Boolean(good));
  $('results').dataset.state = 'error';
}

function showCoreError(e) {
  const { text, field } = explain(e);
  if (field) markField(field, text);
  setError(text + (good ? ' The result below is the last one that worked.' : ''), field);
}

/** What the results show while there is no model to estimate: loading, or the Hub's failure and what to do. */
function noModel() {
  setText('error', '');
  const f = S.failure;
  document.body.classList.toggle('hub-failed', Boolean(f));
  $('results').dataset.state = S.model ? (S.model.status === 'loading' ? 'loading' : 'hub-error') : 'empty';
  if (S.model?.status === 'loading') {
    if (!good) clearResults();
    $('results').classList.toggle('stale', Boolean(good));
    fill('r-hub', R.h('p', { class: 'note', id: 'r-loading' }, S.describe()));
    return;
  }
  clearResults();
  $('results').classList.remove('stale');
  fill('r-hub', f ? hubHelp(f) : null);
}

/** The Hub's failure in the results: what happened, and each way on as a button. */
function hubHelp(f) {
  const e = f.error;
  const act = (text, id, onClick) => {
    const b = R.h('button', { type: 'button', class: 'link', id }, text);
    b.addEventListener('click', onClick);
    return R.h('li', null, b);
  };
  const open = (box, focus) => () => {
    $(box).open = true;
    $(focus).focus();
  };
  const ways = [
    e.retry ? act('Try again', 'help-retry', S.retryHub) : null,
    e.status === 401 || e.status === 403 ? act('Add an access token (read permission is enough)', 'help-token', open('token-box', 'in-token')) : null,
    act('Paste the model’s config.json', 'help-paste', open('paste-box', 'in-config')),
    act('Pick a bundled model (works offline)', 'help-preset', () => $('in-preset').focus()),
  ];
  return R.h('div', { class: 'hub-help' }, R.h('h2', null, `Could not load ${f.repo}`),
    R.h('p', { class: 'error' }, e.message), R.h('p', null, 'What to do:'), R.h('ul', null, ways));
}

/**
 * The lite core answered "needs_full_module" (another engine, a GGUF, fine-tuning, recommendations): load the
 * full core once, then run `again`. The results stay as they were meanwhile, marked as loading.
 */
function whenFull(again) {
  const state = $('results').dataset.state;
  $('results').dataset.state = 'loading-core';
  setText('r-status', 'Loading the full calculator core…');
  renderBar();
  api.loadFull().then(
    () => {
      setText('r-status', '');
      $('results').dataset.state = state;
      again();
      renderBar();
    },
    (e) => {
      setText('r-status', '');
      setError(`The full calculator core could not be loaded (${e && e.message ? e.message : e}): check the connection and change any input to try again.`);
      renderBar();
    },
  );
}

function recompute() {
  const t0 = performance.now();
  setText('source', S.describe());
  showOptions();
  setNotes('hub-notes', S.notes);
  clearFieldErrors();
  if (!S.ready()) {
    noModel();
    renderBar();
    updateUrl();
    return;
  }
  fill('r-hub', null);
  document.body.classList.remove('hub-failed');
  const { values, problems } = readControls();
  if (problems.length) {
    showProblems(problems);
    renderBar();
    updateUrl();
    return;
  }
  const request = toRequest(S.request(), values, false);
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
      S.skipCounts(e.message);
      recompute();
      return;
    }
    showCoreError(e);
  } else {
    setText('error', '');
    delete $('error').dataset.field;
    $('results').classList.remove('stale');
    good = response;
    render(response);
    $('results').dataset.state = 'ready';
  }
  renderBar();
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
  const { values, problems } = readControls();
  if (problems.length) return;
  const request = toRequest({ ...last.request, recommend: true }, values, true);
  const text = api.estimateText(JSON.stringify(request));
  if (JSON.parse(text).error?.code === 'needs_full_module') {
    whenFull(runRecs);
    return;
  }
  last.recs = { request, response: text, parsed: JSON.parse(text) };
  performance.measure('llmsizer:recommend', { start: t0 });
  setText('recs-status', last.recs.parsed.ok ? '' : explain(last.recs.parsed.error).text);
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
    tpotMs: last.recs.request.target_tpot_ms,
    onSort: (s) => {
      recsSort = s;
      renderRecs();
      updateUrl();
    },
  }) : loadingNote());
}

// ---------------------------------------------------------------------------------------------------------
// Start-up
// ---------------------------------------------------------------------------------------------------------

/** A Hub failure or an unreadable link, beside the model box (the link field marked when it cannot be read). */
function showHubError(e) {
  setText('hub-error', e ? e.message : '');
  $('hub-retry').hidden = !(e && e.retry);
  if (e && e.field) $('in-link').setAttribute('aria-invalid', 'true');
  else $('in-link').removeAttribute('aria-invalid');
}

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
      S.usePreset(e.target.value);
    }
  });
  $('in-link').addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      S.loadLink('enter');
    }
  });
  $('in-link').addEventListener('change', () => S.loadLink('change'));
  $('in-link').addEventListener('paste', () => setTimeout(() => S.loadLink('paste'), 0));
  $('fetch').addEventListener('click', () => S.loadLink('enter'));
  $('hub-retry').addEventListener('click', S.retryHub);
  control('file').addEventListener('input', S.pickGguf);
  $('in-token').addEventListener('change', S.tokenChanged);
  $('in-config').addEventListener('input', (e) => S.usePaste(e.target.value));
  document.addEventListener('dragover', (e) => e.preventDefault());
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    const file = e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files[0];
    if (file) S.dropFile(file);
  });
  $('copy-link').addEventListener('click', copyLink);
  $('raw').addEventListener('toggle', renderRaw);
  $('summary-bar').addEventListener('click', () => {
    const field = document.querySelector('#controls [aria-invalid="true"]');
    if ($('results').dataset.state === 'error' && field) field.focus();
    else $('results').scrollIntoView({ block: 'start' });
  });
  for (const p of PANELS) {
    $(`p-${p}`).addEventListener('toggle', () => {
      if (last.parsed?.ok) renderPanels(last.parsed);
      if (p === 'recs') scheduleRecs();
      updateUrl();
    });
  }
}

async function copyLink() {
  await S.fragment.pending;
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

async function init() {
  try {
    api = await createLlmsizer();
    catalog = api.catalog();
    applyCatalogue(catalog);  // limits and defaults from the core's field table
  } catch (e) {
    setText('error', `The calculator could not start: ${e && e.message ? e.message : e}. It needs a browser with WebAssembly.`);
    $('results').dataset.state = 'error';
    return;
  }
  S.setup({
    api: () => api, catalog: () => catalog, need, mods, recompute, updateUrl, showHubError,
    engineChosen: () => engineChosen, token: () => $('in-token').value.trim(),
  });
  S.fillPresets();
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
      S.restorePaste(await decodeConfig(frag.config), frag.config, v.model, v.rev);
    } catch {
      notes.push('Ignored the config.json in the link: it cannot be decoded.');
    }
  }
  setNotes('url-notes', notes);
  // The prerendered default estimate (wasm/prerender.mjs) stays only for the state it shows; the first render
  // replaces it with the same nodes.
  const pre = document.documentElement.dataset.prerendered;
  if (pre !== undefined && (location.hash || (location.search && location.search !== pre))) clearResults();
  document.documentElement.classList.remove('not-prerendered');
  if (!S.model && v.model) {
    const rev = v.rev || 'main';
    $('in-link').value = v.file ? `https://huggingface.co/${v.model}/blob/${encodeURIComponent(rev)}/${v.file}`
      : rev === 'main' ? v.model : `https://huggingface.co/${v.model}/tree/${encodeURIComponent(rev)}`;
    S.loadHub(v.model, rev, undefined, v.file);
    return;
  }
  if (!S.model) {
    S.usePreset(v.preset || S.defaultPreset);
    return;
  }
  recompute();
}

init();
