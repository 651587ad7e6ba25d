// The mocked Hugging Face Hub of the browser tests: a real HTTPS server on 127.0.0.1, reached by each browser
// context through its own HTTP proxy (CONNECT tunnels to huggingface.co, *.huggingface.co and *.hf.co end
// here; TLS with a certificate made for the run, which the test contexts accept). Being a real server, it
// lets the browser do what it does on the network: follow redirects (to another Hub path or a CDN host,
// dropping the Authorization header on the way), honour Range requests, and meet hung, cut-off and huge
// answers. Playwright's request routing cannot: a redirect it fulfils is never routed again.
//
// Answers come from tests/fixtures/hub/manifest.json, or first from a test's own handler, which returns an
// answer (see the helpers json(), file(), redirect()) or undefined to fall through to the fixtures.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';

export const HUB_HOSTS = /^([a-z0-9-]+\.)*(huggingface\.co|hf\.co)$/i;

export const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers': 'authorization, content-type, range',
  'access-control-allow-methods': 'GET, HEAD, OPTIONS',
  'access-control-expose-headers': 'content-range, content-length, retry-after',
};

let keyPair;
/** A self-signed certificate for the Hub's names, made once per run with openssl (part of Debian's base). */
function certificate() {
  if (keyPair) return keyPair;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llmsizer-hub-cert-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=huggingface.co',
    '-addext', 'subjectAltName=DNS:huggingface.co,DNS:*.huggingface.co,DNS:*.hf.co,DNS:hf.co',
    '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
  keyPair = { key: fs.readFileSync(path.join(dir, 'key.pem')), cert: fs.readFileSync(path.join(dir, 'cert.pem')) };
  fs.rmSync(dir, { recursive: true, force: true });
  return keyPair;
}

// ---- answers ------------------------------------------------------------------------------------------

/** A JSON (or any text) answer with the Hub's CORS headers. */
export function json(status, body, headers = {}) {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body) };
}

/** A file served as a file server does: Range gets 206 + Content-Range (416 past the end), no Range 200. */
export function file(bytes, { ignoreRange = false } = {}) {
  return { file: bytes, ignoreRange };
}

/** A 302 to `location` (another Hub path, or a CDN host). */
export function redirect(location) {
  return { status: 302, headers: { location } };
}

function send(req, res, a) {
  if (a.hang) return;  // never answers: the page's deadline must end it
  if (a.reset) {
    req.socket.destroy();
    return;
  }
  if (a.file) {
    const bytes = a.file;
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range || '');
    const head = { ...CORS, 'content-type': 'application/octet-stream', 'accept-ranges': 'bytes' };
    if (!m || a.ignoreRange) {
      res.writeHead(200, { ...head, 'content-length': bytes.length });
      res.end(bytes);
      return;
    }
    const lo = Number(m[1]);
    const hi = Math.min(m[2] === '' ? bytes.length - 1 : Number(m[2]), bytes.length - 1);
    if (lo >= bytes.length) {
      res.writeHead(416, { ...head, 'content-range': `bytes */${bytes.length}` });
      res.end();
      return;
    }
    res.writeHead(206, { ...head, 'content-range': `bytes ${lo}-${hi}/${bytes.length}`, 'content-length': hi - lo + 1 });
    res.end(bytes.subarray(lo, hi + 1));
    return;
  }
  const body = a.body === undefined ? '' : a.body;
  const headers = { ...CORS, ...a.headers };
  if (a.stream) {
    // The body in 64 KiB chunks, each written only when the client has taken the last (backpressure), so
    // a client that stops reading stops the server; a.stream.sent counts what went out.
    res.writeHead(a.status || 200, headers);
    const buf = Buffer.from(body);
    a.stream.sent = 0;
    const more = () => {
      while (a.stream.sent < buf.length && !res.destroyed) {
        const chunk = buf.subarray(a.stream.sent, a.stream.sent + (64 << 10));
        a.stream.sent += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', more);
          return;
        }
      }
      if (!res.destroyed) res.end();
    };
    res.on('error', () => {});
    more();
    return;
  }
  if (a.cutAfter !== undefined) {
    // Declares the whole body, sends the first bytes, then closes the connection.
    res.writeHead(a.status || 200, { ...headers, 'content-length': Buffer.byteLength(body) });
    res.write(Buffer.from(body).subarray(0, a.cutAfter), () => setTimeout(() => req.socket.destroy(), 50));
    return;
  }
  res.writeHead(a.status || 200, headers);
  res.on('error', () => {});
  res.end(body);
}

