import type { INPUTS } from './specs.js';

/** An input's name as the table spells it: a name the table does not hold (`no-cach`) does not compile. */
type TableName = (typeof INPUTS)[number]['name'];
export type InputName = TableName;

/**
 * InputError (in plan, which cannot import this table) names only what the table holds: the table
 * adds its names to plan's InputNames by declaration merging.
 */
declare module '../plan/errors.js' {
  // An interface, not a type alias: only interfaces merge.
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface InputNames extends Record<TableName, true> {}
}
