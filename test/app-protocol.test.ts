import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  APP_INDEX_URL,
  APP_ORIGIN,
  APP_SCHEME_PRIVILEGES,
  createAppProtocolHandler,
  cspFromHtml,
  isTrustedRendererUrl,
  mimeTypeFor,
  rendererEntryUrl,
  resolveAppFile,
  resolveAppPath,
} from '../main/app/app-protocol.js';

/**
 * The Electron window's app:// protocol (main/app/app-protocol.ts), tested without Electron: the handler maps
 * app://diffcoder/<path> to files inside the renderer folder only.
 */
const CSP = "default-src 'self'; script-src 'self'; object-src 'none'";
let base: string;
let root: string;

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'app-protocol-'));
  root = join(base, 'renderer');
  mkdirSync(join(root, 'assets', 'sub'), { recursive: true });
  writeFileSync(
    join(root, 'index.html'),
    `<!doctype html><html><head><meta charset="UTF-8" />\n<meta\n  http-equiv="Content-Security-Policy"\n  content="${CSP}"\n/></head><body></body></html>`,
  );
  writeFileSync(join(root, 'assets', 'index-abc.js'), 'console.log(1)');
  writeFileSync(join(root, 'assets', 'index-abc.css'), 'body{}');
  writeFileSync(join(root, 'assets', 'codicon.ttf'), 'ttf');
  writeFileSync(join(root, 'assets', 'editor.worker-x.js'), 'self.onmessage=()=>{}');
  writeFileSync(join(root, 'assets', 'sub', 'a file.json'), '{}');
  writeFileSync(join(root, 'assets', 'blob.xyz'), 'bytes');
  writeFileSync(join(base, 'secret.txt'), 'secret');
  mkdirSync(join(base, 'renderer-evil'));
  writeFileSync(join(base, 'renderer-evil', 'x.js'), 'evil');
  symlinkSync(join(base, 'secret.txt'), join(root, 'assets', 'link-out.txt'));
  symlinkSync(join(root, 'assets', 'index-abc.js'), join(root, 'assets', 'link-in.js'));
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

const handler = () => createAppProtocolHandler(root);
const get = (url: string, method = 'GET') => handler()({ url, method });

describe('app:// path mapping (lexical)', () => {
  it('maps the root and paths to files under the renderer folder', () => {
    expect(resolveAppPath('app://diffcoder/')).toEqual({ ok: true, relPath: 'index.html' });
    expect(resolveAppPath('app://diffcoder')).toEqual({ ok: true, relPath: 'index.html' });
    expect(resolveAppPath('app://diffcoder/index.html')).toEqual({ ok: true, relPath: 'index.html' });
    expect(resolveAppPath('app://diffcoder/assets/index-abc.js?v=1#x')).toEqual({
      ok: true,
      relPath: 'assets/index-abc.js',
    });
    expect(resolveAppPath('app://diffcoder/assets/sub/a%20file.json')).toEqual({
      ok: true,
      relPath: 'assets/sub/a file.json',
    });
    expect(resolveAppPath('APP://DiffCoder/index.html')).toEqual({ ok: true, relPath: 'index.html' });
  });

  it.each([
    ['..', 'app://diffcoder/../secret.txt'],
    ['.. deeper', 'app://diffcoder/assets/../../secret.txt'],
    ['encoded %2e%2e', 'app://diffcoder/%2e%2e/secret.txt'],
    ['encoded %2E%2E', 'app://diffcoder/assets/%2E%2E/%2E%2E/secret.txt'],
    ['half-encoded .%2e', 'app://diffcoder/.%2e/secret.txt'],
    ['single dot', 'app://diffcoder/./index.html'],
    ['encoded slash', 'app://diffcoder/..%2fsecret.txt'],
    ['encoded slash in a name', 'app://diffcoder/assets%2findex-abc.js'],
    ['backslash', 'app://diffcoder/..\\secret.txt'],
    ['encoded backslash', 'app://diffcoder/..%5csecret.txt'],
    ['absolute (double slash)', 'app://diffcoder//etc/passwd'],
    ['absolute (encoded)', 'app://diffcoder/%2fetc%2fpasswd'],
    ['drive letter', 'app://diffcoder/C:/Windows/win.ini'],
    ['encoded drive letter', 'app://diffcoder/C%3A%5CWindows%5Cwin.ini'],
    ['NUL', 'app://diffcoder/index.html%00.js'],
    ['raw NUL', 'app://diffcoder/index.html\u0000.js'],
    ['control character', 'app://diffcoder/index%0a.html'],
    ['empty segment', 'app://diffcoder/assets//index-abc.js'],
  ])('refuses path traversal: %s', (_name, url) => {
    const r = resolveAppPath(url);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.status).toBe(403);
  });

  it('refuses malformed escapes (400) and other schemes or hosts (404)', () => {
    expect(resolveAppPath('app://diffcoder/%zz')).toMatchObject({ ok: false, status: 400 });
    expect(resolveAppPath('app://diffcoder/%E0%A4%A')).toMatchObject({ ok: false, status: 400 });
    expect(resolveAppPath('file:///etc/passwd')).toMatchObject({ ok: false, status: 404 });
    expect(resolveAppPath('https://diffcoder/index.html')).toMatchObject({ ok: false, status: 404 });
    expect(resolveAppPath('app://evil/index.html')).toMatchObject({ ok: false, status: 404 });
    expect(resolveAppPath('app://user@diffcoder/index.html')).toMatchObject({ ok: false, status: 404 });
    expect(resolveAppPath('app://diffcoder:80/index.html')).toMatchObject({ ok: false, status: 404 });
    expect(resolveAppPath('not a url')).toMatchObject({ ok: false, status: 404 });
  });
});

