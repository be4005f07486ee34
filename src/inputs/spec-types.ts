/** The kinds of input and the shape of one row of the spec table (specs.ts). */
export type InputKind =
  /** one value; a flag given twice is an error */
  | 'string'
  /** one item a line: each occurrence of the flag adds a line */
  | 'list'
  /** true or false: `--name` alone is true, `--no-name` false */
  | 'boolean';

export interface InputSpec {
  name: string;
  kind: InputKind;
  /** action.yml's default ('' when none): what an input left empty reads as. */
  default: string;
  description: string;
}
