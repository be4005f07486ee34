import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readInputs } from '../../src/inputs/read.js';
import type { Inputs } from '../../src/plan/inputs.js';
import { InputError } from '../../src/plan/errors.js';
import { errorOf } from '../support/errors.js';

let workspace: string;
beforeAll(() => {
  workspace = mkdtempSync(path.join(os.tmpdir(), 'secrets-test-'));
  writeFileSync(path.join(workspace, 'Dockerfile'), 'FROM scratch\n');
  writeFileSync(path.join(workspace, 'npmrc'), '//registry/:_authToken=x\n');
});
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

const IMAGE = { images: 'ghcr.io/octo/app' };

function read(given: Record<string, string | undefined>): Inputs {
  return readInputs((name) => given[name] ?? '', workspace);
}

describe('secrets: id and value', () => {
  test.each([
    { name: 'one secret', secrets: 'NPM_TOKEN=abc123', expected: [{ id: 'NPM_TOKEN', value: 'abc123' }] },
    {
      name: 'split at the first =',
      secrets: 'url=https://u:p@h/?a=b',
      expected: [{ id: 'url', value: 'https://u:p@h/?a=b' }]
    },
    { name: 'spaces around the id', secrets: '  gh.token-1_x =v', expected: [{ id: 'gh.token-1_x', value: 'v' }] },
    { name: 'an empty value', secrets: 'EMPTY=', expected: [{ id: 'EMPTY', value: '' }] },
    {
      name: 'one a line, CRLF and blank lines',
      secrets: 'NPM=a=b=c\r\n\nGH=x y',
      expected: [
        { id: 'NPM', value: 'a=b=c' },
        { id: 'GH', value: 'x y' }
      ]
    },
    {
      name: 'commas belong to the value',
      secrets: 'tok=user=alice,password=s3cret',
      expected: [{ id: 'tok', value: 'user=alice,password=s3cret' }]
    },
    {
      name: 'a JSON value',
      secrets: 'creds={"user":"u","pass":"p"}\nNPM=t',
      expected: [
        { id: 'creds', value: '{"user":"u","pass":"p"}' },
        { id: 'NPM', value: 't' }
      ]
    },
    {
      name: 'a connection string with a comma',
      secrets: 'db=postgres://u:p@h/db?a=1,2\nother=x',
      expected: [
        { id: 'db', value: 'postgres://u:p@h/db?a=1,2' },
        { id: 'other', value: 'x' }
      ]
    },
    { name: 'spaces and commas kept in the value', secrets: 'k= a, b ', expected: [{ id: 'k', value: ' a, b ' }] },
    {
      name: 'a quoted PEM block keeps its line breaks and commas',
      secrets: '"KEY=-----BEGIN KEY-----\nAAA,BBB=\n-----END KEY-----"\nNPM=t',
      expected: [
        { id: 'KEY', value: '-----BEGIN KEY-----\nAAA,BBB=\n-----END KEY-----' },
        { id: 'NPM', value: 't' }
      ]
    },
    {
      name: 'a quoted PEM block with CRLF line ends, indented as in YAML',
      secrets: '  "KEY=-----BEGIN KEY-----\r\nAAA\r\n-----END KEY-----"  \r\nNPM=t',
      expected: [
        { id: 'KEY', value: '-----BEGIN KEY-----\nAAA\n-----END KEY-----' },
        { id: 'NPM', value: 't' }
      ]
    },
    {
      name: 'a doubled quote inside a quoted item is one quote',
      secrets: '"q=say ""hi"""',
      expected: [{ id: 'q', value: 'say "hi"' }]
    },
    {
      name: 'a quote inside an unquoted value is kept',
      secrets: 'q=a"b',
      expected: [{ id: 'q', value: 'a"b' }]
    }
  ])('$name', ({ secrets, expected }) => {
    expect(read({ ...IMAGE, secrets }).secrets).toEqual(expected);
  });

  test.each([
    { name: 'no =', secrets: 'OK=1\njustavalue' },
    { name: 'no id', secrets: '=value' },
    { name: 'a space in the id', secrets: 'my token=v' },
    { name: 'a slash in the id', secrets: 'a/b=v' }
  ])('rejects $name, naming the item but not its text', ({ secrets }) => {
    const error = errorOf(InputError, () => read({ ...IMAGE, secrets }));
    expect(error.input).toBe('secrets');
    expect(error.value).toMatch(/^item \d \(value not shown\)$/);
    expect(error.message).toContain('lines of id=value, the id made of letters, digits, _ . -');
  });

  test('rejects an unclosed quote, naming where it starts but not its text', () => {
    const error = errorOf(InputError, () => read({ ...IMAGE, secrets: 'A=1\n"KEY=-----BEGIN KEY-----\nAAA' }));
    expect(error.message).toBe(
      'input "secrets": "item 2 (value not shown)" is not accepted; expected a closing " at the end of a line for the quoted item that starts on line 2'
    );
  });

  test.each([
    { name: 'no = (the value given alone)', secrets: 'ghp_R2d2C3poBb8Ig88Ackbar' },
    { name: 'no id before the =', secrets: '=ghp_R2d2C3poBb8Ig88Ackbar' },
    { name: 'a bad id', secrets: 'bad id=ghp_R2d2C3poBb8Ig88Ackbar' }
  ])('the error for $name never shows the secret', ({ secrets }) => {
    const error = errorOf(InputError, () => read({ ...IMAGE, secrets }));
    expect(error.message).toContain('input "secrets"');
    expect(error.message).not.toContain('R2d2');
  });
});

