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
  saveState(name: string, value: string): void;
  getState(name: string): string;
  /** Markdown appended to the job summary (no-op where there is none). */
  summary(markdown: string): Promise<void>;
}

/** Collects secrets and masks them in any text before it is printed, whatever prints it. */
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
    return out;
  }
}
