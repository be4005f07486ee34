import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { INPUTS, type InputSpec } from '../inputs/specs.js';
import { DEFAULTS } from '../inputs/read.js';
import { InputError } from '../plan/errors.js';
import { cliEdges, formatOutputs, resultTable } from './io.js';
import { run } from '../pipeline/run.js';
import { post } from '../pipeline/post.js';
import { cancelAll } from '../tools/exec.js';

export const COMMAND = 'multiarch-publish';

/** Flags of the command line itself, beside the action's inputs. */
const OWN_FLAGS = [
  {
    flag: 'output-file',
    value: 'FILE',
    description: 'Write the outputs (digest, tags, platform-digests, …) to FILE as one JSON object.'
  },
  {
    flag: 'print-outputs',
    value: '',
    description: 'Print the outputs after the result, as name=value lines (multi-line values as name<<EOF … EOF).'
  },
  {
    flag: 'state-file',
    value: 'FILE',
    description:
      'Also keep the clean-up record (the builder this run creates) in FILE; --clean-up --state-file FILE removes it after a run that was killed outright.'
  },
  { flag: 'clean-up', value: '', description: 'Only remove what the run that wrote --state-file created, then exit.' },
  { flag: 'verbose', value: '', description: 'Print debug lines too.' },
  { flag: 'help', value: '', description: 'Print this help and exit.' }
] as const;

/** A command line that cannot be run as given: exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface CliArgs {
  /** Input name → raw text, as the action would read it (lists one item a line). */
  inputs: Map<string, string>;
  help: boolean;
  outputFile?: string;
  printOutputs: boolean;
  stateFile?: string;
  cleanUp: boolean;
  verbose: boolean;
}

/** Every flag the command line accepts, inputs first, as they are spelled on it. */
export function acceptedFlags(): string[] {
  return [
    ...INPUTS.flatMap((input) =>
      input.kind === 'boolean' && !input.name.startsWith('no-')
        ? [`--${input.name}`, `--no-${input.name}`]
        : [`--${input.name}`]
    ),
    ...OWN_FLAGS.map((f) => `--${f.flag}`),
    '-h'
  ];
}

/**
 * Reads the flags strictly. Every input of the action is a flag of the same name; a list input may
 * be repeated (each occurrence one line); a true/false input is `--name` (true), `--no-name` or
 * `--name=false`. Throws UsageError on anything else.
 */
export function parseCliArgs(argv: string[]): CliArgs {
  const byName = new Map(INPUTS.map((input) => [input.name, input]));
  const options: NonNullable<Parameters<typeof parseArgs>[0]>['options'] = {};
  for (const input of INPUTS) options[input.name] = { type: 'string', multiple: true };
  for (const own of OWN_FLAGS) options[own.flag] = own.value ? { type: 'string', multiple: true } : { type: 'boolean' };
  options.help = { type: 'boolean', short: 'h' };

  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args: normaliseBooleans(argv, byName), options, strict: true, allowPositionals: false }));
  } catch (error) {
    throw explainParseError(error as Error & { code?: string });
  }

  const inputs = new Map<string, string>();
  for (const input of INPUTS) {
    const given = values[input.name] as string[] | undefined;
    if (!given) continue;
    if (input.kind === 'list') {
      inputs.set(input.name, given.join('\n'));
    } else if (new Set(given).size > 1) {
      throw new UsageError(
        `--${input.name} was given ${given.length} times (${given.map((v) => JSON.stringify(v)).join(', ')}); it takes one value`
      );
    } else {
      inputs.set(input.name, given[0]);
    }
  }
  const single = (flag: string): string | undefined => {
    const given = values[flag] as string[] | undefined;
    if (given && given.length > 1)
      throw new UsageError(`--${flag} was given ${given.length} times; it takes one value`);
    return given?.[0];
  };
  const args: CliArgs = {
    inputs,
    help: values.help === true,
    outputFile: single('output-file'),
    printOutputs: values['print-outputs'] === true,
    stateFile: single('state-file'),
    cleanUp: values['clean-up'] === true,
    verbose: values.verbose === true
  };
  if (args.cleanUp && !args.stateFile)
    throw new UsageError('--clean-up needs --state-file FILE: the record of what to remove');
  return args;
}

/**
 * parseArgs has no flag that is both `--dry-run` and `--dry-run=false`, so a true/false input is a
 * string option and its bare spellings are rewritten first: `--x` → `--x=true`, `--no-x` → `--x=false`.
 */
function normaliseBooleans(argv: string[], inputs: Map<string, InputSpec>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const name = arg.startsWith('--') && !arg.includes('=') ? arg.slice(2) : '';
    const input = inputs.get(name);
    const negated = name.startsWith('no-') ? inputs.get(name.slice(3)) : undefined;
    if (input?.kind === 'boolean') {
      out.push(`--${name}=true`);
    } else if (negated?.kind === 'boolean' && !input) {
      out.push(`--${negated.name}=false`);
    } else {
      out.push(arg);
      // The next word is this flag's value even when it looks like a flag.
      if (input && i + 1 < argv.length) out.push(argv[++i]);
    }
  }
  return out;
}

function explainParseError(error: Error & { code?: string }): Error {
  const accepted = `Accepted flags: ${acceptedFlags().join(' ')} (see --help).`;
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const flag = /'(-[^']*)'/.exec(error.message)?.[1] ?? '';
    const guess = closest(flag.replace(/=.*$/, ''), acceptedFlags());
    return new UsageError(`unknown flag ${flag}${guess ? ` (did you mean ${guess}?)` : ''}. ${accepted}`);
  }
  if (error.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    const word = /'([^']*)'/.exec(error.message)?.[1] ?? '';
    return new UsageError(
      `unexpected argument ${JSON.stringify(word)}: every value follows its flag, as --name value or --name=value. ${accepted}`
    );
  }
  if (error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    return new UsageError(error.message.replace(/^Option /, '').replace(/\s*\n\s*/g, ' '));
  }
  return new UsageError(error.message);
}

