#!/usr/bin/env node
// File writes, fsyncs and encryption run on libuv's thread pool; the default of 4 threads is
// too few for a server that syncs every letter to disk. Must be set before the pool starts.
process.env.UV_THREADPOOL_SIZE ??= '16';

// The CLI runs from its bundle (see bundle.js), rebuilt when a source changed; where it cannot be
// built (a read-only install), from the TypeScript sources through tsx's loader.
const { cliEntry } = await import('./bundle.js');
const entry = await cliEntry();
if (entry) {
  process.setSourceMapsEnabled(true);
  await import(entry);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/main.ts');
}