describe('secret-envs and secret-files', () => {
  test.each([
    { name: 'nothing', given: {}, envs: [], files: [] },
    {
      name: 'an env secret',
      given: { 'secret-envs': 'gh=GITHUB_TOKEN' },
      envs: [{ id: 'gh', env: 'GITHUB_TOKEN' }],
      files: []
    },
    {
      name: 'env secrets comma separated',
      given: { 'secret-envs': 'a=A, b=B_2' },
      envs: [
        { id: 'a', env: 'A' },
        { id: 'b', env: 'B_2' }
      ],
      files: []
    },
    {
      name: 'a file secret',
      given: { 'secret-files': 'npmrc=npmrc' },
      envs: [],
      files: [{ id: 'npmrc', path: 'npmrc' }]
    },
    {
      name: 'an absolute path',
      given: { 'secret-files': `cfg=${path.join(os.tmpdir())}` },
      envs: [],
      files: [{ id: 'cfg', path: os.tmpdir() }]
    }
  ])('$name', ({ given, envs, files }) => {
    const inputs = read({ ...IMAGE, ...given });
    expect(inputs.secretEnvs).toEqual(envs);
    expect(inputs.secretFiles).toEqual(files);
  });

  test.each([
    {
      name: 'secret-envs without =',
      given: { 'secret-envs': 'GITHUB_TOKEN' },
      input: 'secret-envs',
      value: 'GITHUB_TOKEN',
      accepted: 'id=value pairs'
    },
    {
      name: 'secret-envs naming no variable',
      given: { 'secret-envs': 'gh=$TOKEN' },
      input: 'secret-envs',
      value: 'gh=$TOKEN',
      accepted: 'id=ENV_NAME'
    },
    {
      name: 'secret-files without id',
      given: { 'secret-files': '=npmrc' },
      input: 'secret-files',
      value: '=npmrc',
      accepted: 'id=value pairs'
    },
    {
      name: 'secret-files naming a missing file',
      given: { 'secret-files': 'npmrc=no/such/file' },
      input: 'secret-files',
      value: 'npmrc=no/such/file',
      accepted: 'id=path of an existing file'
    }
  ])('rejects $name', ({ given, input, value, accepted }) => {
    const error = errorOf(InputError, () => read({ ...IMAGE, ...given }));
    expect(error.input).toBe(input);
    expect(error.value).toBe(value);
    expect(error.message).toContain(accepted);
  });
});
