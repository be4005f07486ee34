/** The command line's run: flags → the pipeline → the clean-up → the result table, and the exit status. */
import { writeFile } from 'node:fs/promises';
import { InputError } from '../plan/errors.js';
import { cliEdges, divertWorkflowCommands, formatOutputs, resultTable, type CliEdges } from './io.js';
import { run } from '../pipeline/run.js';
import { post } from '../pipeline/post.js';
import { cancelAll } from '../tools/exec.js';
import { errorText } from '../text.js';
import { COMMAND, parseCliArgs, UsageError, type CliArgs } from './args.js';
import { usage } from './help.js';
import { dotenv, environmentInputs } from './environment.js';

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
    args = parseCliArgs(argv, io.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`${COMMAND}: ${error.message}\n`);
    return 2;
  }
  if (args.help) {
    io.stdout.write(usage());
    return 0;
  }

  const { inputs, notes } = environmentInputs(args.inputs, io.env);
  const edges = cliEdges({
    flags: inputs,
    out: io.stdout,
    isTTY: io.isTTY,
    stateFile: args.stateFile,
    verbose: args.verbose
  });
  const restore = divertWorkflowCommands(io.stdout, edges.log);
  for (const note of notes) edges.log.info(note);
  try {
    return await runPipeline(args, io, edges);
  } finally {
    restore();
  }
}

async function runPipeline(args: CliArgs, io: CliIO, edges: CliEdges): Promise<number> {
  const cleanUp = (): Promise<void> =>
    post(edges).catch((error: Error) => edges.log.warning(`clean-up: ${error.message}`));
  if (args.cleanUp) {
    await cleanUp();
    return 0;
  }

  let failure: unknown;
  try {
    await Promise.race([
      run({ edges, env: io.env, cwd: io.cwd, masker: edges.masker, source: args.source }),
      aborted(io.signal)
    ]);
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
  if (args.outputsFile) await writeFile(args.outputsFile, edges.masker.mask(dotenv(edges.outputs)));
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
  return errorText(error);
}