/** The accepted flag nearest to a mistyped one (at most two edits away), for the error message. */
function closest(flag: string, accepted: string[]): string | undefined {
  let best: { flag: string; distance: number } | undefined;
  for (const candidate of accepted) {
    const distance = editDistance(flag, candidate);
    if (distance <= 2 && (!best || distance < best.distance)) best = { flag: candidate, distance };
  }
  return best?.flag;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length];
}

/** --help: generated from the input list, so every input of the action is there with its description. */
export function usage(): string {
  const lines = [
    `Usage: ${COMMAND} [flags]`,
    '',
    'Builds every platform of a container image concurrently with buildx and pushes one multi-arch',
    'index with its tags: the same pipeline as the GitHub Action, with the commit, ref and repository',
    'read from the git repository in the current directory.',
    '',
    "Inputs (the action's inputs, by the same names):"
  ];
  for (const input of INPUTS) {
    const spelling =
      input.kind === 'boolean'
        ? input.name.startsWith('no-')
          ? `--${input.name}[=false]`
          : `--${input.name}, --no-${input.name}`
        : `--${input.name} VALUE`;
    const extra = [
      input.kind === 'list' ? 'Repeatable: each occurrence is one line.' : '',
      DEFAULTS[input.name] ? `[default: ${DEFAULTS[input.name]}]` : '',
      input.name === 'secrets'
        ? 'On a shared machine prefer --secret-envs or --secret-files: flags are visible to other users.'
        : '',
      input.name === 'sign-key'
        ? 'Give a key file path here, and the password in COSIGN_PASSWORD rather than --sign-key-password: flags are visible to other users.'
        : ''
    ].filter(Boolean);
    lines.push(`  ${spelling}`, ...wrap([input.description, ...extra].join(' '), 6, 100));
  }
  lines.push('', 'Command line:');
  for (const own of OWN_FLAGS)
    lines.push(
      `  ${own.flag === 'help' ? '-h, ' : ''}--${own.flag}${own.value ? ` ${own.value}` : ''}`,
      ...wrap(own.description, 6, 100)
    );
  lines.push(
    '',
    'Exit status: 0 done, 1 the build or push failed (the reason on stderr), 2 bad flags or input values.',
    '',
    'Example:',
    `  ${COMMAND} --images 127.0.0.1:5000/demo/hello --platforms linux/amd64,linux/arm64 \\`,
    '    --driver remote --endpoint unix:///run/buildkit/buildkitd.sock \\',
    '    --tags type=sha --tags type=raw,value=latest',
    ''
  );
  return lines.join('\n');
}

function wrap(text: string, indent: number, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && indent + line.length + 1 + word.length > width) {
      out.push(' '.repeat(indent) + line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) out.push(' '.repeat(indent) + line);
  return out;
}

export interface CliIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Aborted on SIGINT/SIGTERM: the run stops waiting, cleans up and exits 130. */
  signal?: AbortSignal;
}

/**
 * The command line: flags → the action's pipeline (main's run, then post's clean-up, always, in this
 * process) → the result table. Returns the exit status.
 */
export async function runCli(argv: string[], io: CliIO): Promise<number> {
  let args: CliArgs;
  try {
    args = parseCliArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`${COMMAND}: ${error.message}\n`);
    return 2;
  }
  if (args.help) {
    io.stdout.write(usage());
    return 0;
  }

  const edges = cliEdges({
    flags: args.inputs,
    out: io.stdout,
    isTTY: io.isTTY,
    stateFile: args.stateFile,
    verbose: args.verbose
  });
  const cleanUp = (): Promise<void> =>
    post(edges).catch((error: Error) => edges.log.warning(`clean-up: ${error.message}`));
  if (args.cleanUp) {
    await cleanUp();
    return 0;
  }

  let failure: unknown;
  try {
    await Promise.race([run({ edges, env: io.env, cwd: io.cwd, masker: edges.masker }), aborted(io.signal)]);
  } catch (error) {
    failure = error;
    // An interrupted build would go on in its own process group: stop it before removing its builder.
    if (error instanceof Interrupted) cancelAll();
  } finally {
    await cleanUp();
  }

  if (failure !== undefined) {
    io.stderr.write(`${COMMAND}: ${edges.masker.mask(describe(failure))}\n`);
    if (failure instanceof Interrupted) return 130;
    return failure instanceof InputError ? 2 : 1;
  }
  edges.print(resultTable(edges.outputs));
  if (args.printOutputs) edges.print(formatOutputs(edges.outputs));
  if (args.outputFile)
    await writeFile(
      args.outputFile,
      `${edges.masker.mask(JSON.stringify(Object.fromEntries(edges.outputs), null, 2))}\n`
    );
  return 0;
}

class Interrupted extends Error {
  constructor() {
    super('interrupted');
    this.name = 'Interrupted';
  }
}

function aborted(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_, reject) => {
    if (!signal) return;
    if (signal.aborted) reject(new Interrupted());
    signal.addEventListener('abort', () => reject(new Interrupted()), { once: true });
  });
}

/** An input error is reported by its flag, as the user typed it. */
function describe(error: unknown): string {
  if (error instanceof InputError)
    return `--${error.input}: ${JSON.stringify(error.value)} is not accepted; expected ${error.accepted}`;
  return error instanceof Error ? error.message : String(error);
}
