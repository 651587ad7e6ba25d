// prerender.mjs — a step of the site build (wasm/CMakeLists.txt): writes the default estimate into index.html,
// so the first numbers are on screen with the first paint instead of after the WebAssembly core has loaded.
//
//   node wasm/prerender.mjs <web dir> <site dir>
//
// It runs the site's own files: the lite core (llmsizer-lite.wasm through llmsizer.js, as the page loads it)
// answers the page's default request, and the page's renderers (render.js, sources.js) turn the answer into
// DOM — here a minimal DOM that serialises to HTML — exactly as app.js does on its first render, which then
// replaces it with the same nodes. It writes <site>/index.html and <site>/style.css from <web>/index.html and
// <web>/style.css:
//   - the result slots, the speed line, the phone's summary bar, the core's version;
//   - the pickers' chosen entries (preset, GPU, engine, mode) and the placeholders of blank fields;
//   - <html data-prerendered="?query">: the share link of this state. boot.js (a blocking script in <head>)
//     hides the prerendered figures before the first paint when the address asks for any other state, so a
//     share link never shows numbers that are not its own;
//   - bar widths: the page sets them through the CSSOM (flex-grow = bytes), which the CSP allows, but inline
//     style attributes are refused by it, so each prerendered bar segment gets data-g="n" and style.css a rule.
// Both files are staged without comments (strip.mjs), like the page's scripts.
// Every insertion point must be found exactly once, or the build fails.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { stripCss, stripHtml } from './strip.mjs';

const [webDir, siteDir] = process.argv.slice(2);
if (!webDir || !siteDir) {
  console.error('usage: node prerender.mjs <web dir> <site dir>');
  process.exit(2);
}

// ---- a minimal DOM: what render.js's h() and the renderers call ----------------------------------------

