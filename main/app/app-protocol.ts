/**
 * The Electron window's page comes from `app://diffcoder/…`, not `file://`: a custom scheme registered as privileged
 * (standard, secure) whose handler serves files from the built renderer folder and nothing else. This module is the
 * handler's logic with no Electron import, so it is unit-tested in plain Node (test/app-protocol.test.ts);
 * `renderer-protocol.ts` registers it with Electron.
 */
import { promises as fsp } from 'node:fs';
import { extname, isAbsolute, join } from 'node:path';
import { isInside } from '../workspace/paths.js';

export const APP_SCHEME = 'app';
export const APP_HOST = 'diffcoder';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
/** Where the window loads the renderer from (electron-vite's dev server only when not packaged: rendererEntryUrl). */
export const APP_INDEX_URL = `${APP_ORIGIN}/index.html`;

/**
 * The scheme's privileges (protocol.registerSchemesAsPrivileged, before app ready):
 * - standard: a real origin (`app://diffcoder`), so `'self'` in the CSP, relative URLs and the page's storage work;
 * - secure: a secure context, like https (the page's module scripts and Monaco's worker need no more);
 * - supportFetchAPI: the page may fetch() its own assets.
 * Deliberately not set: bypassCSP (the page's CSP applies to app:// too), corsEnabled (it would let other origins read
 * app:// responses), allowServiceWorkers, stream, codeCache.
 */
export const APP_SCHEME_PRIVILEGES = { standard: true, secure: true, supportFetchAPI: true } as const;

/** Content types by extension; anything else is served as application/octet-stream (with nosniff, never run). */
export const APP_MIME_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

export function mimeTypeFor(file: string): string {
  return APP_MIME_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

export type AppPathResult = { ok: true; relPath: string } | { ok: false; status: 400 | 403 | 404; reason: string };

/** Characters refused in a decoded path segment: separators of any platform, NUL and other controls, ':' (drive letters, ADS). */
const BAD_SEGMENT = /[/\\:\u0000-\u001f\u007f]/;

/**
 * Maps a request URL to a path relative to the renderer folder, lexically (no file system). Refused, whatever the
 * URL parser upstream did: another scheme or host (404), a malformed escape (400), and any segment that is `.` or
 * `..` (also as `%2e%2e`, `.%2E`), empty (`//`, an absolute path), or that decodes to a separator (`%2f`, `%5c`),
 * NUL (`%00`), a control character or `:` (403). `/` is index.html. Query and fragment are ignored.
 */
export function resolveAppPath(requestUrl: string): AppPathResult {
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)/i.exec(requestUrl);
  if (!m || m[1].toLowerCase() !== APP_SCHEME) return { ok: false, status: 404, reason: 'not an app:// URL' };
  if (m[2].toLowerCase() !== APP_HOST)
    return { ok: false, status: 404, reason: `unknown host ${JSON.stringify(m[2].slice(0, 64))}` };
  const rawPath = m[3];
  if (rawPath === '' || rawPath === '/') return { ok: true, relPath: 'index.html' };
  if (!rawPath.startsWith('/')) return { ok: false, status: 400, reason: 'malformed path' };
  const segments: string[] = [];
  for (const raw of rawPath.slice(1).split('/')) {
    let seg: string;
    try {
      seg = decodeURIComponent(raw);
    } catch {
      return { ok: false, status: 400, reason: 'malformed percent-encoding' };
    }
    if (seg === '' || seg === '.' || seg === '..') return { ok: false, status: 403, reason: 'path traversal refused' };
    if (BAD_SEGMENT.test(seg)) return { ok: false, status: 403, reason: 'path traversal refused' };
    segments.push(seg);
  }
  const relPath = segments.join('/');
  if (isAbsolute(relPath)) return { ok: false, status: 403, reason: 'path traversal refused' };
  return { ok: true, relPath };
}

export type AppFileResult =
  { ok: true; file: string; mime: string } | { ok: false; status: 400 | 403 | 404; reason: string };

/**
 * resolveAppPath, then the file system: the file must exist, be a regular file, and its real path (symlinks
 * followed) must lie inside the renderer folder's real path. Anything else is 404 (403 for a symlink leading out).
 */
