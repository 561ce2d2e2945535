import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/** The web console: `vite build web` writes it to dist/console, which the server serves at `/`. */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
    target: 'es2022',
    reportCompressedSize: false,
  },
  server: {
    // `npx vite web` during development: the API runs on `npm run dev` (127.0.0.1:7376).
    proxy: {
      '/graphql': { target: 'http://127.0.0.1:7376', ws: true },
      '/v1': 'http://127.0.0.1:7376',
    },
  },
});
