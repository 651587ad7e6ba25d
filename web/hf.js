// hf.js — model links and the Hugging Face Hub: link text -> repo id + revision (+ a .gguf file) ->
// config.json + exact parameter counts. No DOM here (node:test imports it). Loaded on demand: the first
// page load needs no network code.
//
// Requests go straight from the browser to huggingface.co (CORS is open there):
//   https://huggingface.co/<repo>/resolve/<rev>/config.json                  the config (a small, non-LFS file)
//   https://huggingface.co/api/models/<repo>?expand[]=safetensors            exact parameter counts by dtype
//   (…/api/models/<repo>/revision/<rev>?expand[]=safetensors for another revision, as huggingface_hub's
//   HfApi.model_info does.)
// Every request has a deadline (15 s by default), follows redirects (the Hub sends large files to its CDN
// hosts, which the page's CSP allows), reads the body as a stream and stops at a size limit, and turns every
// failure into a HubError whose message says what happened and what to do. The access token, when given,
// goes only to https://huggingface.co as an Authorization header (browsers drop it on a redirect to another
// origin) — never in a URL, never logged, never stored beyond the page's memory.

export const HUB = 'https://huggingface.co';
export const TIMEOUT_MS = 15000;
/** Largest JSON answer read (config.json, API records, file lists): the core's config limit (config.h). */
export const MAX_JSON_BYTES = 4 << 20;

/** The link forms the model box accepts, shown when a link cannot be read. */
export const ACCEPTED_FORMS = [
  'https://huggingface.co/org/name',
  'https://huggingface.co/org/name/tree/<revision>',
  'https://huggingface.co/org/name/blob/<revision>/config.json',
  'https://huggingface.co/org/name/resolve/<revision>/config.json',
  'hf.co/org/name',
  'org/name',
];

// First path segments of huggingface.co that are not model repositories.
const NOT_MODELS = {
  datasets: 'a dataset', spaces: 'a Space', docs: 'documentation', blog: 'a blog post', api: 'an API path',
  settings: 'a settings page', organizations: 'an organisation page', collections: 'a collection',
  papers: 'a paper page', models: 'the model search', login: 'the sign-in page', join: 'the sign-up page',
  pricing: 'the pricing page', tasks: 'a task page', learn: 'a course', posts: 'a post', new: 'the new-repo page',
  search: 'a search page', enterprise: 'an enterprise page',
};
// Sub-pages whose next segment is a revision.
const REV_PAGES = new Set(['tree', 'blob', 'resolve', 'raw', 'commits', 'commit', 'edit']);
// Repo id segments: the Hub allows letters, digits, '-', '_', '.', at most 96 characters
// (huggingface_hub utils/_validators.py REPO_ID_REGEX).
const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_])?$/;
// Revisions: branch and tag names, commit hashes, refs/pr/N, refs/convert/parquet.
const REV = /^[A-Za-z0-9._\-/]{1,200}$/;
const GGUF_PATH = /^(?:[A-Za-z0-9_+-][A-Za-z0-9._+-]{0,199}\/){0,4}[A-Za-z0-9_+-][A-Za-z0-9._+-]{0,199}\.gguf$/i;

/**
 * Reads a model link.
 * @param {string} text
 * @returns {{ok: true, repo: string, rev: string, file?: string, note?: string} | {ok: false, message: string}}
 *   `file`: the link points at a .gguf file of the repo.
 */