describe('app:// files', () => {
  it('serves files inside the folder, follows symlinks only when they stay inside', async () => {
    await expect(resolveAppFile(root, 'app://diffcoder/assets/index-abc.js')).resolves.toMatchObject({
      ok: true,
      mime: 'text/javascript; charset=utf-8',
    });
    await expect(resolveAppFile(root, 'app://diffcoder/assets/link-in.js')).resolves.toMatchObject({ ok: true });
    await expect(resolveAppFile(root, 'app://diffcoder/assets/link-out.txt')).resolves.toMatchObject({
      ok: false,
      status: 403,
    });
  });

  it('answers 404 for unknown files, folders and sibling folders with the same prefix', async () => {
    await expect(resolveAppFile(root, 'app://diffcoder/nope.js')).resolves.toMatchObject({ ok: false, status: 404 });
    await expect(resolveAppFile(root, 'app://diffcoder/assets')).resolves.toMatchObject({ ok: false, status: 404 });
    await expect(resolveAppFile(root, 'app://diffcoder/assets/')).resolves.toMatchObject({ ok: false, status: 403 });
    await expect(resolveAppFile(root, 'app://diffcoder/renderer-evil/x.js')).resolves.toMatchObject({
      ok: false,
      status: 404,
    });
    await expect(resolveAppFile(join(base, 'missing'), 'app://diffcoder/index.html')).resolves.toMatchObject({
      ok: false,
      status: 404,
    });
  });

  it('gives the MIME types the page needs (module scripts need a JavaScript type)', () => {
    expect(mimeTypeFor('index.html')).toBe('text/html; charset=utf-8');
    expect(mimeTypeFor('a/b.JS')).toBe('text/javascript; charset=utf-8');
    expect(mimeTypeFor('x.mjs')).toBe('text/javascript; charset=utf-8');
    expect(mimeTypeFor('x.css')).toBe('text/css; charset=utf-8');
    expect(mimeTypeFor('x.json')).toBe('application/json');
    expect(mimeTypeFor('x.svg')).toBe('image/svg+xml');
    expect(mimeTypeFor('codicon.ttf')).toBe('font/ttf');
    expect(mimeTypeFor('x.woff2')).toBe('font/woff2');
    expect(mimeTypeFor('x.wasm')).toBe('application/wasm');
    expect(mimeTypeFor('x.xyz')).toBe('application/octet-stream');
    expect(mimeTypeFor('Makefile')).toBe('application/octet-stream');
  });
});

