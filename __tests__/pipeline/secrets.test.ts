import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { maskSecrets, writeSecrets } from '../../src/pipeline/secrets.js';
import { readInputs } from '../../src/inputs/read.js';
import type { Inputs } from '../../src/plan/inputs.js';
import { Masker } from '../../src/ports.js';
import { recordingLog } from '../support/log.js';

const PEM = '-----BEGIN KEY-----\nMIIBOgIBAAJBAKj34GkxFhD9\n-----END KEY-----\n';

let workspace: string;
beforeAll(() => {
  workspace = mkdtempSync(path.join(os.tmpdir(), 'pipeline-secrets-'));
  writeFileSync(path.join(workspace, 'Dockerfile'), 'FROM scratch\n');
  writeFileSync(path.join(workspace, 'key.pem'), PEM);
});
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

function inputs(given: Record<string, string | undefined>): Inputs {
  return readInputs((name) => ({ images: 'ghcr.io/octo/app', ...given })[name] ?? '', workspace);
}

describe('maskSecrets', () => {
  test.each([
    {
      name: 'a secrets value',
      given: { secrets: 'tok=user=alice,password=s3cret' },
      env: {},
      masked: ['user=alice,password=s3cret']
    },
    {
      name: 'the variable a secret-envs item names',
      given: { 'secret-envs': 'gh=MY_TOKEN' },
      env: { MY_TOKEN: 'ghp_env_value_1' },
      masked: ['ghp_env_value_1']
    },
    {
      name: 'a multi-line secret-envs value, line by line',
      given: { 'secret-envs': 'k=MY_KEY' },
      env: { MY_KEY: 'first-line\nsecond-line' },
      masked: ['first-line\nsecond-line', 'first-line', 'second-line']
    },
    {
      name: 'a secret file, whole and line by line',
      given: { 'secret-files': 'key=key.pem' },
      env: {},
      masked: [PEM.trim(), '-----BEGIN KEY-----', 'MIIBOgIBAAJBAKj34GkxFhD9', '-----END KEY-----']
    },
    {
      name: 'a variable that is not set: nothing',
      given: { 'secret-envs': 'gh=NOT_SET' },
      env: {},
      masked: []
    },
    {
      name: 'lines shorter than 3 characters are not masked',
      given: { secrets: '"k=ab\nlonger"' },
      env: {},
      masked: ['ab\nlonger', 'longer']
    }
  ])('$name', async ({ given, env, masked }) => {
    const log = recordingLog();
    const masker = new Masker();
    await maskSecrets(inputs(given), { env, cwd: workspace }, masker, log);
    expect(log.secrets).toEqual(masked);
    // Our own log hides every registered line too.
    for (const value of masked) expect(masker.mask(`x ${value} y`)).not.toContain(value);
  });
});

describe('writeSecrets', () => {
  test('each secrets value in its own file, readable by the owner only', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pipeline-secrets-out-'));
    try {
      const paths = await writeSecrets(inputs({ secrets: 'a=one,two\n"pem=x\ny"' }), dir);
      expect(paths).toEqual({ a: path.join(dir, 'secret-a'), pem: path.join(dir, 'secret-pem') });
      expect(readFileSync(paths.a, 'utf8')).toBe('one,two');
      expect(readFileSync(paths.pem, 'utf8')).toBe('x\ny');
      expect(statSync(paths.a).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
