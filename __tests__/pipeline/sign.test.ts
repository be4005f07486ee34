import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readInputs } from '../../src/inputs/read.js';
import { makePlan } from '../../src/plan/plan.js';
import { nativePlatform } from '../../src/plan/platforms.js';
import { sign } from '../../src/pipeline/sign.js';
import { openSession } from '../../src/pipeline/session.js';
import type { Runner } from '../../src/ports.js';
import { memoryEdges } from '../support/edges.js';
import { CONTEXT, IDS, stepOf } from './support/plans.js';
import { NOW } from './support/world.js';

// The sign step over a fake cosign at the process seam: the plan's commands with the index's
// digest in them, the key as a private file only while cosign runs, the password only in its environment.

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sign-'));
  writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const IMAGE = 'registry.test/acme/app';
const INDEX = `sha256:${'a'.repeat(64)}`;
const AMD64 = `sha256:${'b'.repeat(64)}`;
const ATTESTATION = `sha256:${'c'.repeat(64)}`;
const PEM = '-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nc2VjcmV0\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----';

interface Call {
  command: string;
  args: string[];
  password: string | undefined;
  key: string | undefined;
}

test('sign: the key written privately, cosign run by the index digest, the signatures and the verify command returned', async () => {
  const work = path.join(dir, 'cosign');
  const given: Record<string, string> = {
    images: IMAGE,
    platforms: 'linux/amd64',
    qemu: 'false',
    sign: 'key',
    'sign-key': PEM,
    'sign-key-password': 'pw',
    'sign-tlog': 'false'
  };
  const inputs = readInputs((name) => given[name] ?? '', dir);
  const plan = makePlan(inputs, CONTEXT, nativePlatform('x64', 'linux'), NOW, { ...IDS, cosignDir: work });
  const calls: Call[] = [];
  const key = path.join(work, 'cosign.key');
  const runner: Runner = async (command, args, options = {}) => {
    calls.push({
      command,
      args,
      password: options.env?.COSIGN_PASSWORD,
      key: existsSync(key) ? readFileSync(key, 'utf8') : undefined
    });
    return { code: 0, stdout: args[0] === 'version' ? 'GitVersion:    v2.6.1\n' : '', stderr: '' };
  };
  const mem = memoryEdges();
  const session = openSession({ edges: mem, env: { PATH: '/usr/bin' }, cwd: dir, runner });

  const signed = await sign(session, stepOf(plan, 'sign'), inputs.signing, INDEX, [AMD64, ATTESTATION], 0);

  const ref = `${IMAGE}@${INDEX}`;
  expect(calls).toEqual([
    { command: 'cosign', args: ['version'], password: undefined, key: undefined },
    {
      command: 'cosign',
      args: ['public-key', '--key', key, '--outfile', path.join(work, 'cosign.pub')],
      password: 'pw',
      key: `${PEM}\n`
    },
    {
      command: 'cosign',
      args: ['sign', '--yes', '--recursive', '--key', key, '--tlog-upload=false', ref],
      password: 'pw',
      key: `${PEM}\n`
    },
    {
      command: 'cosign',
      args: ['verify', '--key', path.join(work, 'cosign.pub'), '--insecure-ignore-tlog=true', ref],
      password: undefined,
      key: `${PEM}\n`
    }
  ]);
  // The private directory is gone once cosign is done.
  expect(existsSync(work)).toBe(false);
  expect(signed).toEqual({
    signatures: [
      `${IMAGE}:sha256-${'a'.repeat(64)}.sig`,
      `${IMAGE}:sha256-${'b'.repeat(64)}.sig`,
      `${IMAGE}:sha256-${'c'.repeat(64)}.sig`
    ],
    verifyCommand: `cosign verify --key cosign.pub --insecure-ignore-tlog=true ${ref}`
  });
  expect(mem.log.infos).toEqual([
    'Using cosign 2.6.1 from the PATH',
    'cosign 2.6.1 (path)',
    `signed ${ref} and 2 manifest(s) in it; the signature verifies`,
    `verify it with: cosign verify --key cosign.pub --insecure-ignore-tlog=true ${ref}`
  ]);
  expect(mem.log.infos.join('\n')).not.toContain('c2VjcmV0');
});
