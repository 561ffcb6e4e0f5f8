import { app, session, type WebContents, type WebFrameMain } from 'electron';

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

/** Only the app's own page may call main: its file URL, or electron-vite's dev server URL. */
export function isTrustedSender(frame: WebFrameMain | null, rendererUrl: string): boolean {
  if (!frame) return false;
  try {
    const url = new URL(frame.url);
    const expected = new URL(rendererUrl);
    return url.protocol === expected.protocol && url.host === expected.host && url.pathname === expected.pathname;
  } catch {
    return false;
  }
}
