/**
 * Signing and verification against the real stack: a two-platform image with provenance, pushed
 * by buildx to the local registry, is read back and verified at the level of platform manifests,
 * signed recursively by digest with a generated key (no transparency log here), and checked with
 * the real cosign: each signature verifies with the public key and fails with another. Then a
 * platform manifest is deleted behind our back and the verification names it.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Masker } from '../../src/ports.js';
import { recordingLog } from '../support/log.js';
import { createRunner } from '../../src/tools/exec.js';
import { findCosign, signAndVerify, type Cosign } from '../../src/tools/cosign.js';
import { signatureTag, signingSteps, verifyArgs, verifyCommand } from '../../src/plan/sign.js';
import type { Manifest } from '../../src/plan/oci.js';
import { verifyPublished, type Published } from '../../src/plan/verify.js';
import { Registry } from './support/registry.js';
import { STACK_DIR, waitForStack, type StackEnv } from './support/stack.js';

const PLATFORMS = ['linux/amd64', 'linux/arm64'];
const PASSWORD = `pw-${randomBytes(12).toString('hex')}`;

/** env.json fields this suite reads on top of StackEnv. */
type Env = StackEnv & { builder?: string; cosign?: string };

const stack = await waitForStack();
const env = (stack.ok ? stack.env : {}) as Env;
// env.json names cosign once stack.sh installs it; a stack written before that still has the binary.
const cosignPath = env.cosign ?? path.join(STACK_DIR, 'bin', 'cosign');
const skipReason = !stack.ok
  ? stack.reason
  : !existsSync(cosignPath)
    ? `${cosignPath} is missing: run bash scripts/stack.sh up`
    : undefined;
if (skipReason) console.log(`skipping the cosign end-to-end tests: ${skipReason}`);
const describeStack = skipReason ? describe.skip : describe;

function sh(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}) {
  const r = spawnSync(command, args, { encoding: 'utf8', env: options.env ?? process.env, cwd: options.cwd });
  return { code: r.status ?? -1, output: `${r.stdout}\n${r.stderr}`, stdout: r.stdout };
}

/** The index and every child it lists, read over HTTP as the pipeline will read them. */
async function readPublished(registry: Registry, repo: string, digest: string): Promise<Published> {
  const index = await registry.manifest<Manifest>(repo, digest);
  if (!index) throw new Error(`${repo}@${digest} is not in the registry`);
  const children: Record<string, Manifest> = {};
  for (const entry of index.body.manifests ?? []) {
    const child = await registry.manifest<Manifest>(repo, entry.digest);
    if (child) children[entry.digest] = child.body;
  }
  return { digest, index: index.body, children };
}

