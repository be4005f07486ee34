/**
 * The names InputError may name: every input of the spec table (inputs/specs.ts adds its names
 * here by declaration merging, as plan sits below inputs and cannot import the table), and the
 * environment variables read as inputs.
 */
export interface InputNames {
  /** The build's clock, read like an input (inputs/git.ts). */
  SOURCE_DATE_EPOCH: true;
  /** The command line's own flags, where git cannot say (plan/revision.ts). */
  revision: true;
  ref: true;
}
export type InputName = keyof InputNames;

/**
 * A bad input value, caught before any build or push. The message always names the input,
 * the value given and what is accepted, so a user can fix the workflow without reading code.
 */
export class InputError extends Error {
  constructor(
    readonly input: InputName,
    readonly value: string,
    readonly accepted: string
  ) {
    super(`input "${input}": ${JSON.stringify(value)} is not accepted; expected ${accepted}`);
    this.name = 'InputError';
  }
}