export async function resolveAppFile(rendererDir: string, requestUrl: string): Promise<AppFileResult> {
  const lexical = resolveAppPath(requestUrl);
  if (!lexical.ok) return lexical;
  const candidate = join(rendererDir, ...lexical.relPath.split('/'));
  if (!isInside(rendererDir, candidate)) return { ok: false, status: 403, reason: 'path traversal refused' };
  let realRoot: string;
  let realFile: string;
  try {
    realRoot = await fsp.realpath(rendererDir);
    realFile = await fsp.realpath(candidate);
  } catch {
    return { ok: false, status: 404, reason: 'not found' };
  }
  if (!isInside(realRoot, realFile)) return { ok: false, status: 403, reason: 'outside the renderer folder' };
  try {
    if (!(await fsp.stat(realFile)).isFile()) return { ok: false, status: 404, reason: 'not found' };
  } catch {
    return { ok: false, status: 404, reason: 'not found' };
  }
  return { ok: true, file: realFile, mime: mimeTypeFor(realFile) };
}

/** The policy of `<meta http-equiv="Content-Security-Policy" content="…">` in an HTML page, or null. */
export function cspFromHtml(html: string): string | null {
  for (const tag of html.match(/<meta\b[^>]*>/gi) ?? []) {
    if (!/http-equiv\s*=\s*["']?content-security-policy["']?/i.test(tag)) continue;
    const content = /\bcontent\s*=\s*(?:"([^"]*)"|'([^']*)')/i.exec(tag);
    if (content) return (content[1] ?? content[2]).trim();
  }
  return null;
}

const BASE_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
};

/**
 * The app:// protocol handler (protocol.handle's callback): GET/HEAD of files inside `rendererDir`, with their MIME
 * type. An HTML page is also sent with its own meta CSP as a Content-Security-Policy header (the same policy twice;
 * the header adds what a meta tag cannot carry, such as frame-ancestors). Refusals are plain-text 4xx responses; the
 * reason is logged through `log`.
 */
export function createAppProtocolHandler(
  rendererDir: string,
  log: (line: string) => void = () => {},
): (request: { url: string; method: string }) => Promise<Response> {
  return async (request) => {
    const refuse = (status: number, reason: string) => {
      log(`app:// ${status} ${reason}: ${request.url.slice(0, 200)}`);
      return new Response(reason, {
        status,
        headers: { ...BASE_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' },
      });
    };
    if (request.method !== 'GET' && request.method !== 'HEAD') return refuse(405, 'method not allowed');
    const found = await resolveAppFile(rendererDir, request.url);
    if (!found.ok) return refuse(found.status, found.reason);
    let body: Buffer;
    try {
      body = await fsp.readFile(found.file);
    } catch {
      return refuse(404, 'not found');
    }
    const headers: Record<string, string> = {
      ...BASE_HEADERS,
      'Content-Type': found.mime,
      'Content-Length': String(body.byteLength),
    };
    if (found.mime.startsWith('text/html')) {
      const csp = cspFromHtml(body.toString('utf8'));
      if (csp) headers['Content-Security-Policy'] = csp;
    }
    return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), { status: 200, headers });
  };
}

/**
 * The URL the window loads: electron-vite's dev server (ELECTRON_RENDERER_URL) only in an unpackaged run and only on
 * http(s) loopback; a packaged app always loads app://diffcoder/index.html, whatever the environment says.
 */
export function rendererEntryUrl(opts: { isPackaged: boolean; devServerUrl?: string | undefined }): string {
  if (opts.isPackaged || !opts.devServerUrl) return APP_INDEX_URL;
  try {
    const url = new URL(opts.devServerUrl);
    const loopback = url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
    if ((url.protocol === 'http:' || url.protocol === 'https:') && loopback && !url.username && !url.password)
      return url.href;
  } catch {
    // fall through: not a URL
  }
  return APP_INDEX_URL;
}

/**
 * Whether a frame showing `frameUrl` is the app's own page, loaded from `rendererUrl` (app://diffcoder/index.html,
 * or the dev server's page): same scheme, host (and port) and path. Query and fragment do not matter.
 */
export function isTrustedRendererUrl(frameUrl: string, rendererUrl: string): boolean {
  try {
    const url = new URL(frameUrl);
    const expected = new URL(rendererUrl);
    return (
      url.protocol === expected.protocol &&
      url.host === expected.host &&
      url.pathname === expected.pathname &&
      !url.username &&
      !url.password
    );
  } catch {
    return false;
  }
}
