/** Child processes the bench starts: timed, with every output line stamped, and stopped on the way out. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';

export const ACTION_TIMEOUT_MS = 300_000;

const started = performance.now();
/** A progress line on stderr, stamped with the seconds since the bench started. */
export function note(message: string): void {
  process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}\n`);
}

/** An output line and when it arrived, in ms since the spawn. */
export interface Line {
  t: number;
  text: string;
}

export interface Ran {
  code: number;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout's lines, each stamped with when it arrived. */
  lines: Line[];
  /** From just before the spawn to the close of its output. */
  ms: number;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** Reject on a non-zero exit (default). */
  check?: boolean;
  label?: string;
}

/** Every child this process started and that still runs: stopped (by pid) on an interruption. */
export const live = new Set<ChildProcess>();

/** Runs a command, timing it, with every stdout line stamped with when it arrived. */
export function run(command: string, args: string[], options: RunOptions = {}): Promise<Ran> {
  const { cwd, env, timeoutMs = ACTION_TIMEOUT_MS, check = true, label } = options;
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(command, args, { cwd, env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    const lines: Line[] = [];
    let stdout = '';
    let stderr = '';
    let rest = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const t = performance.now() - t0;
      stdout += chunk;
      const parts = (rest + chunk).split('\n');
      rest = parts.pop() ?? '';
      for (const text of parts) lines.push({ t, text });
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      live.delete(child);
      reject(new Error(`${label ?? command} could not start: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      const ms = performance.now() - t0;
      clearTimeout(timer);
      live.delete(child);
      if (rest) lines.push({ t: ms, text: rest });
      const result: Ran = { code: code ?? -1, signal, stdout, stderr, lines, ms };
      if (check && result.code !== 0) {
        const tail = (stderr.trim() || stdout.trim()).split('\n').slice(-25).join('\n');
        reject(new Error(`${label ?? [command, ...args].join(' ')} failed (exit ${code ?? signal}):\n${tail}`));
      } else resolve(result);
    });
  });
}

/** A command's trimmed stdout, or '' when it fails: for the report's machine facts. */
export function capture(command: string, args: string[] = []): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 }).trim();
  } catch {
    return '';
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function tailFile(file: string, n = 15): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n).join('\n');
  } catch {
    return '';
  }
}

/** SIGTERM, then SIGKILL after 10 s. */
export async function stopProcess(child: ChildProcess, exited: () => boolean, name: string): Promise<void> {
  if (exited()) return;
  child.kill('SIGTERM');
  for (let i = 0; i < 100 && !exited(); i++) await sleep(100);
  if (!exited()) {
    note(`${name} (pid ${child.pid}) ignored SIGTERM for 10 s; killing it`);
    child.kill('SIGKILL');
    for (let i = 0; i < 50 && !exited(); i++) await sleep(100);
  }
  note(`stopped ${name} (pid ${child.pid})`);
}

/** Promise.all that waits for every promise to settle before it rejects: no run outlives its step. */
export async function allOrFirstError<T>(promises: Array<Promise<T>>): Promise<T[]> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/** Shell words as exec.ts's quoteArg writes them: bare words and '…' with '\'' for a quote. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unbalanced quote in ${line}`);
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (c === '\\' && i + 1 < line.length) {
      word = (word ?? '') + line[++i];
    } else if (c === ' ' || c === '\t') {
      if (word !== null) words.push(word);
      word = null;
    } else word = (word ?? '') + c;
  }
  if (word !== null) words.push(word);
  return words;
}
