import { spawn } from 'node:child_process';
import type { Log, Masker, RunResult, Runner } from '../ports.js';
import { lastLines } from '../text.js';

/** A process that exited non-zero, or was killed for making no progress. */
export class ExecError extends Error {
  constructor(
    readonly command: string,
    readonly result: RunResult,
    readonly stalled = false
  ) {
    const tail = neutraliseCommands(lastLines(result.stderr || result.stdout, 12));
    super(
      stalled
        ? `${command} made no progress and was cancelled${tail ? `:\n${tail}` : ''}`
        : `${command} failed with exit code ${result.code}${tail ? `:\n${tail}` : ''}`
    );
    this.name = 'ExecError';
  }
}

// Children still running, so an interrupted command line can stop them before it cleans up.
const running = new Set<number>();

/** Stops every child this process started that is still running (their whole process groups). */
export function cancelAll(): void {
  for (const pid of running) killGroup(pid);
}

/** Told when a child has started and when it has ended (`running` false): a pid is its process group's id. */
export type ChildWatcher = (pid: number, command: string, running: boolean) => void;

/**
 * The one place that starts processes. It logs the command with secrets masked, streams the
 * child's output through the mask, judges success by the exit code alone, and cancels a child
 * that goes quiet for `stallMs` while its `watch` (if any) says the timer runs (@actions/exec
 * gives no handle to cancel a child, hence spawn).
 */
export function createRunner(log: Log, masker: Masker, watch?: ChildWatcher): Runner {
  return (command, args, options = {}) =>
    new Promise<RunResult>((resolve, reject) => {
      const shown = masker.mask([command, ...args.map(quoteArg)].join(' '));
      log.info(`[command] ${shown}`);
      // Errors name the command by its verbs; the full line is already in the log above.
      const short = verbs(command, args);
      const child = spawn(command, args, {
        cwd: options.cwd,
        env: options.env ?? process.env,
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true
      });
      if (child.pid) running.add(child.pid);
      if (child.pid) watch?.(child.pid, command, true);
      let stdout = '';
      let stderr = '';
      let stalled = false;
      let timer: NodeJS.Timeout | undefined;
      // Whether the timer runs: always without a watch; with one, as it last said.
      let timing = true;
      const arm = (): void => {
        if (!options.stallMs) return;
        if (timer) clearTimeout(timer);
        timer = undefined;
        if (!timing) return;
        timer = setTimeout(() => {
          stalled = true;
          log.warning(`${command} printed nothing for ${Math.round(options.stallMs! / 1000)} s; cancelling it`);
          killGroup(child.pid);
        }, options.stallMs);
      };
      const take = (line: string): void => {
        if (options.watch) timing = options.watch(line);
        if (!options.quiet) log.info(neutraliseCommands(masker.mask(line)));
      };
      const split = (chunk: string, buffered: { rest: string }): void => {
        buffered.rest += chunk;
        const lines = buffered.rest.split(/\r?\n/);
        buffered.rest = lines.pop() ?? '';
        for (const line of lines) take(line);
      };
      const outBuf = { rest: '' };
      const errBuf = { rest: '' };
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
        split(chunk, outBuf);
        arm();
      });
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        split(chunk, errBuf);
        arm();
      });
      child.on('error', (err) => {
        if (child.pid) running.delete(child.pid);
        if (child.pid) watch?.(child.pid, command, false);
        if (timer) clearTimeout(timer);
        reject(new ExecError(short, { code: -1, stdout, stderr: `${stderr}${err.message}` }));
      });
      child.on('close', (code) => {
        if (child.pid) running.delete(child.pid);
        if (child.pid) watch?.(child.pid, command, false);
        if (timer) clearTimeout(timer);
        for (const rest of [outBuf.rest, errBuf.rest])
          if (rest && !options.quiet) log.info(neutraliseCommands(masker.mask(rest)));
        const result = { code: code ?? -1, stdout, stderr };
        if (stalled) reject(new ExecError(short, result, true));
        else if (result.code !== 0 && !options.allowFailure) reject(new ExecError(short, result));
        else resolve(result);
      });
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input ?? '');
      arm();
    });
}

/**
 * Text we did not write (a child's output, a registry's message) made unable to start a workflow
 * command where the Actions runner reads this process's output: the runner ends a line at a bare
 * CR as at LF, and takes a line whose first non-blank characters are `::` (or the older `##[`) as
 * a command. Every line break becomes LF and such a line is prefixed with `| `, so it is shown,
 * not obeyed. Neutralising line by line is stateless; the other way, fencing child output with
 * `::stop-commands::<token>`, would also silence our own warnings, masks and groups issued while
 * a child runs (several run at once), and one missed `::<token>::` would silence the rest of the
 * step.
 */
export function neutraliseCommands(text: string): string {
  return text
    .split(/\r\n|\r|\n/)
    .map((line) => (/^\s*(::|##\[)/.test(line) ? `| ${line}` : line))
    .join('\n');
}

function killGroup(pid: number | undefined): void {
  if (!pid) return;
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    return;
  }
  setTimeout(() => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }, 5000).unref();
}

/** `docker buildx build`: the command and the words before its first flag, at most three. */
function verbs(command: string, args: string[]): string {
  const words: string[] = [command];
  for (const arg of args) {
    if (arg.startsWith('-') || words.length > 3) break;
    words.push(arg);
  }
  return words.join(' ');
}

/** An argument as a POSIX shell reads it back: bare when safe, else single-quoted. */
export function quoteArg(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
