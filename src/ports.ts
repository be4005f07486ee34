/**
 * The edges the pipeline talks to: the action implements them with @actions/core, the command
 * line with the terminal. Everything between the edges is the same code.
 */
export interface Log {
  info(message: string): void;
  warning(message: string): void;
  debug(message: string): void;
  /** A collapsible group in the Actions log; a headed block with elapsed time on a terminal. */
  group<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** Hide a value in everything the process prints from now on. */
  setSecret(value: string): void;
}

export interface Edges {
  log: Log;
  /** Raw input text ('' when not given), by the action's input name. */
  input(name: string): string;
  setOutput(name: string, value: string): void;
  /** An environment variable for the job's later steps (the action only: GITHUB_ENV). */
  exportVariable?(name: string, value: string): void;
  saveState(name: string, value: string): void;
  getState(name: string): string;
  /** Markdown appended to the job summary (no-op where there is none). */
  summary(markdown: string): Promise<void>;
}

/** The one seam for processes (tools/exec.ts implements it): git, buildx, QEMU and credential helpers all go through it. */
export type Runner = (command: string, args: string[], options?: RunOptions) => Promise<RunResult>;

export interface RunOptions {
  /** Written to the child's stdin, then closed: how credentials reach a process, never argv. */
  input?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Do not echo the child's output line by line (it is still returned). */
  quiet?: boolean;
  /** Return a non-zero exit as a result instead of throwing. */
  allowFailure?: boolean;
  /** Kill the child when it prints nothing for this long: a stalled push must not hang the job. */
  stallMs?: number;
  /**
   * Told each line the child prints (stdout and stderr); returns whether the stall timer runs
   * now. Without it the timer always runs: silence alone is a stall. A build uses it to stop the
   * timer while a step works silently.
   */
  watch?: (line: string) => boolean;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Credentials in a URL that a context, endpoint, mirror or proxy may carry: `scheme://user:secret@`
 * in any scheme, and `http(s)://token@` (a token given as the user name). Not a plain user
 * (`ssh://git@host`), nor a digest (`docker-image://name@sha256:…`).
 */
const URL_CREDENTIALS =
  /\b((?:[a-z][a-z0-9+.-]*:\/\/)(?=[^\s/@'"]*:[^\s/@'"]*@)|(?:https?|git\+https?):\/\/)[^\s/@'"]+@(?!sha256:)/gi;

/**
 * Collects secrets and masks them in any text before it is printed, whatever prints it. The
 * userinfo of every URL is redacted too, as BuildKit does (`https://xxxxx:xxxxx@host/…`), whether
 * or not it was registered as a secret.
 */
export class Masker {
  private readonly secrets = new Set<string>();

  add(value: string | undefined): void {
    if (!value) return;
    for (const part of [value, ...value.split(/\r?\n/)]) {
      // Masking one or two characters would shred the whole log and hide nothing worth hiding.
      if (part.trim().length >= 3) this.secrets.add(part.trim());
    }
  }

  mask(text: string): string {
    let out = text;
    for (const secret of [...this.secrets].sort((a, b) => b.length - a.length)) {
      out = out.split(secret).join('***');
    }
    return out.replace(URL_CREDENTIALS, '$1xxxxx:xxxxx@');
  }
}
