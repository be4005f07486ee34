/**
 * A bad input value, caught before any build or push. The message always names the input,
 * the value given and what is accepted, so a user can fix the workflow without reading code.
 */
export class InputError extends Error {
  constructor(
    readonly input: string,
    readonly value: string,
    readonly accepted: string
  ) {
    super(`input "${input}": ${JSON.stringify(value)} is not accepted; expected ${accepted}`);
    this.name = 'InputError';
  }
}
