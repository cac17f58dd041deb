import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `npm run dev --workspace=apps/web` serves the app with hot reload and passes the API, the
// login and the test identity provider through to a server started with `npm start`.
const server = process.env.POSTKASSE_URL ?? 'http://localhost:8080';

export default defineConfig({
  plugins: [react()],
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
