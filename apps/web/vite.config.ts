import { cp } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

// `npm run dev --workspace=apps/web` serves the app with hot reload and passes the API, the
// login and the test identity provider through to a server started with `npm start`.
const server = process.env.POSTKASSE_URL ?? 'http://localhost:8080';

/**
 * pdf.js reads decoders (wasm: JBIG2, JPEG 2000 in scanned letters), character maps, the
 * standard fonts and colour profiles at run time; they go into dist/pdfjs/ as they are.
 */
function pdfjsData(): Plugin {
  const root = dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json'));
  let outDir = 'dist';
  return {
    name: 'postkasse-pdfjs-data',
    apply: 'build',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    async closeBundle() {
      for (const dir of ['wasm', 'cmaps', 'standard_fonts', 'iccs']) {
        await cp(join(root, dir), join(outDir, 'pdfjs', dir), { recursive: true });
      }
    },
  };
}

export default defineConfig({
  plugins: [react(), pdfjsData()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    // pdf.js is loaded only when a letter is opened; it is large, and that is expected.
    chunkSizeWarningLimit: 1500,
  },
  server: {
    proxy: Object.fromEntries(['/api', '/auth', '/test-idp', '/dev'].map((path) => [path, server])),
  },
});