describeStack('cosign and published-index verification on the real stack', () => {
  const registry = new Registry(env.registry);
  const repo = `e2e/cosign-${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const image = `${env.registry}/${repo}`;
  const tags = ['v1.0.0', 'latest'];
  const work = mkdtempSync(path.join(os.tmpdir(), 'e2e-cosign-'));
  const runTemp = path.join(work, 'run-temp');
  const masker = new Masker();
  const log = recordingLog(masker);
  const run = createRunner(log, masker);
  let cosign: Cosign;
  let digest = '';
  const platformDigests: Record<string, string> = {};
  const attestationDigests: string[] = [];

  /**
   * Signs `digest` in `image` with a PEM key as the sign step does: the plan's cosign commands
   * (key check, sign, verify), the key in a private file under `runTemp` while cosign runs.
   */
  async function signIndex(o: {
    image: string;
    digest: string;
    pem: string;
    children?: string[];
    env: NodeJS.ProcessEnv;
  }): Promise<{ signatures: string[]; verifyCommand: string }> {
    const workDir = path.join(runTemp, 'cosign');
    const keyFile = path.join(workDir, 'cosign.key');
    const spec = { mode: 'key' as const, image: o.image, digest: o.digest, tlog: false };
    const commands = signingSteps({ ...spec, keyFile, publicKeyFile: path.join(workDir, 'cosign.pub') });
    await signAndVerify({
      cosign,
      run,
      log,
      commands,
      workDir,
      key: { pem: o.pem, file: keyFile },
      password: PASSWORD,
      env: o.env
    });
    return {
      signatures: [o.digest, ...(o.children ?? [])].map((d) => signatureTag({ image: o.image, digest: d })),
      verifyCommand: verifyCommand({ ...spec, publicKey: 'cosign.pub' })
    };
  }

  beforeAll(async () => {
    const found = await findCosign(run, cosignPath);
    if (!found) throw new Error(`${cosignPath} does not answer \`cosign version\``);
    cosign = found;

    // A context of its own with content no other run has, so the digests are this run's.
    const ctx = path.join(work, 'ctx');
    mkdirSync(ctx);
    writeFileSync(path.join(ctx, 'Dockerfile'), `FROM ${env.baseImage}\nCOPY stamp.txt /stamp.txt\n`);
    writeFileSync(path.join(ctx, 'stamp.txt'), `${repo} ${randomBytes(8).toString('hex')}\n`);
    const metadata = path.join(work, 'metadata.json');
    const built = sh('docker', [
      'buildx',
      'build',
      '--builder',
      env.builder ?? 'stack-base',
      '--platform',
      PLATFORMS.join(','),
      '--provenance=mode=min',
      '--push',
      ...tags.flatMap((t) => ['--tag', `${image}:${t}`]),
      '--metadata-file',
      metadata,
      '--progress=plain',
      ctx
    ]);
    if (built.code !== 0) throw new Error(`buildx build failed:\n${built.output.slice(-3000)}`);
    digest = (JSON.parse(readFileSync(metadata, 'utf8')) as Record<string, string>)['containerimage.digest'];

    const published = await readPublished(registry, repo, digest);
    for (const entry of published.index.manifests ?? []) {
      const p = entry.platform;
      if (p && p.os !== 'unknown')
        platformDigests[[p.os, p.architecture, p.variant].filter(Boolean).join('/')] = entry.digest;
      else attestationDigests.push(entry.digest);
    }
  });

  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
  });

  test('the pushed index passes verification: both platforms, each with its provenance, tags on the digest', async () => {
    const published = await readPublished(registry, repo, digest);
    const tagDigests: Record<string, string | undefined> = {};
    for (const tag of tags) tagDigests[tag] = (await registry.manifest(repo, tag))?.digest;

    const result = verifyPublished({
      published,
      platforms: PLATFORMS,
      attestations: { provenance: true, sbom: false },
      tags: tagDigests
    });

    expect(result.failures).toEqual([]);
    expect(result.rows.map((r) => [r.platform, r.manifest])).toEqual([
      ['linux/amd64', platformDigests['linux/amd64']],
      ['linux/arm64', platformDigests['linux/arm64']]
    ]);
    // Each platform's attestation is a different manifest, and every attestation in the index is one of them.
    expect(new Set(result.rows.map((r) => r.attestation)).size).toBe(2);
    expect(result.rows.map((r) => r.attestation).sort()).toEqual([...attestationDigests].sort());
  });

  test('signs recursively by digest with a generated key; each signature verifies with its public key only', async () => {
    const keys = path.join(work, 'keys');
    const other = path.join(work, 'other-keys');
    const keyEnv = { ...process.env, COSIGN_PASSWORD: PASSWORD };
    for (const dir of [keys, other]) {
      mkdirSync(dir);
      const made = sh(cosign.command, ['generate-key-pair'], { env: keyEnv, cwd: dir });
      expect(made.code).toBe(0);
    }
    const pem = readFileSync(path.join(keys, 'cosign.key'), 'utf8');
    const pemBody = pem.split('\n').filter((l) => l && !l.startsWith('-----'));

    // The private key goes in as a secret's PEM text would; signAndVerify verifies once itself.
    const signed = await signIndex({
      image: `${image}:latest`,
      digest,
      pem,
      children: [...Object.values(platformDigests), ...attestationDigests],
      env: process.env
    });

    expect(signed.verifyCommand).toBe(
      `cosign verify --key cosign.pub --insecure-ignore-tlog=true --allow-insecure-registry ${image}@${digest}`
    );
    // cosign stores each manifest's signature under sha256-<hex>.sig in the same repository.
    const sigTags = (await registry.tags(repo)).filter((t) => t.endsWith('.sig')).sort();
    expect(sigTags).toEqual(signed.signatures.map((s) => s.slice(s.lastIndexOf(':') + 1)).sort());
    expect(signed.signatures[0]).toBe(signatureTag({ image, digest }));

    const targets = { index: digest, ...platformDigests };
    for (const [what, d] of Object.entries(targets)) {
      const spec = { mode: 'key' as const, image, digest: d, tlog: false };
      const good = sh(cosign.command, verifyArgs({ ...spec, publicKey: path.join(keys, 'cosign.pub') }));
      expect({ what, code: good.code }).toEqual({ what, code: 0 });
      expect(JSON.parse(good.stdout)[0].critical.image['docker-manifest-digest']).toBe(d);
      const bad = sh(cosign.command, verifyArgs({ ...spec, publicKey: path.join(other, 'cosign.pub') }));
      // 12 is cosign's exit code for "no matching signatures".
      expect({ what, code: bad.code }).toEqual({ what, code: 12 });
      expect(bad.output).toContain('no matching signatures');
    }

    // Nothing secret was logged or passed on a command line, and nothing was left behind.
    const logged = log.transcript.join('\n');
    expect(logged).toContain(`[command] ${cosign.command} sign --yes --recursive --key ${runTemp}/`);
    expect(logged).not.toContain(PASSWORD);
    for (const line of pemBody) expect(logged).not.toContain(line);
    expect(readdirSync(runTemp)).toEqual([]);
    // The key's own directory aside, no file under this run's directories or cosign's home holds it.
    const places = [work, path.join(os.homedir(), '.sigstore')].filter((p) => existsSync(p));
    const leftovers = sh('grep', ['-rlF', '--exclude-dir=keys', pemBody[1], ...places]);
    expect(leftovers.stdout).toBe('');
    expect(statSync(path.join(keys, 'cosign.key')).isFile()).toBe(true);
  });

  test('on a registry with credentials, cosign reads them from DOCKER_CONFIG, never from argv', async () => {
    const authImage = `${env.authRegistry}/${repo}`;
    const ctx = path.join(work, 'ctx');
    const metadata = path.join(work, 'auth-metadata.json');
    // The builder lives in the user's buildx store; the auth registry's credentials in its own config.
    const authEnv = {
      ...process.env,
      DOCKER_CONFIG: env.authDockerConfig,
      BUILDX_CONFIG: path.join(os.homedir(), '.docker', 'buildx')
    };
    const built = sh(
      'docker',
      [
        'buildx',
        'build',
        '--builder',
        env.builder ?? 'stack-base',
        '--platform',
        'linux/amd64',
        '--provenance=false',
        '--push',
        '--tag',
        `${authImage}:v1`,
        '--metadata-file',
        metadata,
        '--progress=plain',
        ctx
      ],
      { env: authEnv }
    );
    if (built.code !== 0) throw new Error(`buildx build failed:\n${built.output.slice(-3000)}`);
    const authDigest = (JSON.parse(readFileSync(metadata, 'utf8')) as Record<string, string>)['containerimage.digest'];
    const keys = path.join(work, 'keys');
    const pem = readFileSync(path.join(keys, 'cosign.key'), 'utf8');
    const options = { image: authImage, digest: authDigest, pem };

    // Without the config the registry turns cosign away; with it, the signature lands and verifies.
    const noCredentials = { ...process.env, DOCKER_CONFIG: path.join(work, 'empty-docker-config') };
    await expect(signIndex({ ...options, env: noCredentials })).rejects.toThrow(
      /UNAUTHORIZED|authentication required|401/i
    );
    const signed = await signIndex({ ...options, env: authEnv });
    expect(signed.signatures).toEqual([signatureTag({ image: authImage, digest: authDigest })]);

    const password = readFileSync(env.authPasswordFile, 'utf8').trim();
    expect(log.transcript.join('\n')).not.toContain(password);
    expect(readdirSync(runTemp)).toEqual([]);
  });

  test('a platform manifest deleted behind our back fails the verification, naming the platform', async () => {
    const arm64 = platformDigests['linux/arm64'];
    const res = await fetch(`http://${env.registry}/v2/${repo}/manifests/${arm64}`, { method: 'DELETE' });
    expect(res.status).toBe(202);

    const result = verifyPublished({
      published: await readPublished(registry, repo, digest),
      platforms: PLATFORMS,
      attestations: { provenance: true, sbom: false },
      tags: { latest: (await registry.manifest(repo, 'latest'))?.digest }
    });

    expect(result.ok).toBe(false);
    expect(result.failures).toEqual([
      `platform linux/arm64: manifest ${arm64.slice(0, 19)} is listed but missing from the registry`
    ]);
  });
});
