// Starts scripts/bench/server.ts as a child process and talks to it over IPC.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ServerSpec } from './server.js';

export interface BenchServer {
  url: string;
  call<T = unknown>(cmd: 'reconcile' | 'stats'): Promise<T>;
  stop(): Promise<void>;
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ENTRY = fileURLToPath(new URL('./server.ts', import.meta.url));

export async function startServer(spec: ServerSpec): Promise<BenchServer> {
  const child = fork(ENTRY, [], {
    cwd: ROOT,
    // BENCH_CPU_PROF=DIR writes a V8 CPU profile of every server (open it in Chrome DevTools).
    execArgv: ['--import', 'tsx', ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [])],
    env: { ...process.env, BENCH_SERVER: JSON.stringify(spec) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bench server exited (${code}) before it was ready`)));
    child.on('message', (m: { ready?: boolean; port?: number; id?: number; ok?: boolean; result?: unknown; error?: string }) => {
      if (m.ready) return resolve(m.port!);
      const p = pending.get(m.id!);
      pending.delete(m.id!);
      if (m.ok) p?.resolve(m.result);
      else p?.reject(new Error(`bench server: ${m.error}`));
    });
  });
  const send = <T>(cmd: string) =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ id, cmd });
    });
  return {
    url: `http://127.0.0.1:${port}`,
    call: (cmd) => send(cmd),
    stop: () => stopChild(child, () => send('stop')),
  };
}

async function stopChild(child: ChildProcess, ask: () => Promise<unknown>): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await Promise.race([ask().catch(() => child.kill('SIGKILL')), exited]);
  await exited;
  clearTimeout(timer);
}
