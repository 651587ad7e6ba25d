// hf.js — model links and the Hugging Face Hub: link text -> repo id + revision -> config.json + exact
// parameter counts. No DOM here (node:test imports it).
//
// Two requests per model, both straight from the browser to huggingface.co (CORS is open there):
//   https://huggingface.co/<repo>/resolve/<rev>/config.json                  the config (a small, non-LFS file)
//   https://huggingface.co/api/models/<repo>?expand[]=safetensors            exact parameter counts by dtype
//   (…/api/models/<repo>/revision/<rev>?expand[]=safetensors for another revision, as huggingface_hub's
//   HfApi.model_info does.)
// The access token, when given, goes only to https://huggingface.co, as an Authorization header — never in a
// URL, never logged, never stored beyond the page's memory.

export const HUB = 'https://huggingface.co';

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

/**
 * Reads a model link.
 * @param {string} text
 * @returns {{ok: true, repo: string, rev: string, note?: string} | {ok: false, message: string}}
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
      const file = rest.slice(consumed).join('/');
      if ((rest[0] === 'blob' || rest[0] === 'resolve' || rest[0] === 'raw') && file && file !== 'config.json') {
        note = `The link points at ${file}; the estimate reads config.json at the repository root.`;
      }
    }
  }
  if (!REV.test(rev) || rev.includes('..')) return fail(`“${rev.slice(0, 100)}” is not a revision the Hub uses.`);
  return note ? { ok: true, repo, rev, note } : { ok: true, repo, rev };
}

/** @param {string} repo @param {string} rev */
export function configUrl(repo, rev) {
  return `${HUB}/${repo}/resolve/${encodeURIComponent(rev)}/config.json`;
}

/** @param {string} repo @param {string} rev */
export function apiUrl(repo, rev) {
  const base = rev === 'main' ? `${HUB}/api/models/${repo}` : `${HUB}/api/models/${repo}/revision/${encodeURIComponent(rev)}`;
  return `${base}?expand[]=safetensors`;
}

/** A Hub request that failed, with a message in plain words. `kind`: http | network | html | not_json. */
export class HubError extends Error {
  /** @param {string} kind @param {string} message @param {number} [status] */
  constructor(kind, message, status) {
    super(message);
    this.name = 'HubError';
    this.kind = kind;
    this.status = status;
  }
}

const PASTE = 'or paste the model’s config.json below';

/**
 * The message for an HTTP failure of a Hub request.
 * @param {number} status @param {string} repo @param {string} rev @param {boolean} hadToken
 */
export function statusMessage(status, repo, rev, hadToken) {
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
    return `Not found (404): ${repo} has no config.json at revision “${rev}”. Check the name and the revision; ` +
      `repositories that hold only GGUF files or adapters have no config.json — ${PASTE}.`;
  }
  if (status === 429) return `huggingface.co is rate-limiting requests (429). Wait a minute and try again, ${PASTE}.`;
  if (status >= 500) return `huggingface.co had an error (${status}). Try again later, ${PASTE}.`;
  return `huggingface.co answered ${status} for ${repo}. Check the link, ${PASTE}.`;
}

export const NETWORK_MESSAGE =
  `Could not reach huggingface.co: you may be offline, or a firewall, proxy or browser extension blocked the ` +
  `request. The bundled presets work offline; ${PASTE}.`;
export const HTML_MESSAGE =
  `huggingface.co sent a web page instead of config.json (a sign-in page, a captive portal or a proxy answered). ` +
  `Check the link, ${PASTE}.`;

/**
 * GET from huggingface.co, with the token as a header when given.
 * @param {string} url @param {string} token @param {typeof fetch} fetchImpl
 */
async function hubGet(url, token, fetchImpl) {
  const headers = {};
  // The token goes to the Hub's own origin and nowhere else.
  if (token && new URL(url).origin === HUB) headers.Authorization = `Bearer ${token}`;
  try {
    return await fetchImpl(url, { headers, credentials: 'omit', mode: 'cors', redirect: 'follow' });
  } catch {
    throw new HubError('network', NETWORK_MESSAGE);
  }
}

/** Parses a Hub body as a JSON object, telling a web page apart from broken JSON. */
function jsonBody(res, text) {
  const type = (res.headers.get('content-type') || '').toLowerCase();
  if (type.includes('html') || /^\s*</.test(text)) throw new HubError('html', HTML_MESSAGE);
  let value;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new HubError('not_json', `config.json from huggingface.co is not valid JSON (${e.message}); ${PASTE}.`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new HubError('not_json', `config.json from huggingface.co is not a JSON object; ${PASTE}.`);
  }
  return value;
}

/**
 * Fetches a model's config.json and, when the Hub has them, its exact parameter counts.
 * @param {string} repo
 * @param {string} rev
 * @param {{token?: string, fetch?: typeof fetch}} [options]
 * @returns {Promise<{config: Object, safetensors: Object<string, number>|null, notes: string[]}>}
 *   rejects with HubError when config.json cannot be had; a failed count lookup is only a note.
 */
export async function fetchModel(repo, rev, options = {}) {
  const token = (options.token || '').trim();
  const fetchImpl = options.fetch || globalThis.fetch.bind(globalThis);
  const configP = (async () => {
    const res = await hubGet(configUrl(repo, rev), token, fetchImpl);
    if (!res.ok) throw new HubError('http', statusMessage(res.status, repo, rev, Boolean(token)), res.status);
    return jsonBody(res, await res.text());
  })();
  const countsP = (async () => {
    try {
      const res = await hubGet(apiUrl(repo, rev), token, fetchImpl);
      if (!res.ok) return { error: `the Hub API answered ${res.status}` };
      const info = jsonBody(res, await res.text());
      const p = info.safetensors && info.safetensors.parameters;
      if (!p || typeof p !== 'object' || Array.isArray(p) || Object.keys(p).length === 0) return { counts: null };
      const counts = {};
      for (const [dtype, n] of Object.entries(p)) {
        if (Number.isSafeInteger(n) && n >= 0) counts[dtype] = n;
      }
      return { counts: Object.keys(counts).length ? counts : null };
    } catch (e) {
      return { error: e instanceof HubError && e.kind === 'network' ? 'the Hub API could not be reached' : 'the Hub API answered something unreadable' };
    }
  })();
  const [config, counts] = await Promise.all([configP, countsP]);
  const notes = [];
  if (counts.error) {
    notes.push(`Exact parameter counts unavailable (${counts.error}): parameters are counted from config.json.`);
  } else if (!counts.counts) {
    notes.push('The Hub lists no safetensors parameter counts for this model: parameters are counted from config.json.');
  }
  return { config, safetensors: counts.counts || null, notes };
}