describe('app:// protocol handler', () => {
  it('serves index.html with its MIME type, nosniff and the meta CSP as a header too', async () => {
    const r = await get('app://diffcoder/index.html');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('content-security-policy')).toBe(CSP);
    expect(await r.text()).toContain(`content="${CSP}"`);
  });

  it('serves assets with their types and no CSP header (the page policy governs them)', async () => {
    const js = await get('app://diffcoder/assets/index-abc.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('content-security-policy')).toBeNull();
    expect(await js.text()).toBe('console.log(1)');
    expect((await get('app://diffcoder/assets/index-abc.css')).headers.get('content-type')).toBe(
      'text/css; charset=utf-8',
    );
    expect((await get('app://diffcoder/assets/codicon.ttf')).headers.get('content-type')).toBe('font/ttf');
    expect((await get('app://diffcoder/assets/blob.xyz')).headers.get('content-type')).toBe('application/octet-stream');
    const head = await get('app://diffcoder/assets/index-abc.js', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('14');
    expect(await head.text()).toBe('');
  });

  it('refuses traversal, unknown files, other hosts and methods without reading anything outside', async () => {
    for (const url of [
      'app://diffcoder/../secret.txt',
      'app://diffcoder/%2e%2e/secret.txt',
      'app://diffcoder/..%2fsecret.txt',
      'app://diffcoder/index.html%00',
      'app://diffcoder//etc/passwd',
    ]) {
      const r = await get(url);
      expect(r.status, url).toBe(403);
      expect(await r.text()).not.toContain('secret');
    }
    expect((await get('app://diffcoder/assets/link-out.txt')).status).toBe(403);
    expect((await get('app://diffcoder/nope.js')).status).toBe(404);
    expect((await get('app://other/index.html')).status).toBe(404);
    expect((await get('app://diffcoder/%zz')).status).toBe(400);
    expect((await get('app://diffcoder/index.html', 'POST')).status).toBe(405);
  });

  it('serves the real built renderer with the CSP of renderer/index.html, when it is built', async () => {
    const sourceCsp = cspFromHtml(readFileSync('renderer/index.html', 'utf8'));
    expect(sourceCsp).toMatch(/default-src 'self'/);
    expect(sourceCsp).toMatch(/object-src 'none'/);
    let built: string[];
    try {
      built = readdirSync('out/renderer/assets');
    } catch {
      return; // not built (npm run build): the source check above still holds
    }
    const r = await createAppProtocolHandler('out/renderer')({ url: APP_INDEX_URL, method: 'GET' });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-security-policy')).toBe(sourceCsp);
    const html = await r.text();
    for (const src of html.match(/(?:src|href)="\.\/assets\/[^"]+"/g) ?? []) {
      const name = src.split('/').pop()!.replace(/"$/, '');
      expect(built).toContain(name);
      const asset = await createAppProtocolHandler('out/renderer')({
        url: `${APP_ORIGIN}/assets/${name}`,
        method: 'HEAD',
      });
      expect(asset.status, name).toBe(200);
      expect(asset.headers.get('content-type'), name).toMatch(/^(text\/javascript|text\/css)/);
    }
  });
});

describe('scheme and renderer URL', () => {
  it('registers app:// as standard and secure, without bypassing the CSP or enabling CORS reads', () => {
    expect(APP_SCHEME_PRIVILEGES).toEqual({ standard: true, secure: true, supportFetchAPI: true });
    expect(APP_INDEX_URL).toBe('app://diffcoder/index.html');
  });

  it('ignores ELECTRON_RENDERER_URL when packaged', () => {
    expect(rendererEntryUrl({ isPackaged: true, devServerUrl: 'http://localhost:5173/' })).toBe(APP_INDEX_URL);
    expect(rendererEntryUrl({ isPackaged: true, devServerUrl: 'https://evil.example/' })).toBe(APP_INDEX_URL);
    expect(rendererEntryUrl({ isPackaged: true, devServerUrl: undefined })).toBe(APP_INDEX_URL);
  });

  it('uses the dev server only unpackaged and only on http(s) loopback', () => {
    expect(rendererEntryUrl({ isPackaged: false, devServerUrl: 'http://localhost:5173/' })).toBe(
      'http://localhost:5173/',
    );
    expect(rendererEntryUrl({ isPackaged: false, devServerUrl: 'http://127.0.0.1:5173' })).toBe(
      'http://127.0.0.1:5173/',
    );
    expect(rendererEntryUrl({ isPackaged: false, devServerUrl: undefined })).toBe(APP_INDEX_URL);
    expect(rendererEntryUrl({ isPackaged: false, devServerUrl: '' })).toBe(APP_INDEX_URL);
    expect(rendererEntryUrl({ isPackaged: false, devServerUrl: 'https://evil.example/' })).toBe(APP_INDEX_URL);
    expect(rendererEntryUrl({ isPackaged: false, devServerUrl: 'file:///tmp/evil.html' })).toBe(APP_INDEX_URL);
    expect(rendererEntryUrl({ isPackaged: false, devServerUrl: 'http://user:pw@localhost:5173/' })).toBe(APP_INDEX_URL);
    expect(rendererEntryUrl({ isPackaged: false, devServerUrl: 'not a url' })).toBe(APP_INDEX_URL);
  });

  it('trusts only frames showing the page the window loaded (isTrustedSender)', () => {
    expect(isTrustedRendererUrl('app://diffcoder/index.html', APP_INDEX_URL)).toBe(true);
    expect(isTrustedRendererUrl('app://diffcoder/index.html#/chat?x=1', APP_INDEX_URL)).toBe(true);
    expect(isTrustedRendererUrl('app://other/index.html', APP_INDEX_URL)).toBe(false);
    expect(isTrustedRendererUrl('app://diffcoder/assets/x.html', APP_INDEX_URL)).toBe(false);
    expect(isTrustedRendererUrl('file:///opt/app/resources/app.asar/out/renderer/index.html', APP_INDEX_URL)).toBe(
      false,
    );
    expect(isTrustedRendererUrl('http://localhost:5173/', APP_INDEX_URL)).toBe(false);
    expect(isTrustedRendererUrl('https://evil.example/index.html', APP_INDEX_URL)).toBe(false);
    expect(isTrustedRendererUrl('', APP_INDEX_URL)).toBe(false);
    expect(isTrustedRendererUrl('http://localhost:5173/', 'http://localhost:5173/')).toBe(true);
    expect(isTrustedRendererUrl('http://localhost:5174/', 'http://localhost:5173/')).toBe(false);
  });

  it('reads the CSP from a meta tag in either quote style', () => {
    expect(cspFromHtml(`<meta http-equiv="Content-Security-Policy" content="${CSP}">`)).toBe(CSP);
    expect(cspFromHtml(`<META content='default-src none' HTTP-EQUIV='content-security-policy'>`)).toBe(
      'default-src none',
    );
    expect(cspFromHtml('<meta charset="UTF-8"><title>x</title>')).toBeNull();
  });
});
