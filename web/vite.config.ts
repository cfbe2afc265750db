import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

// The interactive API page (/api/docs) uses Swagger UI from our own build, so it works with
// no internet access, as a self-hosted install must.
function swaggerAssets() {
  return {
    name: 'tack-swagger-assets',
    closeBundle() {
      const from = join(here, 'node_modules', 'swagger-ui-dist');
      const to = join(here, 'dist', 'swagger');
      mkdirSync(to, { recursive: true });
      for (const f of ['swagger-ui-bundle.js', 'swagger-ui-standalone-preset.js', 'swagger-ui.css', 'LICENSE']) {
        copyFileSync(join(from, f), join(to, f));
      }
    },
  };
}

// The SPA is served by the Python server from web/dist; in development Vite serves it
// and forwards the API to a locally running `tack serve`.
export default defineConfig({
  plugins: [svelte(), swaggerAssets()],
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:8000',
      '/healthz': 'http://127.0.0.1:8000',
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
