import { app, session, type WebContents, type WebFrameMain } from 'electron';
import { isTrustedRendererUrl } from './app-protocol.js';

/**
 * App-wide hardening: no navigation away from the app, no new windows, no webviews, no
 * permission prompts (camera, notifications, ...), whatever the page asks.
 */
export function hardenApp(): void {
  app.on('web-contents-created', (_e, contents: WebContents) => {
    contents.on('will-navigate', (e) => e.preventDefault());
    contents.on('will-redirect', (e) => e.preventDefault());
    contents.on('will-attach-webview', (e) => e.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });
}

export function denyPermissions(): void {
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
}

/**
 * Only the app's own page may call main: app://diffcoder/index.html (app-protocol.ts), or electron-vite's dev server
 * page in an unpackaged run (rendererEntryUrl). Same scheme, host and path as the URL the window loaded.
 */
export function isTrustedSender(frame: WebFrameMain | null, rendererUrl: string): boolean {
  return !!frame && isTrustedRendererUrl(frame.url, rendererUrl);
}
