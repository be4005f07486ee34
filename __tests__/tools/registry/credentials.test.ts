import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunOptions, RunResult, Runner } from '../../../src/ports.js';
import { credentialsFor } from '../../../src/tools/registry/credentials.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'credentials-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A runner standing in for credential helpers: records each call, answers with `stdout`. */
function helperRunner(stdout: string): { run: Runner; calls: Array<{ command: string; args: string[] } & RunOptions> } {
  const calls: Array<{ command: string; args: string[] } & RunOptions> = [];
  const run: Runner = async (command, args, options = {}): Promise<RunResult> => {
    calls.push({ command, args, ...options });
    return { code: 0, stdout, stderr: '' };
  };
  return { run, calls };
}

function config(value: unknown): NodeJS.ProcessEnv {
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(value));
  return { DOCKER_CONFIG: dir };
}

describe('credentialsFor', () => {
  test.each([
    { name: 'the key docker login writes', key: 'https://index.docker.io/v1/' },
    { name: 'index.docker.io', key: 'index.docker.io' },
    { name: 'docker.io', key: 'docker.io' }
  ])('Docker Hub credentials stored under $name', async ({ key }) => {
    const { run } = helperRunner('');
    const env = config({ auths: { [key]: { username: 'hubuser', password: 'hubpass' } } });

    await expect(credentialsFor('registry-1.docker.io', { env, run })).resolves.toEqual({
      username: 'hubuser',
      password: 'hubpass'
    });
  });

  test('a Docker Hub credsStore is asked under the key docker login uses, on stdin, quietly', async () => {
    const { run, calls } = helperRunner('{"Secret":"s3cret-no-user"}');
    const env = config({ credsStore: 'desktop' });

    await expect(credentialsFor('registry-1.docker.io', { env, run })).resolves.toEqual({
      username: '',
      password: 's3cret-no-user'
    });
    expect(calls).toEqual([
      {
        command: 'docker-credential-desktop',
        args: ['get'],
        input: 'https://index.docker.io/v1/',
        quiet: true,
        allowFailure: true,
        env
      }
    ]);
  });

  test('a helper answer without a Secret is no credentials', async () => {
    const { run } = helperRunner('{"Username":"u"}');
    const env = config({ credHelpers: { 'ghcr.io': 'gh' } });

    await expect(credentialsFor('ghcr.io', { env, run })).resolves.toBe(undefined);
  });

  test('an auth entry without a colon is skipped', async () => {
    const { run } = helperRunner('');
    const env = config({ auths: { 'ghcr.io': { auth: Buffer.from('nocolon').toString('base64') } } });

    await expect(credentialsFor('ghcr.io', { env, run })).resolves.toBe(undefined);
  });
});
