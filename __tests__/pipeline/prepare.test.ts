import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeWorkspace, readAndMask, readContext } from '../../src/pipeline/prepare.js';
import { InputError } from '../../src/plan/errors.js';
import { openSession } from '../../src/pipeline/session.js';
import { memoryEdges } from '../support/edges.js';
import { CONTEXT } from './support/plans.js';
import { recordingLog } from '../support/log.js';
import { createRunner } from '../../src/tools/exec.js';
import { Masker, type Runner } from '../../src/ports.js';

// Before the plan: inputs read with their secrets masked, the context, the run's private directory.

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'prepare-'));
  writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function session(inputs: Record<string, string>, env: NodeJS.ProcessEnv = {}, runner?: Runner) {
  const mem = memoryEdges({ images: 'registry.test/acme/app', ...inputs });
  return {
    mem,
    session: openSession({
      edges: mem,
      env,
      cwd: dir,
      runner: runner ?? (async () => Promise.reject(new Error('no process expected')))
    })
  };
}

test('readAndMask: every secret value is masked, a multi-line one line by line, before anything prints', async () => {
  const key = '-----BEGIN KEY-----\nMIIEvQIBADANBg\n-----END KEY-----';
  const { mem, session: s } = session({ secrets: `npm=s3cr3t-token\n"key=${key}"\nshort=ab` });

  const inputs = await readAndMask(s);

  expect(inputs.secrets).toEqual([
    { id: 'npm', value: 's3cr3t-token' },
    { id: 'key', value: key },
    { id: 'short', value: 'ab' }
  ]);
  expect(mem.log.secrets).toEqual(['s3cr3t-token', key, '-----BEGIN KEY-----', 'MIIEvQIBADANBg', '-----END KEY-----']);
  expect(s.masker.mask(`token s3cr3t-token and MIIEvQIBADANBg`)).toBe('token *** and ***');
});

describe('readContext', () => {
  test('from the workflow event when GITHUB_EVENT_PATH is set (auto)', async () => {
    const event = path.join(dir, 'event.json');
    writeFileSync(event, JSON.stringify({ head_commit: { id: CONTEXT.sha, timestamp: '2024-02-01T10:00:00Z' } }));
    const { mem, session: s } = session(
      {},
      { GITHUB_EVENT_PATH: event, GITHUB_EVENT_NAME: 'push', GITHUB_REF: 'refs/heads/main', GITHUB_SHA: CONTEXT.sha }
    );

    const context = await readContext(s, await readAndMask(s));

    expect([context.eventName, context.ref, context.sha]).toEqual(['push', 'refs/heads/main', CONTEXT.sha]);
    expect(mem.log.infos).toEqual(['push refs/heads/main at 860c1904a1ce (workflow)']);
  });

  test('from the local checkout with metadata-source git', async () => {
    const repo = path.join(dir, 'repo');
    const git = (...args: string[]) =>
      execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
        encoding: 'utf8'
      }).trim();
    execFileSync('git', ['init', '-q', '-b', 'main', repo]);
    writeFileSync(path.join(repo, 'Dockerfile'), 'FROM scratch\n');
    git('add', '.');
    git('commit', '-q', '-m', 'first');
    const sha = git('rev-parse', 'HEAD');
    // git runs through the process seam: a real runner, its own log.
    const { mem, session: s } = session(
      { 'metadata-source': 'git' },
      { GITHUB_WORKSPACE: 'repo', GITHUB_RUN_ID: '42', PATH: process.env.PATH },
      createRunner(recordingLog(), new Masker())
    );

    const context = await readContext(s, await readAndMask(s));

    expect([context.eventName, context.ref, context.sha, context.runId]).toEqual(['git', 'refs/heads/main', sha, '42']);
    expect(mem.log.infos).toEqual([`git refs/heads/main at ${sha.slice(0, 12)} (git)`]);
  });
});

