import { InputError } from '../plan/errors.js';
import { parseList } from '../plan/list.js';
import { DEFAULTS } from './specs.js';

export type InputReader = (name: string) => string;

/** The raw inputs with action.yml's defaults applied, and whether the user gave one at all. */
export interface Raw {
  /** The trimmed value, or the input's default when it is empty. */
  get(name: string): string;
  /** The value exactly as given ('' when not given): for multi-line values that must stay as they are. */
  exact(name: string): string;
  given(name: string): boolean;
  list(name: string, comma?: boolean): string[];
}

export function rawInputs(read: InputReader): Raw {
  const get = (name: string): string => {
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
export function bool(value: string, input: string, accepted = 'true or false'): boolean {
  if (['true', 'True', 'TRUE'].includes(value)) return true;
  if (['false', 'False', 'FALSE'].includes(value)) return false;
  throw new InputError(input, value, accepted);
}

export function oneOf<T extends string>(value: string, input: string, accepted: readonly T[]): T {
  if ((accepted as readonly string[]).includes(value)) return value as T;
  throw new InputError(input, value, `one of ${accepted.join(', ')}`);
}
