/**
 * Runs the real CLI as separate processes: `postkasse serve` as a child that a test can stop or
 * SIGKILL and start again on the same data, and one-shot `postkasse admin ...` commands.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const cliEntry = join(repoRoot, 'apps', 'cli', 'bin', 'postkasse.js');

/**
 * The environment a child runs with: the parent's, minus anything that configures Postkasse,
 * plus the given settings (so a DATABASE_URL of the caller's shell never leaks into a SQLite run).
 */
export function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('POSTKASSE_') || k === 'DATABASE_URL' || k === 'PORT' || k === 'HOST' || k === 'LOG_LEVEL') {
      continue;
    }
    if (k === 'NODE_OPTIONS') continue;
    base[k] = v;
  }
  return { ...base, ...env };
}

/** A TCP port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export type CliResult = { code: number; stdout: string; stderr: string };

/** Runs `postkasse <args>` to the end, as an operator would, and returns its exit code and output. */
export function runCliProcess(args: string[], env: Record<string, string>, timeoutMs = 30_000): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [cliEntry, ...args],
      { cwd: repoRoot, env: childEnv(env), timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Runs `postkasse <args>` and returns its stdout; a non-zero exit is an error with the output. */
export async function runCli(args: string[], env: Record<string, string>, timeoutMs = 30_000): Promise<string> {
  const res = await runCliProcess(args, env, timeoutMs);
  if (res.code !== 0) {
    throw new Error(
      `postkasse ${args.join(' ')} failed (exit ${res.code})\nstdout: ${res.stdout}\nstderr: ${res.stderr}`,
    );
  }
  return res.stdout;
}

export type ServerProcess = {
  url: string;
  port: number;
  pid: number;
  child: ChildProcess;
  /** Everything the process wrote so far (stdout and stderr), for failure messages. */
  output(): string;
  /** Whether the process has exited. */
  exited(): boolean;
  /** Sends a signal and waits until the process is gone (SIGKILL after `graceMs` if it lingers). */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
};

/** Every server process started here and not yet seen to exit, so a test can never leave one running. */
const live = new Set<ServerProcess>();

// If the test process goes away without its afterAll (a crash, a timeout), take the servers along.
process.once('exit', () => {
  for (const s of live) {
    try {
      process.kill(s.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** Kills every server process this module started that is still running. */
export async function killAllServers(): Promise<void> {
  await Promise.all([...live].map((s) => s.stop('SIGKILL')));
}

/**
 * Starts `postkasse serve` on a free port with the given environment and waits until /readyz
 * answers 200. Fails (and kills the child) when it exits early or is not ready in time.
 */
export async function spawnServer(env: Record<string, string>, readyTimeoutMs = 30_000): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [cliEntry, 'serve'], {
    cwd: repoRoot,
    env: childEnv({ LOG_LEVEL: 'warn', ...env, PORT: String(port), HOST: '127.0.0.1' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error('the server process did not start');
  let out = '';
  const append = (chunk: Buffer) => {
    out += chunk.toString('utf8');
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  let hasExited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      hasExited = true;
      resolve();
    });
  });

  const server: ServerProcess = {
    url: `http://127.0.0.1:${port}`,
    port,
    pid: child.pid,
    child,
    output: () => out,
    exited: () => hasExited,
    async stop(signal = 'SIGTERM', graceMs = 10_000) {
      if (!hasExited) {
        try {
          process.kill(child.pid as number, signal);
        } catch {
          // already gone
        }
        const timer = setTimeout(() => {
          if (!hasExited) child.kill('SIGKILL');
        }, graceMs);
        await exit;
        clearTimeout(timer);
      }
      live.delete(server);
    },
  };
  live.add(server);
  void exit.then(() => live.delete(server));

  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (hasExited) {
      throw new Error(`the server exited before it was ready (code ${child.exitCode}):\n${out}`);
    }
    try {
      const res = await fetch(`${server.url}/readyz`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200) return server;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await server.stop('SIGKILL');
      throw new Error(`the server was not ready within ${readyTimeoutMs} ms:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
