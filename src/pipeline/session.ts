import type { Edges, Log, Runner } from '../ports.js';
import { Masker } from '../ports.js';
import { createRunner } from '../tools/exec.js';
import { trackProcesses } from './state.js';
import type { GivenSource } from '../inputs/git.js';

/** What a face (the action, the command line) hands the pipeline. */
export interface RunEnv {
  edges: Edges;
  env: NodeJS.ProcessEnv;
  cwd: string;
  masker?: Masker;
  now?: () => Date;
  /** The process seam; by default the real one (tools/exec.ts). Tests hand in a fake buildx here. */
  runner?: Runner;
  /** The command line's --ref and --revision, for a directory git cannot tell them of. */
  source?: GivenSource;
}

/** One run's I/O: the edges, the process seam, the masker, and phase timing for the summary. */
export interface Session {
  edges: Edges;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** The command line's --ref and --revision (none on the action). */
  source?: GivenSource;
  log: Log;
  masker: Masker;
  runner: Runner;
  /** A runner that prints to another log (a concurrent build's own); the session's seam by default. */
  runnerFor?: (log: Log) => Runner;
  now: () => Date;
  timings: Array<[string, number]>;
  /** The name of the phase running now, for a failure's summary. */
  current: string;
  /** Runs `fn` as a named, timed group of the log. */
  phase<T>(name: string, fn: () => Promise<T>): Promise<T>;
}

export function openSession(runEnv: RunEnv): Session {
  const log = runEnv.edges.log;
  const masker = runEnv.masker ?? new Masker();
  const session: Session = {
    edges: runEnv.edges,
    env: runEnv.env,
    cwd: runEnv.cwd,
    source: runEnv.source,
    log,
    masker,
    // Children are kept in the state while they run: a SIGKILLed run leaves them for post to stop.
    runner: runEnv.runner ?? createRunner(log, masker, trackProcesses(runEnv.edges)),
    runnerFor: (other) => createRunner(other, masker, trackProcesses(runEnv.edges)),
    now: runEnv.now ?? (() => new Date()),
    timings: [],
    current: '',
    async phase(name, fn) {
      const start = Date.now();
      session.current = name;
      try {
        return await log.group(name, fn);
      } finally {
        session.timings.push([name, (Date.now() - start) / 1000]);
      }
    }
  };
  return session;
}
