#!/usr/bin/env node
// The CLI is TypeScript run through tsx's loader, so there is no build step between an edit and a run.
// File writes, fsyncs and encryption run on libuv's thread pool; the default of 4 threads is
// too few for a server that syncs every letter to disk. Must be set before the pool starts.
process.env.UV_THREADPOOL_SIZE ??= '16';

const { register } = await import('tsx/esm/api');

register();
await import('../src/main.ts');
