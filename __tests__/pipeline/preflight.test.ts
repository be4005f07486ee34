import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readInputs } from '../../src/inputs/read.js';
import { InputError } from '../../src/plan/errors.js';
import { makePlan, type Plan } from '../../src/plan/plan.js';
import { nativePlatform } from '../../src/plan/platforms.js';
import { preflight, pushCheckRequest } from '../../src/pipeline/preflight.js';
import { registryOptions } from '../../src/pipeline/run.js';
import { openSession } from '../../src/pipeline/session.js';
import type { Inputs } from '../../src/plan/inputs.js';
import type { Runner } from '../../src/ports.js';
import { ExecError } from '../../src/tools/exec.js';
import { memoryEdges } from '../support/edges.js';
import { CONTEXT, IDS, stepOf } from './support/plans.js';
import { NOW, World } from './support/world.js';

// The preflight, before any build minute: push access to every repository (an upload session
// opened and cancelled), and with sign: key the key decrypted with its password.

let w: World;
let dir: string;
beforeAll(async () => {
  w = await World.start();
  dir = mkdtempSync(path.join(os.tmpdir(), 'preflight-'));
  writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\n');
});
afterAll(async () => {
  await w.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => w.reset());

const PEM = '-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nc2VjcmV0\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----';
const mirror = () => `${w.registry.host}/mirror/app`;

function planOf(given: Record<string, string>): { plan: Plan; inputs: Inputs } {
  const all: Record<string, string> = { qemu: 'false', platforms: 'linux/amd64', ...given };
  const inputs = readInputs((name) => all[name] ?? '', dir);
  const plan = makePlan(inputs, CONTEXT, nativePlatform('x64', 'linux'), NOW, {
    ...IDS,
    cosignDir: path.join(dir, 'cosign')
  });
  return { plan, inputs };
}

/** cosign at the process seam: `public-key` decrypts only with the password `right`. */
function fakeCosign(calls: string[]): Runner {
  return async (command, args, options = {}) => {
    calls.push([command, ...args].join(' '));
    if (args[0] === 'version') return { code: 0, stdout: 'GitVersion:    v2.6.1\n', stderr: '' };
    if (args[0] === 'public-key' && options.env?.COSIGN_PASSWORD !== 'right') {
      const result = {
        code: 1,
        stdout: '',
        stderr:
          'Error: decrypt: encrypted: decryption failed\nmain.go:74: error during command execution: decrypt: encrypted: decryption failed\n'
      };
      if (options.allowFailure) return result;
      throw new ExecError('cosign public-key', result);
    }
    return { code: 0, stdout: '', stderr: '' };
  };
}

async function runPreflight(given: Record<string, string>, runner: Runner = w.buildx.runner) {
  const { plan, inputs } = planOf({ images: w.image, ...given });
  const mem = memoryEdges();
  const session = openSession({ edges: mem, env: { PATH: '/usr/bin' }, cwd: dir, runner });
  const done = preflight(session, stepOf(plan, 'preflight'), inputs.signing, 0, registryOptions({}, runner, 0));
  return { done, mem };
}

describe('preflight: push access to every repository', () => {
  test('an upload session opened and cancelled in each repository; each request logged', async () => {
    const { done, mem } = await runPreflight({ images: `${w.image}\n${mirror()}` });
    await done;

    expect([...w.requests()].sort()).toEqual([
      'DELETE /v2/acme/app/blobs/uploads/session-1',
      'DELETE /v2/mirror/app/blobs/uploads/session-1',
      'POST /v2/acme/app/blobs/uploads/',
      'POST /v2/mirror/app/blobs/uploads/'
    ]);
    expect(mem.log.infos.map((l) => w.normalise(l)).sort()).toEqual([
      '[request] POST <registry>/acme/app/blobs/uploads/ (push access; the session is cancelled at once)',
      '[request] POST <registry>/mirror/app/blobs/uploads/ (push access; the session is cancelled at once)'
    ]);
    expect(w.buildx.calls).toEqual([]);
  });

  test.each([
    {
      name: '403 on the upload POST of one repository',
      answer: 403,
      refused: ['mirror'],
      line: (host: string) =>
        `- ${host}/mirror/app: ${host} denied the push (403): the credentials are valid but may not push here`
    },
    {
      name: '401 with no credentials configured, in both repositories',
      answer: 401,
      refused: ['acme', 'mirror'],
      line: (host: string) => `- ${host}/acme/app: ${host} asks for credentials and none are configured for it`
    }
  ])('$name: fails naming the repository, before anything is built', async ({ answer, refused, line }) => {
    w.registry.answer = (req, res, seen) =>
      seen.method === 'POST' && refused.some((r) => seen.url.startsWith(`/v2/${r}/`))
        ? void res
            .writeHead(answer, answer === 401 ? { 'WWW-Authenticate': 'Basic realm="r"' } : {})
            .end('{"errors":[{"code":"DENIED"}]}')
        : w.registry.fromStore(req, res, seen);

    const { done } = await runPreflight({ images: `${w.image}\n${mirror()}` });
    const error = (await done.catch((e: unknown) => e)) as Error;

    const host = w.registry.host;
    expect(error.message.split('\n')[0]).toBe(
      `no push access to ${refused.length === 1 ? 'this repository' : 'these repositories'}; nothing was built and no tag moved:`
    );
    expect(error.message.split('\n')).toContain(line(host));
    expect(error.message.split('\n').at(-1)).toBe(
      `Log in to ${host} before this step (docker/login-action on GitHub; docker login or a DOCKER_CONFIG holding credentials elsewhere), with a token that may push (on GHCR: permissions: packages: write).`
    );
    expect(w.buildx.calls).toEqual([]);
  });

  test('an auth scheme only buildx knows: not checked, logged once, the push will tell', async () => {
    w.registry.answer = (req, res, seen) =>
      seen.method === 'POST'
        ? void res.writeHead(401, { 'WWW-Authenticate': 'Negotiate' }).end()
        : w.registry.fromStore(req, res, seen);

    const { done, mem } = await runPreflight({});
    await expect(done).resolves.toBeUndefined();

    expect(mem.log.infos.map((l) => w.normalise(l))).toEqual([
      '[request] POST <registry>/acme/app/blobs/uploads/ (push access; the session is cancelled at once)',
      'push access to <registry>/acme/app not checked before the build (<registry> asks for an unsupported authentication (Negotiate)); the push will tell'
    ]);
  });

  test('a 503 is tried again', async () => {
    w.registry.once = [(_q, res) => void res.writeHead(503, { 'Retry-After': '0' }).end()];

    const { done } = await runPreflight({});
    await done;

    expect(w.requests()).toEqual([
      'POST /v2/acme/app/blobs/uploads/',
      'POST /v2/acme/app/blobs/uploads/',
      'DELETE /v2/acme/app/blobs/uploads/session-1'
    ]);
  });

  test('pushCheckRequest: the line the log and the dry run show', () => {
    expect(pushCheckRequest('ghcr.io/octo/app')).toBe(
      'POST ghcr.io/octo/app/blobs/uploads/ (push access; the session is cancelled at once)'
    );
  });
});

describe('preflight: sign: key decrypts with its password, before any build', () => {
  test('the right password: cosign derives the public key, and the preflight says so', async () => {
    const calls: string[] = [];
    const runner = fakeCosign(calls);
    const { done, mem } = await runPreflight({ sign: 'key', 'sign-key': PEM, 'sign-key-password': 'right' }, runner);
    await done;

    expect(calls.map((c) => c.split(dir).join('<dir>'))).toEqual([
      'cosign version',
      'cosign public-key --key <dir>/cosign/cosign.key --outfile <dir>/cosign/cosign.pub'
    ]);
    expect(mem.log.infos).toContain('sign-key decrypts with its password: the release can be signed');
  });

  test('a wrong password is an InputError naming sign-key-password; no build command ran', async () => {
    const calls: string[] = [];
    const { done } = await runPreflight(
      { sign: 'key', 'sign-key': PEM, 'sign-key-password': 'wrong' },
      fakeCosign(calls)
    );
    const error = await done.catch((e: unknown) => e);

    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toBe(
      'input "sign-key-password": "(not shown)" is not accepted; expected the password sign-key was encrypted with: cosign could not decrypt the key with it (Error: decrypt: encrypted: decryption failed); nothing was built'
    );
    expect((error as Error).message).not.toContain('wrong');
    expect(calls.filter((c) => c.includes('buildx'))).toEqual([]);
  });

  test('a key cosign cannot read (no such file) is an InputError naming sign-key', async () => {
    const runner: Runner = async (_command, args) => {
      if (args[0] === 'version') return { code: 0, stdout: 'GitVersion:    v2.6.1\n', stderr: '' };
      throw new ExecError('cosign public-key', {
        code: 1,
        stdout: '',
        stderr: 'Error: open /nowhere/cosign.key: no such file or directory\n'
      });
    };
    const keyFile = path.join(dir, 'cosign.key');
    writeFileSync(keyFile, `${PEM}\n`);

    const { done } = await runPreflight({ sign: 'key', 'sign-key': 'cosign.key' }, runner);
    const error = await done.catch((e: unknown) => e);

    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toBe(
      'input "sign-key": "(not shown)" is not accepted; expected a cosign private key (PEM text, a file, or a KMS URI) that cosign can read: Error: open /nowhere/cosign.key: no such file or directory; nothing was built'
    );
  });
});