/** The fixtures of tests/fixtures/hub/manifest.json (see its _comment). */
function fixture(url, headers, dir, manifest) {
  if (url.hostname !== 'huggingface.co') return json(404, { error: 'Not found' });
  let repo;
  let kind;
  let m = /^\/api\/models\/(.+?)\/tree\/[^/]+$/.exec(url.pathname);
  if (m) {
    [, repo] = m;
    kind = 'tree';
  } else if ((m = /^\/api\/models\/(.+?)(?:\/revision\/[^/]+)?$/.exec(url.pathname))) {
    [, repo] = m;
    kind = 'api';
  } else if ((m = /^\/(.+?)\/resolve\/[^/]+\/config\.json$/.exec(url.pathname))) {
    [, repo] = m;
    kind = 'config';
  }
  const entry = repo && manifest.repos[repo];
  if (!entry) return json(401, { error: `Repository Not Found for url: ${url.href}` });
  if (entry.abort) return { reset: true };
  if (entry.token && headers.authorization !== `Bearer ${entry.token}`) {
    return json(401, { error: `Access to model ${repo} is restricted. You must have access to it and be authenticated to access it. Please log in.` });
  }
  if (entry.status) return json(entry.status, { error: entry.error });
  if (entry.html) return { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: fs.readFileSync(path.join(dir, entry.html)) };
  // A repo's file list: config.json when it has one (no .gguf files among the fixtures).
  if (kind === 'tree') return json(200, entry.config ? [{ type: 'file', path: 'config.json', size: 700 }] : []);
  const f = kind === 'api' ? entry.api : entry.config;
  if (!f) return json(404, { error: 'Entry not found' });
  return json(200, fs.readFileSync(path.join(dir, f)));
}

/**
 * Starts a Hub for one browser context. `log.hub` gets {url, method, authorization, range} per request as
 * the server received it (redirected requests included); `log.refused` the other hosts it refused to tunnel to.
 * @param {{hub: Array, blocked: Array}} log
 * @param {(url: URL, req: http.IncomingMessage) => Object|undefined|Promise<Object|undefined>} [handler]
 * @returns {Promise<{proxy: string, close: () => void}>}
 */
export async function startHub(log, handler, dir, manifest) {
  const sockets = new Set();
  const inner = https.createServer(certificate(), async (req, res) => {
    const url = new URL(req.url, `https://${req.headers.host}`);
    log.hub.push({ url: url.href, method: req.method, authorization: req.headers.authorization, range: req.headers.range });
    if (req.method === 'OPTIONS') {
      res.writeHead(204, CORS);
      res.end();
      return;
    }
    let answer;
    try {
      answer = (handler && (await handler(url, req))) || fixture(url, req.headers, dir, manifest);
    } catch (e) {
      answer = json(500, { error: String(e) });
    }
    send(req, res, answer);
  });
  inner.on('tlsClientError', () => {});
  const proxy = http.createServer((req, res) => {
    res.writeHead(405);
    res.end();
  });
  proxy.on('connect', (req, socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const host = req.url.replace(/:\d+$/, '');
    if (!HUB_HOSTS.test(host)) {
      // The browser's own background services (the page's requests to other hosts never get here: the
      // harness aborts them first and lists them in log.blocked).
      (log.refused ||= []).push(host);
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    inner.emit('connection', socket);
  });
  await new Promise((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    proxy: `http://127.0.0.1:${proxy.address().port}`,
    close: () => {
      for (const s of sockets) s.destroy();
      proxy.close();
      inner.close();
    },
  };
}
