// boot.js — runs before the first paint (a blocking script in <head>; the CSP allows no inline script). The
// site build prerenders the default estimate into index.html (wasm/prerender.mjs) and names its share link in
// <html data-prerendered>; an address that asks for any other state (another query, a pasted config in the
// fragment) must not show those figures even for a moment, so they are hidden until app.js renders its own.
const pre = document.documentElement.dataset.prerendered;
if (pre !== undefined && (location.hash || (location.search && location.search !== pre))) {
  document.documentElement.classList.add('not-prerendered');
}