export function parseModelLink(text) {
  const fail = (why) => ({
    ok: false,
    message: `${why} Accepted forms: ${ACCEPTED_FORMS.join(' · ')} (a trailing slash, ?query or #fragment is fine).`,
  });
  const s = String(text ?? '').trim();
  if (!s) return fail('Enter a model link or repo id.');
  if (s.length > 2048) return fail('That link is too long.');

  let segments;
  const host = /^(?:https?:\/\/)?(?:www\.)?(huggingface\.co|hf\.co)(?=[/?#:]|$)/i.exec(s);
  if (host) {
    let url;
    try {
      url = new URL(/^https?:\/\//i.test(s) ? s : `https://${s}`);
    } catch {
      return fail('That link cannot be read.');
    }
    if (url.port || url.username || url.password) return fail('That link has a port or user name, so it is not a Hub model page.');
    segments = url.pathname.split('/').filter(Boolean);
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s) || /^[^/?#]+\.[a-z]{2,}\//i.test(s)) {
    return fail('Only huggingface.co and hf.co links are read.');
  } else {
    segments = s.split(/[?#]/, 1)[0].split('/').filter(Boolean);
  }
  if (segments.length === 0) return fail('That link has no repository in it.');
  if (NOT_MODELS[segments[0]] !== undefined) {
    return fail(`That link is ${NOT_MODELS[segments[0]]}, not a model.`);
  }

  // org/name, or a legacy single-name repo (gpt2) when the next segment is a sub-page or absent.
  let repoParts;
  let rest;
  if (segments.length === 1 || REV_PAGES.has(segments[1])) {
    repoParts = [segments[0]];
    rest = segments.slice(1);
  } else {
    repoParts = segments.slice(0, 2);
    rest = segments.slice(2);
  }
  for (const part of repoParts) {
    if (!NAME.test(part) || part.includes('..') || part.includes('--')) {
      return fail(`“${part.slice(0, 100)}” is not a valid repository name.`);
    }
  }
  const repo = repoParts.join('/');

  let rev = 'main';
  let note;
  let file;
  if (rest.length > 0 && REV_PAGES.has(rest[0])) {
    if (rest.length >= 2) {
      // refs/pr/3 may arrive encoded (tree/refs%2Fpr%2F3, as the Hub writes it) or as three segments.
      let raw = rest[1];
      let consumed = 2;
      if (raw === 'refs' && rest.length >= 4) {
        raw = rest.slice(1, 4).join('/');
        consumed = 4;
      }
      try {
        rev = decodeURIComponent(raw);
      } catch {
        return fail('The revision in that link cannot be read.');
      }
      let path = rest.slice(consumed).join('/');
      try {
        path = decodeURIComponent(path);
      } catch { /* kept as written; the checks below refuse it */ }
      if ((rest[0] === 'blob' || rest[0] === 'resolve' || rest[0] === 'raw') && path && path !== 'config.json') {
        if (GGUF_PATH.test(path) && !path.includes('..')) file = path;
        else note = `The link points at ${path.slice(0, 200)}; the estimate reads config.json at the repository root.`;
      }
    }
  }
  if (!REV.test(rev) || rev.includes('..')) return fail(`“${rev.slice(0, 100)}” is not a revision the Hub uses.`);
  return { ok: true, repo, rev, ...(file ? { file } : {}), ...(note ? { note } : {}) };
}

const enc = encodeURIComponent;

/** @param {string} repo @param {string} rev */
export function configUrl(repo, rev) {
  return `${HUB}/${repo}/resolve/${enc(rev)}/config.json`;
}

/** @param {string} repo @param {string} rev */
export function apiUrl(repo, rev) {
  const base = rev === 'main' ? `${HUB}/api/models/${repo}` : `${HUB}/api/models/${repo}/revision/${enc(rev)}`;
  return `${base}?expand[]=safetensors`;
}

/** The repo's file list (huggingface_hub HfApi.list_repo_tree: /api/models/<repo>/tree/<rev>). */
export function treeUrl(repo, rev) {
  return `${HUB}/api/models/${repo}/tree/${enc(rev)}?recursive=true`;
}

/** A file of the repo (the Hub redirects LFS files to its CDN). */
export function fileUrl(repo, rev, path) {
  return `${HUB}/${repo}/resolve/${enc(rev)}/${path.split('/').map(enc).join('/')}`;
}

/**
 * A Hub request that failed, with a message in plain words. `kind`: http | network | timeout | too_large |
 * truncated | html | not_json. `retry`: trying again later may help (the page offers a Retry button).
 */
export class HubError extends Error {
  /** @param {string} kind @param {string} message @param {number} [status] */
  constructor(kind, message, status) {
    super(message);
    this.name = 'HubError';
    this.kind = kind;
    this.status = status;
    this.retry = ['network', 'timeout', 'truncated'].includes(kind) || status === 429 || status >= 500;
  }
}

export const PASTE = 'or paste the model’s config.json below';

/** "Try again in 30 seconds" from a Retry-After header (seconds or an HTTP date; RFC 9110 §10.2.3). */
export function retryAfterText(value) {
  const v = String(value || '').trim();
  if (/^[0-9]{1,7}$/.test(v)) return `Try again in ${Number(v)} second${v === '1' ? '' : 's'}`;
  const t = v ? Date.parse(v) : NaN;
  if (Number.isFinite(t)) return `Try again after ${new Date(t).toLocaleTimeString('en-GB')}`;
  return 'Wait a minute and try again';
}

/**
 * The message for an HTTP failure of a Hub request.
 * @param {number} status @param {string} repo @param {string} rev @param {boolean} hadToken
 * @param {string} [retryAfter]  the Retry-After header of a 429
 * @param {string} [what]        the file asked for (404 message)
 */
export function statusMessage(status, repo, rev, hadToken, retryAfter, what = 'config.json') {
  if (status === 401) {
    return hadToken
      ? `huggingface.co did not accept the access token for ${repo} (401): the token is invalid or expired, or ` +
          `the repository does not exist or is private to another account. Check the token and the name, ${PASTE}.`
      : `huggingface.co asks you to sign in to read ${repo} (401): the model is gated (its licence must be accepted) ` +
          `or private — or it does not exist, as the Hub answers the same for a missing repository. Enter an ` +
          `access token (read permission is enough), ${PASTE}.`;
  }
  if (status === 403) {
    return `huggingface.co refused access to ${repo} (403): it is a gated model whose terms this account has not ` +
      `accepted yet — open ${HUB}/${repo} while signed in and accept them — or the token lacks permission to read ` +
      `gated repositories. Then try again, ${PASTE}.`;
  }
  if (status === 404) {
    return `Not found (404): ${repo} has no ${what} at revision “${rev}”. Check the name and the revision; ` +
      `repositories that hold only adapters have no config.json — ${PASTE}.`;
  }
  if (status === 429) {
    return `huggingface.co is rate-limiting requests (429). ${retryAfterText(retryAfter)} (the Retry button), ${PASTE}.`;
  }
  if (status >= 500) return `huggingface.co had an error (${status}). Try again later (the Retry button), ${PASTE}.`;
  return `huggingface.co answered ${status} for ${repo}. Check the link, ${PASTE}.`;
}

export const NETWORK_MESSAGE =
  `Could not reach huggingface.co: you may be offline, or a firewall, proxy or browser extension blocked the ` +
  `request. The bundled presets work offline; try again (the Retry button), ${PASTE}.`;
export const HTML_MESSAGE =
  `huggingface.co sent a web page instead of config.json (a sign-in page, a captive portal or a proxy answered). ` +
  `Check the link, ${PASTE}.`;

/** The deadline message (seconds shown as configured). */
export function timeoutMessage(ms) {
  return `huggingface.co did not answer within ${ms / 1000} s, so the request was stopped. The Hub or your ` +
    `connection may be slow: try again (the Retry button), ${PASTE}.`;
}

/**
 * GET with a deadline. Resolves to {res, read(limit, cut)}: read() streams the body, stopping at `limit`
 * bytes — with `cut` it keeps the first `limit` bytes (a server that ignores a Range header), without it a
 * longer body is an error (HubError too_large). The deadline covers the body too.
 * @param {string} url
 * @param {{token?: string, fetch?: typeof fetch, timeoutMs?: number, headers?: Object}} [o]
 */
export async function hubGet(url, o = {}) {
  const fetchImpl = o.fetch || globalThis.fetch.bind(globalThis);
  const ms = o.timeoutMs || TIMEOUT_MS;
  const headers = { ...(o.headers || {}) };
  // The token goes to the Hub's own origin and nowhere else.
  if (o.token && new URL(url).origin === HUB) headers.Authorization = `Bearer ${o.token}`;
  const ctl = new AbortController();
  let late = false;
  const timer = setTimeout(() => {
    late = true;
    ctl.abort();
  }, ms);
  const fail = () => new HubError(late ? 'timeout' : 'network', late ? timeoutMessage(ms) : NETWORK_MESSAGE);
  let res;
  try {
    res = await fetchImpl(url, { headers, credentials: 'omit', mode: 'cors', redirect: 'follow', signal: ctl.signal });
  } catch {
    clearTimeout(timer);
    throw fail();
  }
  async function read(limit, cut = false) {
    try {
      const declared = Number(res.headers.get('content-length'));
      if (!cut && declared > limit) throw tooLarge(limit);
      if (!res.body) return new Uint8Array(await res.arrayBuffer());
      const reader = res.body.getReader();
      const chunks = [];
      let total = 0;
      for (;;) {
        let step;
        try {
          step = await reader.read();
        } catch {
          if (late) throw fail();
          throw new HubError('truncated', `The answer from huggingface.co broke off after ${total.toLocaleString('en-US')} ` +
            `bytes (the connection closed early). Try again (the Retry button), ${PASTE}.`);
        }
        if (step.done) break;
        chunks.push(step.value);
        total += step.value.length;
        if (total >= limit && (cut || total > limit)) {
          reader.cancel().catch(() => {});
          if (!cut) throw tooLarge(limit);
          break;
        }
      }
      const out = new Uint8Array(total);
      let at = 0;
      for (const c of chunks) {
        out.set(c, at);
        at += c.length;
      }
      return cut && total > limit ? out.subarray(0, limit) : out;
    } finally {
      clearTimeout(timer);
    }
  }
  if (!res.ok) {
    clearTimeout(timer);
    res.body?.cancel().catch(() => {});
  }
  return { res, read };
}

function tooLarge(limit) {
  return new HubError('too_large', `huggingface.co sent more than ${limit / (1 << 20)} MiB where a small JSON file was ` +
    `expected, so reading stopped there. That is not a config.json: check the link, ${PASTE}.`);
}

/** Parses a Hub body as a JSON value, telling a web page apart from broken or cut-off JSON. */
export function jsonBody(res, text, what = 'config.json') {
  const type = (res.headers.get('content-type') || '').toLowerCase();
  if (type.includes('html') || /^\s*</.test(text)) throw new HubError('html', HTML_MESSAGE.replace('config.json', what));
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HubError('not_json', `${what} from huggingface.co is not valid JSON (${e.message}): it may have been ` +
      `cut off on the way. Try again, ${PASTE}.`);
  }
}

/**
 * GETs a JSON document from the Hub; HTTP failures become HubErrors with statusMessage().
 * @param {string} url @param {string} repo @param {string} rev
 * @param {{token?: string, fetch?: typeof fetch, timeoutMs?: number}} o
 * @param {string} [what]  what the document is, for messages
 */
export async function getJson(url, repo, rev, o, what = 'config.json', page = null) {
  const { res, read } = await hubGet(url, o);
  if (!res.ok) {
    throw new HubError('http', statusMessage(res.status, repo, rev, Boolean(o.token), res.headers.get('retry-after'), what), res.status);
  }
  if (page) page.next = nextPage(res.headers.get('link'));
  return jsonBody(res, new TextDecoder().decode(await read(MAX_JSON_BYTES)), what);
}

/**
 * The next page of a paginated Hub listing. The Hub pages /api/models/<repo>/tree at 1,000 entries with
 * `Link: <https://huggingface.co/api/models/...&cursor=...>; rel="next"` (huggingface_hub's
 * utils/_pagination.py paginate() and huggingface.js's listFiles follow the same header). Only a link that
 * stays on the Hub's API is followed; anything else ends the listing.
 * @param {string|null} link  the Link header
 * @returns {string|null}
 */
export function nextPage(link) {
  if (typeof link !== 'string' || link.length > 4096) return null;
  const m = /<([^<>]*)>\s*;[^,]*?\brel="?next"?/i.exec(link);
  if (!m) return null;
  try {
    const u = new URL(m[1], HUB);
    return u.origin === HUB && u.pathname.startsWith('/api/models/') ? u.href : null;
  } catch {
    return null;
  }
}

/**
 * Fetches a model's config.json and, when the Hub has them, its exact parameter counts.
 * @param {string} repo
 * @param {string} rev
 * @param {{token?: string, fetch?: typeof fetch, timeoutMs?: number}} [options]
 * @returns {Promise<{config: Object, safetensors: Object<string, number>|null, notes: string[]}>}
 *   rejects with HubError when config.json cannot be had; a failed count lookup is only a note.
 */
export async function fetchModel(repo, rev, options = {}) {
  const o = { ...options, token: (options.token || '').trim() };
  const configP = getJson(configUrl(repo, rev), repo, rev, o).then((v) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      throw new HubError('not_json', `config.json from huggingface.co is not a JSON object; ${PASTE}.`);
    }
    return v;
  });
  const countsP = (async () => {
    try {
      const info = await getJson(apiUrl(repo, rev), repo, rev, o, 'the model record');
      const p = info && info.safetensors && info.safetensors.parameters;
      if (!p || typeof p !== 'object' || Array.isArray(p) || Object.keys(p).length === 0) return { counts: null };
      const counts = {};
      for (const [dtype, n] of Object.entries(p)) {
        if (Number.isSafeInteger(n) && n >= 0) counts[dtype] = n;
      }
      return { counts: Object.keys(counts).length ? counts : null };
    } catch (e) {
      return {
        error: e.status ? `the Hub API answered ${e.status}` : e.kind === 'network' || e.kind === 'timeout'
          ? 'the Hub API could not be reached' : 'the Hub API answered something unreadable',
      };
    }
  })();
  // config.json failing fails at once (the count lookup may still be waiting for its deadline).
  const [config, counts] = await Promise.all([configP, countsP]);
  const notes = [];
  if (counts.error) {
    notes.push(`Exact parameter counts unavailable (${counts.error}): parameters are counted from config.json.`);
  } else if (!counts.counts) {
    notes.push('The Hub lists no safetensors parameter counts for this model: parameters are counted from config.json.');
  }
  return { config, safetensors: counts.counts || null, notes };
}
