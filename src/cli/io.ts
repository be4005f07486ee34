import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Edges, Log } from '../ports.js';
import { Masker } from '../ports.js';

export interface CliEdgesOptions {
  /** Raw input text by the action's input name, as the flags gave it (lists one item a line). */
  flags: Map<string, string>;
  /** Where progress, warnings and the result go. */
  out: NodeJS.WritableStream;
  /** Colour the headings and warnings (a terminal that wants colour). */
  isTTY: boolean;
  /** Also keep the clean-up record in this file, so a run killed outright can be cleaned up later. */
  stateFile?: string;
  /** Print debug lines too. */
  verbose?: boolean;
  /** Milliseconds clock, for tests. */
  now?: () => number;
}

/** The action's edges for a terminal: the same pipeline, read from flags and printed for a person. */
export interface CliEdges extends Edges {
  /** Every line printed goes through it; `log.setSecret` adds to it. Pass it to run() too. */
  masker: Masker;
  /** Outputs as the pipeline set them, in order. */
  outputs: Map<string, string>;
  /** Prints text through the mask, as it is (no elapsed-time prefix). */
  print(text: string): void;
}

const COLOURS = {
  bold: '\u001b[1m',
  dim: '\u001b[2m',
  red: '\u001b[31m',
  green: '\u001b[32m',
  yellow: '\u001b[33m',
  reset: '\u001b[0m'
};

export function cliEdges(options: CliEdgesOptions): CliEdges {
  const { flags, out, isTTY } = options;
  const now = options.now ?? Date.now;
  const masker = new Masker();
  const outputs = new Map<string, string>();
  const state = new Map<string, string>();
  const paint = (colour: keyof typeof COLOURS, text: string): string =>
    isTTY ? `${COLOURS[colour]}${text}${COLOURS.reset}` : text;
  const write = (text: string): void => {
    out.write(`${masker.mask(text)}\n`);
  };
  // Lines are stamped with the seconds since their phase began (or since the run began, between phases).
  const phaseStarts: number[] = [now()];
  const stamp = (): string => paint('dim', `[${seconds(now() - phaseStarts[phaseStarts.length - 1]).padStart(6)}s]`);
  const lines = (message: string, decorate: (line: string) => string = (l) => l): void => {
    for (const line of message.split(/\r?\n/)) write(`${stamp()} ${decorate(line)}`);
  };

  const log: Log = {
    info: (message) => lines(message),
    warning: (message) => lines(message, (line) => paint('yellow', `warning: ${line}`)),
    debug: (message) => {
      if (options.verbose) lines(message, (line) => paint('dim', `debug: ${line}`));
    },
    group: async (name, fn) => {
      write(paint('bold', `▶ ${name}`));
      const start = now();
      phaseStarts.push(start);
      try {
        const value = await fn();
        phaseStarts.pop();
        write(`${paint('green', '✔')} ${paint('bold', name)} (${seconds(now() - start)} s)`);
        return value;
      } catch (error) {
        phaseStarts.pop();
        write(`${paint('red', '✖')} ${paint('bold', name)} failed after ${seconds(now() - start)} s`);
        throw error;
      }
    },
    setSecret: (value) => masker.add(value)
  };

  return {
    log,
    masker,
    outputs,
    print: (text) => write(text),
    input: (name) => flags.get(name) ?? '',
    setOutput: (name, value) => {
      outputs.set(name, value);
    },
    saveState: (name, value) => {
      state.set(name, value);
      if (options.stateFile)
        writeFileSync(options.stateFile, `${JSON.stringify(Object.fromEntries(state), null, 2)}\n`, { mode: 0o600 });
    },
    getState: (name) => state.get(name) ?? readStateFile(options.stateFile)[name] ?? '',
    // The job summary has no place on a terminal: the command line prints its own result table.
    summary: async () => undefined
  };
}

function readStateFile(file: string | undefined): Record<string, string> {
  if (!file || !existsSync(file)) return {};
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, string>) : {};
  } catch {
    return {};
  }
}

function seconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(1);
}

/**
 * The result a person reads last: each platform's digest, the index digest and every tag pushed,
 * from the pipeline's outputs (the same values the action sets).
 */
