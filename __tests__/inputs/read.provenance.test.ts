import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readInputs } from '../../src/inputs/read.js';
import { InputError } from '../../src/plan/errors.js';

let workspace: string;
beforeAll(() => {
  workspace = mkdtempSync(path.join(os.tmpdir(), 'provenance-test-'));
  writeFileSync(path.join(workspace, 'Dockerfile'), 'FROM scratch\n');
});
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

function provenance(given: Record<string, string | undefined>): string {
  return readInputs((name) => ({ images: 'ghcr.io/octo/app', ...given })[name] ?? '', workspace).build.provenance;
}

const ACCEPTED =
  'true, false, or key=value options, comma separated: mode=min|max, builder-id=<url>, version=v0.2|v1, inline-only=, reproducible=, disabled= (true|false)';

describe('provenance', () => {
  test.each([
    { name: 'empty: mode=min', given: {}, expected: 'mode=min' },
    { name: 'empty with load: off', given: { load: 'true', push: 'false' }, expected: 'false' },
    { name: 'false', given: { provenance: 'false' }, expected: 'false' },
    { name: 'True', given: { provenance: 'True' }, expected: 'true' },
    { name: 'mode=min', given: { provenance: 'mode=min' }, expected: 'mode=min' },
    { name: 'mode=max', given: { provenance: 'mode=max' }, expected: 'mode=max' },
    {
      name: 'mode=max with a builder id',
      given: { provenance: 'mode=max,builder-id=https://github.com/octo/app/actions/runs/1' },
      expected: 'mode=max,builder-id=https://github.com/octo/app/actions/runs/1'
    },
    {
      name: 'a builder id with a query',
      given: { provenance: 'builder-id=https://ci/x?a=b' },
      expected: 'builder-id=https://ci/x?a=b'
    },
    {
      name: 'version and inline-only',
      given: { provenance: 'mode=max,version=v1,inline-only=true' },
      expected: 'mode=max,version=v1,inline-only=true'
    },
    { name: 'disabled=true', given: { provenance: 'disabled=true' }, expected: 'disabled=true' },
    {
      name: 'explicit mode=max with load is kept',
      given: { load: 'true', push: 'false', provenance: 'mode=max' },
      expected: 'mode=max'
    }
  ])('$name → $expected', ({ given, expected }) => {
    expect(provenance(given)).toBe(expected);
  });

  test.each([
    { name: 'maybe', value: 'maybe' },
    { name: 'a mode buildx does not have', value: 'mode=full' },
    { name: 'an unknown key', value: 'mode=max,level=3' },
    { name: 'a key without a value', value: 'mode' },
    { name: 'an empty builder id', value: 'builder-id=' },
    { name: 'a trailing comma', value: 'mode=max,' },
    { name: 'tRuE', value: 'tRuE' }
  ])('$name is refused before anything runs', ({ value }) => {
    let error: unknown;
    try {
      provenance({ provenance: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toBe(
      `input "provenance": ${JSON.stringify(value)} is not accepted; expected ${ACCEPTED}`
    );
  });
});
