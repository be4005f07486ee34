import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { DEFAULTS, INPUTS, type InputName } from '../../src/inputs/specs.js';

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

describe('input names are typed from the table', () => {
  test('a name the table holds compiles, a misspelt one does not (npm run typecheck fails on an unused expect-error)', () => {
    const names: InputName[] = ['no-cache', 'platforms', 'attestation-format'];
    // @ts-expect-error: "no-cach" is not an input; if InputName widened to string, this line would fail to compile.
    const misspelt: InputName = 'no-cach';
    expect(INPUTS.map((input) => input.name)).toEqual(expect.arrayContaining(names));
    expect(INPUTS.map((input) => input.name as string)).not.toContain(misspelt);
  });
});