test('makeWorkspace: a private directory with the secret files and the inline buildkitd config, and the names the plan uses', async () => {
  const temp = path.join(dir, 'runner-temp');
  writeFileSync(path.join(dir, 'cert.pem'), 'a certificate\n');
  const { session: s } = session(
    {
      secrets: 'npm=s3cr3t-token',
      'secret-envs': 'gh=GH_TOKEN',
      'secret-files': 'cert=cert.pem',
      'buildkitd-config-inline': '[registry."registry.test"]\n  mirrors = ["mirror.test"]',
      'run-id': 'nightly-7'
    },
    { RUNNER_TEMP: temp, GH_TOKEN: 'gh-value' }
  );
  const inputs = await readAndMask(s);

  const workspace = await makeWorkspace(s, inputs, { ...CONTEXT, runId: '7001', runAttempt: '2' });

  const t = workspace.tempDir;
  expect(path.dirname(t)).toBe(temp);
  expect(path.basename(t)).toMatch(/^multiarch-[A-Za-z0-9]{6}$/);
  expect(workspace.ids.builderName).toMatch(/^multiarch-7001-2-[0-9a-f]{6}$/);
  expect({ ...workspace.ids, builderName: '' }).toEqual({
    builderName: '',
    metadataFile: path.join(t, 'metadata.json'),
    secretPaths: { npm: path.join(t, 'secret-npm') },
    runId: 'nightly-7',
    cosignDir: path.join(t, 'cosign'),
    inlineBuildkitdConfig: path.join(t, 'buildkitd.toml')
  });
  expect(readFileSync(path.join(t, 'secret-npm'), 'utf8')).toBe('s3cr3t-token');
  expect(statSync(path.join(t, 'secret-npm')).mode & 0o777).toBe(0o600);
  expect(readFileSync(path.join(t, 'buildkitd.toml'), 'utf8')).toBe(
    '[registry."registry.test"]\n  mirrors = ["mirror.test"]'
  );
});

test('makeWorkspace: outside a workflow, the builder is named local and the run id comes from the context', async () => {
  const { session: s } = session({}, { RUNNER_TEMP: path.join(dir, 'runner-temp') });

  const workspace = await makeWorkspace(s, await readAndMask(s), { ...CONTEXT, runId: '', runAttempt: '' });

  expect(workspace.ids.builderName).toMatch(/^multiarch-local-1-[0-9a-f]{6}$/);
  expect([workspace.ids.runId, workspace.ids.inlineBuildkitdConfig, workspace.ids.secretPaths]).toEqual([
    '',
    undefined,
    {}
  ]);
  // Not signing keylessly: no signer to name.
  expect(workspace.ids.signer).toBeUndefined();
});

test('makeWorkspace: sign: keyless names the signer from the workflow ref and server, for the verification', async () => {
  const { session: s } = session(
    { sign: 'keyless' },
    {
      RUNNER_TEMP: path.join(dir, 'runner-temp'),
      GITHUB_ACTIONS: 'true',
      ACTIONS_ID_TOKEN_REQUEST_URL: 'https://token.test/request',
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-token',
      GITHUB_WORKFLOW_REF: 'octo/app/.github/workflows/release.yml@refs/tags/v1.2.3',
      GITHUB_SERVER_URL: 'https://git.example.com/'
    }
  );

  const workspace = await makeWorkspace(s, await readAndMask(s), CONTEXT);

  expect([workspace.ids.cosignDir, workspace.ids.signer]).toEqual([
    path.join(workspace.tempDir, 'cosign'),
    {
      identityRegexp: '^https://git\\.example\\.com/octo/app/\\.github/workflows/release\\.yml@refs/.+$',
      issuer: 'https://token.actions.githubusercontent.com'
    }
  ]);
});

test('readAndMask: secret-envs naming a variable that is not set is refused, naming the input, the id and the variable', async () => {
  const { session: s } = session({ 'secret-envs': 'gh=GH_TOKEN\nnpm=NPM_TOKEN' }, { GH_TOKEN: 'x' });

  await expect(readAndMask(s)).rejects.toThrow(
    new InputError(
      'secret-envs',
      'npm=NPM_TOKEN',
      "a variable set in the step's environment: NPM_TOKEN is not set (give it with env: on the step, or export it)"
    )
  );
});

test('readAndMask: secret-envs naming a variable set but empty (a fork pull request) builds on, with a warning', async () => {
  const { mem, session: s } = session({ 'secret-envs': 'gh=GH_TOKEN' }, { GH_TOKEN: '' });

  await readAndMask(s);

  expect(mem.log.warnings).toEqual([
    'secret-envs: GH_TOKEN is set but empty (as on a pull request from a fork, which gets no secrets): the secret gh is empty'
  ]);
});

test.each(['yes', 'on', 'TrUe', 'type=provenance', 'generator=', 'disabled=maybe', 'generator=img,scan'])(
  'readAndMask: sbom %j, which buildx would refuse or read as another attestation, is refused before anything runs',
  async (value) => {
    const { session: s } = session({ sbom: value });

    await expect(readAndMask(s)).rejects.toThrow(
      `input "sbom": ${JSON.stringify(value)} is not accepted; expected true or false`
    );
  }
);

test.each(['true', 'false', '1', '0', 'True', 'generator=docker/buildkit-syft-scanner:1', 'disabled=true'])(
  'readAndMask: sbom %j, which buildx reads as a boolean or options, is accepted',
  async (value) => {
    const { session: s } = session({ sbom: value });

    await expect(readAndMask(s)).resolves.toMatchObject({ build: { sbom: value } });
  }
);
