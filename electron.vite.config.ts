import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';

export default defineConfig({
  main: {
    build: {
      rollupOptions: {
        input: {
          // Electron's main process.
          index: resolve('main/app/index.ts'),
          // Browser mode: the same handlers and engine in plain Node behind a WebSocket.
          serve: resolve('main/server/index.ts'),
          // The engine process (Electron utilityProcess or Node child process).
          'engine-process': resolve('main/engine-host/engine-process.ts'),
          // The checkpoint import worker: one process per conversion, apart from the engine that serves chat.
          'convert-worker': resolve('main/import/convert-worker.ts'),
        },
      },
    },
  },
  preload: {
    // A sandboxed preload must be one CommonJS file.
    build: {
      rollupOptions: {
        input: { index: resolve('preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: 'renderer',
    plugins: [react()],
    build: { minify: true, rollupOptions: { input: resolve('renderer/index.html') } },
  },
});
