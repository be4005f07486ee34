import { InputError } from '../plan/errors.js';
import { parseList } from '../plan/list.js';
import { DEFAULTS, type InputName } from './specs.js';

/* The raw inputs and the small readers every topic of read.ts shares. */

export type InputReader = (name: string) => string;

/** The raw inputs with action.yml's defaults applied, and whether the user gave one at all. */
export interface Raw {
  /** The trimmed value, or the input's default when it is empty. */
  get(name: InputName): string;
  /** The value exactly as given ('' when not given): for multi-line values that must stay as they are. */
  exact(name: InputName): string;
  given(name: InputName): boolean;
  list(name: InputName, comma?: boolean): string[];
}

export function rawInputs(read: InputReader): Raw {
  const get = (name: InputName): string => {
    const value = read(name).trim();
    return value === '' ? (DEFAULTS[name] ?? '') : value;
  };
  return {
    get,
    exact: (name) => read(name),
    given: (name) => read(name).trim() !== '',
    list: (name, comma = false) => parseList(get(name), { comma })
  };
}

// The YAML 1.2 core schema's booleans, as @actions/core's getBooleanInput accepts them: a typo fails.
export function bool(value: string, input: InputName, accepted = 'true or false'): boolean {
  if (['true', 'True', 'TRUE'].includes(value)) return true;
  if (['false', 'False', 'FALSE'].includes(value)) return false;
  throw new InputError(input, value, accepted);
}

export function oneOf<T extends string>(value: string, input: InputName, accepted: readonly T[]): T {
  if ((accepted as readonly string[]).includes(value)) return value as T;
  throw new InputError(input, value, `one of ${accepted.join(', ')}`);
}

export function integer(value: string, input: InputName, min: number, max: number): number {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max)
    throw new InputError(input, value, `a whole number from ${min} to ${max}`);
  return Number(value);
}
