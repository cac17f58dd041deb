/**
 * Builds the web inbox the way users get it (production), for the tests and benchmarks; as
 * vitest's global setup, into apps/web/dist, so the server under test serves what `npm start` does.
 */
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

export const webRoot = fileURLToPath(new URL('../apps/web', import.meta.url));

/** A production build of apps/web (about a second), into `outDir` (default apps/web/dist). */
export async function buildWebApp(options: { outDir?: string; manifest?: boolean } = {}): Promise<void> {
  // Vitest sets NODE_ENV=test, which would make Vite bundle React's development build.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({
      root: webRoot,
      mode: 'production',
      logLevel: 'warn',
      ...(options.outDir || options.manifest
        ? {
            build: {
              ...(options.outDir ? { outDir: options.outDir, emptyOutDir: true } : {}),
              manifest: options.manifest ?? false,
            },
          }
        : {}),
    });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
}

export default async function setup(): Promise<void> {
  await buildWebApp();
}
