/**
 * sign: keyless needs the job's OIDC token and the workflow that signs: without them the run
 * stops while reading its inputs, before anything is built, saying what to add.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InputError } from '../../src/plan/errors.js';
import { readAndMask } from '../../src/pipeline/prepare.js';
import { openSession } from '../../src/pipeline/session.js';
import type { Edges } from '../../src/ports.js';

let workspace: string;
beforeAll(() => {
  workspace = mkdtempSync(path.join(os.tmpdir(), 'keyless-'));
  writeFileSync(path.join(workspace, 'Dockerfile'), 'FROM scratch\n');
});
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

function edges(inputs: Record<string, string>): Edges {
  return {
    log: {
      info: () => undefined,
      warning: () => undefined,
      debug: () => undefined,
      group: (_name, fn) => fn(),
      setSecret: () => undefined
    },
    input: (name) => inputs[name] ?? '',
    setOutput: () => undefined,
    saveState: () => undefined,
    getState: () => '',
    summary: async () => undefined
  };
}

const TOKEN = { ACTIONS_ID_TOKEN_REQUEST_URL: 'https://token.example/x', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 't' };
const WORKFLOW = { GITHUB_WORKFLOW_REF: 'acme/app/.github/workflows/release.yml@refs/tags/v1' };

describe('sign: keyless is checked before any build', () => {
  test.each([
    {
      name: 'a GitHub job without id-token: write',
      env: { GITHUB_ACTIONS: 'true', ...WORKFLOW },
      message:
        'input "sign": "keyless" is not accepted; expected key or false here, because sign: keyless needs the job to grant `permissions: id-token: write` (ACTIONS_ID_TOKEN_REQUEST_URL is not set); add it to the job, or use sign: key'
    },
    {
      name: 'outside GitHub Actions',
      env: {},
      message:
        'input "sign": "keyless" is not accepted; expected key or false here, because sign: keyless signs with the GitHub Actions OIDC token, which exists only in a GitHub Actions job; use sign: key with sign-key here'
    },
    {
      name: 'a token but no workflow ref to name the signer',
      env: { GITHUB_ACTIONS: 'true', ...TOKEN },
      message:
        'input "sign": "keyless" is not accepted; expected key or false here: GITHUB_WORKFLOW_REF is not set, so the signer cannot be named'
    }
  ])('$name', async ({ env, message }) => {
    const session = openSession({ edges: edges({ images: 'ghcr.io/acme/app', sign: 'keyless' }), env, cwd: workspace });
    const failure = readAndMask(session);
    await expect(failure).rejects.toThrow(InputError);
    await expect(failure).rejects.toThrow(message);
  });

  test('a job with the token and its workflow ref goes ahead', async () => {
    const env = { GITHUB_ACTIONS: 'true', ...TOKEN, ...WORKFLOW };
    const session = openSession({ edges: edges({ images: 'ghcr.io/acme/app', sign: 'keyless' }), env, cwd: workspace });
    expect((await readAndMask(session)).signing.mode).toBe('keyless');
  });
});
