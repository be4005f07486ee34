import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { DEFAULTS, INPUTS } from '../../src/inputs/specs.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const action = parse(readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as {
  inputs: Record<string, { description: string; default?: string }>;
};

describe('the spec table and action.yml', () => {
  test('name the same inputs in the same order', () => {
    expect(INPUTS.map((input) => input.name)).toEqual(Object.keys(action.inputs));
  });

  test.each(Object.entries(action.inputs).map(([name, spec]) => ({ name, spec })))(
    '$name: same description and default',
    ({ name, spec }) => {
      const input = INPUTS.find((i) => i.name === name);
      expect(input?.description).toBe(spec.description);
      expect(input?.default).toBe(spec.default ?? '');
    }
  );

  test('DEFAULTS holds exactly the inputs with a default', () => {
    expect(DEFAULTS).toEqual(
      Object.fromEntries(
        Object.entries(action.inputs)
          .filter(([, spec]) => (spec.default ?? '') !== '')
          .map(([name, spec]) => [name, spec.default])
      )
    );
  });
});
