/**
 * Electron's side of the app:// scheme (the logic, with no Electron import, is app-protocol.ts). The scheme must be
 * registered as privileged before the app is ready; the handler is installed on the default session once it is.
 */
import { protocol } from 'electron';
import { APP_SCHEME, APP_SCHEME_PRIVILEGES, createAppProtocolHandler } from './app-protocol.js';

/** Call at module load of main, before app 'ready'. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { ...APP_SCHEME_PRIVILEGES } }]);
}

/** Call after app 'ready': serves `rendererDir` (the built renderer, inside app.asar when packaged) as app://diffcoder/. */
export function serveRenderer(rendererDir: string): void {
  protocol.handle(
    APP_SCHEME,
    createAppProtocolHandler(rendererDir, (line) => console.warn(line)),
  );
}