const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'wbr']);
const escText = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escAttr = (s) => escText(s).replace(/"/g, '&quot;');
const styles = [];

class Node {}
class Text extends Node {
  constructor(text) {
    super();
    this.text = String(text);
  }

  html() {
    return escText(this.text);
  }
}
class Element extends Node {
  constructor(tag) {
    super();
    this.tag = tag.toLowerCase();
    this.attrs = new Map();
    this.children = [];
    this.style = {};
  }

  setAttribute(k, v) {
    this.attrs.set(k, String(v));
  }

  set className(v) {
    this.attrs.set('class', v);
  }

  set textContent(v) {
    this.children = [new Text(v)];
  }

  append(...children) {
    for (const c of children) this.children.push(c instanceof Node ? c : new Text(c));
  }

  addEventListener() {}

  html() {
    let attrs = '';
    for (const [k, v] of this.attrs) attrs += v === '' ? ` ${k}` : ` ${k}="${escAttr(v)}"`;
    const decl = Object.entries(this.style).map(([k, v]) => `${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}:${v}`);
    if (decl.length) {
      styles.push(`[data-g="${styles.length}"]{${decl.join(';')}}`);
      attrs += ` data-g="${styles.length - 1}"`;
    }
    if (VOID.has(this.tag)) return `<${this.tag}${attrs}>`;
    return `<${this.tag}${attrs}>${this.children.map((c) => c.html()).join('')}</${this.tag}>`;
  }
}
globalThis.Node = Node;
globalThis.document = { createElement: (tag) => new Element(tag), createTextNode: (t) => new Text(t) };

// ---- the site's own modules and core ---------------------------------------------------------------------

const site = (f) => pathToFileURL(path.join(siteDir, f)).href;
const R = await import(site('render.js'));
const S = await import(site('sources.js'));
const { DEFAULT_GPU, DEFAULT_PRESET, ENGINE_HELP, writeQuery } = await import(site('state.js'));
const { createLlmsizer } = await import(site('llmsizer.js'));

const api = await createLlmsizer({ wasmBinary: fs.readFileSync(path.join(siteDir, 'llmsizer-lite.wasm')) });
const catalog = api.catalog();
const preset = catalog.models.find((m) => m.id === DEFAULT_PRESET) || catalog.models[0];
const gpu = catalog.gpus.find((g) => g.id === DEFAULT_GPU) || catalog.gpus[0];
// The request app.js builds for the default state: the preset (sources.js request()) and the one control that
// differs from a default, the GPU; its share link is what app.js writes into the address bar.
const request = { model: preset.id, gpu: gpu.id };
const query = writeQuery({ preset: preset.id, gpu: gpu.id });
const r = JSON.parse(api.estimateText(JSON.stringify(request)));
if (!r.ok) throw new Error(`the default request failed: ${JSON.stringify(r.error)}`);

const html = (node) => (Array.isArray(node) ? node : [node]).map((n) => (n instanceof Node ? n : new Text(n)).html()).join('');
const option = (value, text) => `<option value="${escAttr(value)}" selected>${escText(text)}</option>`;

// ---- index.html ---------------------------------------------------------------------------------------

let page = fs.readFileSync(path.join(webDir, 'index.html'), 'utf8');
function replace(from, to) {
  const n = page.split(from).length - 1;
  if (n !== 1) throw new Error(`prerender: ${JSON.stringify(from)} occurs ${n} times in index.html (expected once)`);
  page = page.replace(from, () => to);
}

replace('<html lang="en">', `<html lang="en" data-prerendered="${escAttr(query)}">`);
replace('<section id="results" data-state="loading"', '<section id="results" data-state="prerendered"');
for (const [id, node] of Object.entries(R.resultSlots(r))) {
  const slot = new RegExp(`<section id="${id}"([^>]*?) hidden></section>`).exec(page);
  if (node) replace(slot ? slot[0] : `<section id="${id}">`, `<section id="${id}"${slot[1]}>${html(node)}</section>`);
}
replace('<span id="speed-line"></span>', `<span id="speed-line">${escText(R.speedLine(r))}</span>`);
replace('<span id="version"></span>', `<span id="version">core ${escText(r.version)}</span>`);
replace('<button type="button" id="summary-bar" class="summary-bar" hidden></button>',
  `<button type="button" id="summary-bar" class="summary-bar" data-pre>${html(R.summaryLine(r))}</button>`);

// The pickers show their chosen entry (app.js fills the whole lists when it starts).
const presetText = S.presetOptions([preset])[1].children[0].text;
replace('<select id="in-preset"></select>', `<select id="in-preset" data-pre>${option(preset.id, presetText)}</select>`);
replace('<select id="in-gpu"></select>', `<select id="in-gpu" data-pre>${option(gpu.id, R.gpuLabel(gpu))}</select>`);
const engines = catalog.engines || [];
if (engines.length > 1) {
  const [id, name] = R.choice(engines.find((x) => R.choice(x)[0] === 'generic') || engines[0]);
  replace('<select id="in-engine" aria-describedby="engine-help"></select>',
    `<select id="in-engine" aria-describedby="engine-help">${option(id, name)}</select>`);
  replace('<p id="engine-help" class="hint"></p>', `<p id="engine-help" class="hint">${escText(ENGINE_HELP[id] || '')}</p>`);
}
const modes = catalog.modes || [];
if (modes.length > 1) {
  const [id, name] = R.choice(modes.find((x) => R.choice(x)[0] === 'inference') || modes[0]);
  replace('<fieldset id="mode-fields" hidden>', '<fieldset id="mode-fields">');
  replace('<select id="in-mode"></select>', `<select id="in-mode">${option(id, name)}</select>`);
}
// Blank fields show the core's defaults.
for (const [key, text] of Object.entries(R.shownDefaults(r))) {
  const at = `<input id="in-${key}" `;
  if (page.includes(at)) replace(at, `${at}placeholder="${escAttr(text)}" data-pre `);
}

// Both staged without comments (strip.mjs), as the site's scripts are.
fs.writeFileSync(path.join(siteDir, 'index.html'), stripHtml(page));
const css = stripCss(fs.readFileSync(path.join(webDir, 'style.css'), 'utf8'));
fs.writeFileSync(path.join(siteDir, 'style.css'), `${css}\n${styles.join('\n')}\n`);
console.log(`prerendered ${request.model} on ${request.gpu} (${query}): index.html ${page.length} bytes, ${styles.length} bar widths`);
