// strip.mjs — a step of the site build (wasm/CMakeLists.txt): stages a page file without its comments, so the
// site serves the page's own code (no bundling, no renaming, every line where it is in web/: a comment becomes
// the line breaks it held) at about 3/4 of its gzipped size. The page budget (tests/browser/page.test.mjs: the
// page itself ≤ 35 KB gzipped) counts what is served.
//
//   node wasm/strip.mjs <in> <out>        .js (an ES module), .css or .html
//
// JavaScript comments are found by a parser (acorn, which Debian's emscripten package brings as node-acorn and
// the WebAssembly link already needs), never by a pattern, so a "//" in a string or a regular expression stays.
// Without acorn the file is staged as it is, with a warning.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

/** `text` with the ranges [start, end) replaced by the line breaks they held. */
function cut(text, ranges) {
  let out = '';
  let at = 0;
  for (const [start, end] of ranges.sort((a, b) => a[0] - b[0])) {
    out += text.slice(at, start) + text.slice(start, end).replace(/[^\n]/g, '');
    at = end;
  }
  out += text.slice(at);
  // Lines left with only blanks, and blanks before a line break.
  return out.replace(/[ \t]+$/gm, '');
}

/** acorn from node_modules, NODE_PATH, or Debian's /usr/share/nodejs (node-acorn). */
function loadAcorn() {
  const dirs = [...(process.env.NODE_PATH || '').split(':').filter(Boolean), '/usr/share/nodejs'];
  for (const name of ['acorn', ...dirs.map((d) => `${d}/acorn`)]) {
    try {
      return require(name);
    } catch { /* next place */ }
  }
  return null;
}

export function stripJs(text, acorn) {
  const ranges = [];
  acorn.parse(text, {
    ecmaVersion: 'latest', sourceType: 'module', onComment: (block, body, start, end) => ranges.push([start, end]),
  });
  return cut(text, ranges);
}

export function stripCss(text) {
  return cut(text, [...text.matchAll(/\/\*[\s\S]*?\*\//g)].map((m) => [m.index, m.index + m[0].length]));
}

export function stripHtml(text) {
  return cut(text, [...text.matchAll(/<!--[\s\S]*?-->/g)].map((m) => [m.index, m.index + m[0].length]));
}

/** A page file's text without comments (unchanged when acorn is missing for a .js). */
export function strip(file, text) {
  if (file.endsWith('.css')) return stripCss(text);
  if (file.endsWith('.html')) return stripHtml(text);
  if (!file.endsWith('.js')) return text;
  const acorn = loadAcorn();
  if (!acorn) {
    console.warn(`strip.mjs: acorn not found (Debian: node-acorn): ${file} staged with its comments`);
    return text;
  }
  return stripJs(text, acorn);
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const [input, output] = process.argv.slice(2);
  if (!input || !output) {
    console.error('usage: node strip.mjs <in> <out>');
    process.exit(2);
  }
  fs.writeFileSync(output, strip(input, fs.readFileSync(input, 'utf8')));
}
