/** The command line's flags: every input of the action, plus a few of its own; strict parsing. */
import { parseArgs } from 'node:util';
import { INPUTS, type InputSpec } from '../inputs/specs.js';
import { editDistance } from '../text.js';
import { ciRunId } from './environment.js';
import type { GivenSource } from '../inputs/git.js';
import { InputError } from '../plan/errors.js';
import { parseRef, parseRevision } from '../plan/revision.js';

export const COMMAND = 'multiarch-publish';

/** Flags of the command line itself, beside the action's inputs. */
export const OWN_FLAGS = [
  {
    flag: 'output-file',
    value: 'FILE',
    description: 'Write the outputs (digest, tags, platform-digests, …) to FILE as one JSON object.'
  },
  {
    flag: 'outputs-file',
    value: 'FILE',
    description:
      "Write the short outputs (digest, tags, version, platform-digests, builder, matrix, signature) to FILE as dotenv lines, MULTIARCH_DIGEST=…, lists comma-joined: GitLab's artifacts:reports:dotenv reads it, a shell reads it with set -a; . FILE."
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
      'Also keep the clean-up record (the builder this run creates, the build processes it runs) in FILE; --clean-up --state-file FILE stops and removes them after a run that was killed outright.'
  },
  {
    flag: 'revision',
    value: 'SHA',
    description:
      'The commit the image is built from, when git cannot say (a source tarball, a CI that drops .git) or to override it: type=sha and {{sha}} use it, and the revision label. Without git and without it, only what needs the commit is refused.'
  },
  {
    flag: 'ref',
    value: 'REF',
    description:
      'The ref being built (refs/heads/main, refs/tags/v1.2.3, refs/pull/42/merge), when git cannot say or to override it: the branch, tag and version rules use it. A CI’s own variables give both otherwise.'
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
  /** Dotenv file of the outputs (--outputs-file). */
  outputsFile?: string;
  printOutputs: boolean;
  stateFile?: string;
  cleanUp: boolean;
  verbose: boolean;
  /** --ref and --revision: what git would say of the source, given by hand. */
  source: GivenSource;
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
export function parseCliArgs(argv: string[], env: NodeJS.ProcessEnv = {}): CliArgs {
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
    outputsFile: single('outputs-file'),
    printOutputs: values['print-outputs'] === true,
    stateFile: single('state-file'),
    cleanUp: values['clean-up'] === true,
    verbose: values.verbose === true,
    source: givenSource(single('revision'), single('ref'))
  };
  if (args.cleanUp && !args.stateFile)
    throw new UsageError('--clean-up needs --state-file FILE: the record of what to remove');
  // On Actions the run id comes from GITHUB_RUN_ID, on another CI from its pipeline id; here one made
  // up would name legs no merge can find.
  if (inputs.get('mode')?.trim().toLowerCase() === 'platform' && !inputs.get('run-id')?.trim() && !ciRunId(env))
    throw new UsageError(
      '--mode platform needs --run-id ID: the merge (--mode merge --run-id ID) finds the legs by it; ' +
        'give every leg and the merge the same one'
    );
  return args;
}

/** --revision and --ref, checked: a bad one is a usage error naming the flag. */
function givenSource(revision: string | undefined, ref: string | undefined): GivenSource {
  try {
    return {
      ...(revision !== undefined ? { revision: parseRevision(revision) } : {}),
      ...(ref !== undefined ? { ref: parseRef(ref) } : {})
    };
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    throw new UsageError(
      `--${error.input}: ${JSON.stringify(error.value)} is not accepted; expected ${error.accepted}`
    );
  }
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