export function resultTable(outputs: Map<string, string>): string {
  // mode matrix builds nothing: its result is the matrix.
  const matrix = outputs.get('matrix');
  if (matrix !== undefined) return ['Result', `  matrix  ${matrix}`].join('\n');
  const digest = outputs.get('digest') ?? '';
  const tags = (outputs.get('tags') ?? '').split('\n').filter(Boolean);
  let platforms: Record<string, string> = {};
  try {
    platforms = JSON.parse(outputs.get('platform-digests') || '{}') as Record<string, string>;
  } catch {
    platforms = {};
  }
  const rows: Array<[string, string]> = Object.entries(platforms).map(([platform, d]) => [platform, d]);
  rows.push(['index', digest || '(nothing pushed)']);
  tags.forEach((tag, i) => rows.push([i === 0 ? 'tags' : '', tag]));
  if (tags.length === 0) rows.push(['tags', '(none)']);
  const version = outputs.get('version');
  if (version) rows.push(['version', version]);
  const width = Math.max(...rows.map(([left]) => left.length));
  return ['Result', ...rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`)].join('\n');
}

/**
 * Outputs as `name=value` lines, a multi-line value as `name<<DELIMITER … DELIMITER`: the format of
 * the runner's $GITHUB_OUTPUT file, so scripts can read them the same way.
 */
export function formatOutputs(outputs: Map<string, string>): string {
  const lines: string[] = [];
  for (const [name, value] of outputs) {
    if (!value.includes('\n')) {
      lines.push(`${name}=${value}`);
      continue;
    }
    let delimiter = 'EOF';
    while (value.split('\n').includes(delimiter)) delimiter += '_';
    lines.push(`${name}<<${delimiter}`, value, delimiter);
  }
  return lines.join('\n');
}

/**
 * The directories the @actions libraries need (RUNNER_TOOL_CACHE for an installed buildx,
 * RUNNER_TEMP for downloads), which only the Actions runner provides: outside it, the command
 * line's own, under the user's cache directory. Only the variables that are unset are returned.
 */
export function commandLineDirs(env: NodeJS.ProcessEnv, home: string): Record<string, string> {
  const cache =
    env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(home, '.cache');
  const root = path.join(cache, 'multiarch-publish');
  const dirs: Record<string, string> = {};
  if (!env.RUNNER_TOOL_CACHE) dirs.RUNNER_TOOL_CACHE = path.join(root, 'tool-cache');
  if (!env.RUNNER_TEMP) dirs.RUNNER_TEMP = path.join(root, 'tmp');
  return dirs;
}

/** A workflow command (`::name params::message`, message escaped as @actions/core escapes it). */
export function parseWorkflowCommand(line: string): { command: string; message: string } | undefined {
  const match = /^::([A-Za-z-]+)(?: [^:]*)?::(.*)$/.exec(line);
  if (!match) return undefined;
  const message = match[2].replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
  return { command: match[1], message };
}

/**
 * The @actions libraries (tool cache, cache) speak to the Actions runner in workflow commands on
 * stdout. On a terminal they are noise, so lines written to `stream` that are workflow commands
 * are turned into what they mean here: `::debug::` a debug line (shown with --verbose), a warning
 * or error a warning, `::add-mask::` a secret to mask, anything else a debug line. Returns the
 * function that puts the stream back.
 */
export function divertWorkflowCommands(stream: NodeJS.WritableStream, log: Log): () => void {
  const original = stream.write;
  const write = original.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]): boolean => {
    const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : undefined;
    if (text === undefined || !text.startsWith('::')) return write(chunk, ...rest);
    const kept: string[] = [];
    for (const line of text.split(/\r?\n/)) {
      const command = parseWorkflowCommand(line);
      if (!command) kept.push(line);
      else if (command.command === 'add-mask') log.setSecret(command.message);
      else if (['warning', 'error', 'notice'].includes(command.command)) log.warning(command.message);
      else if (command.command === 'debug') log.debug(command.message);
      else log.debug(line);
    }
    const passed = kept.join('\n');
    const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
    if (passed) return write(passed, ...rest);
    callback?.();
    return true;
  }) as typeof stream.write;
  return () => {
    stream.write = original;
  };
}
