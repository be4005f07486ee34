/**
 * Releases users can verify, on the real stack, running dist/index.js as the runner does:
 * - a one-step build with provenance: the verification passes, the summary and the attestations
 *   output name every platform's attestation; it is signed with a generated key given as PEM text
 *   (with a password, no transparency log): `cosign verify` of the index and of each platform
 *   manifest passes with the public key and fails with another key; the dry run printed the same
 *   cosign commands; no key material or password is in any log, output, state, summary, argv or
 *   file left behind;
 * - a matrix (two legs, a merge) with provenance: each leg verifies its own platform, the merge
 *   verifies the index at the level of platform manifests (legs were indexes) and signs with a
 *   key file by path;
 * - attestation-format reference writes the older form, and it verifies as well;
 * - a platform manifest deleted between stage and prove fails the proof, naming it, and no tag
 *   moves.
 *
 * The deletion needs a moment between staging and proving: the registry refuses an index whose
 * manifests are missing, so the manifest must go after the index is in. The second merge
 * therefore reaches the registry through a small proxy this test runs: once the merge has PUT its
 * index by digest (staged), the first request for the arm64 platform manifest is held while the
 * proxy DELETEs that manifest at the registry for real, then forwarded, so the registry itself
 * answers 404.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { StepOptions } from './support/runner.js';
import { Registry, platformId, type IndexEntry } from './support/registry.js';
import { STACK_DIR, waitForStack, type StackEnv } from './support/stack.js';
import {
  annotations,
  expectSucceeded,
  randomSha,
  repoOf,
  uniqueRepo,
  useHarness,
  type TimedStep
} from './support/harness.js';

const CASE_TIMEOUT_MS = 600_000;
const PLATFORMS = ['linux/amd64', 'linux/arm64'];
const PASSWORD = `pw-${randomBytes(12).toString('hex')}`;

type Env = StackEnv & { cosign?: string };
const stack = await waitForStack();
const env = (stack.ok ? stack.env : {}) as Env;
const cosignPath = env.cosign ?? path.join(STACK_DIR, 'bin', 'cosign');
const skipReason = !stack.ok ? stack.reason : !existsSync(cosignPath) ? `${cosignPath} is missing` : undefined;
if (skipReason) console.log(`skipping the attest-sign end-to-end tests: ${skipReason}`);
const describeStack = skipReason ? describe.skip : describe;

/** The stack's cosign on the PATH, as a runner with cosign installed has it: the action uses it. */
const PATH_WITH_COSIGN = `${path.dirname(cosignPath)}:${process.env.PATH ?? ''}`;

function sh(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}) {
  const r = spawnSync(command, args, { encoding: 'utf8', env: options.env ?? process.env, cwd: options.cwd });
  return { code: r.status ?? -1, stdout: r.stdout, output: `${r.stdout}\n${r.stderr}` };
}

/** A cosign key pair in a directory of its own, encrypted with PASSWORD. */
function keyPair(root: string, name: string): { dir: string; pem: string; pub: string } {
  const dir = path.join(root, name);
  mkdirSync(dir);
  const made = sh(cosignPath, ['generate-key-pair'], { env: { ...process.env, COSIGN_PASSWORD: PASSWORD }, cwd: dir });
  if (made.code !== 0) throw new Error(`cosign generate-key-pair failed:\n${made.output}`);
  return { dir, pem: readFileSync(path.join(dir, 'cosign.key'), 'utf8'), pub: path.join(dir, 'cosign.pub') };
}

/** platform → attestation digest, read from the registry on its own (the index's reference annotations). */
function attestationsIn(entries: IndexEntry[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const image of Registry.images(entries)) {
    const att = entries.find((e) => e.annotations?.['vnd.docker.reference.digest'] === image.digest);
    if (att) out[platformId(image.platform!)] = att.digest;
  }
  return out;
}

/** Exit code of `cosign verify` of `ref` with a public key (0: a signature by that key is there). */
function cosignVerify(ref: string, pub: string): number {
  return sh(cosignPath, ['verify', '--key', pub, '--insecure-ignore-tlog=true', '--allow-insecure-registry', ref]).code;
}

/** The cosign commands of a dry run and of a real run, the digest and temp dir normalised. */
function cosignLines(result: TimedStep, real: boolean): string[] {
  const lines = result.stdout.split('\n');
  const picked = real
    ? lines.flatMap((l) => {
        const m = /^\[command\] (?:\S*\/)?cosign (.*)$/.exec(l);
        return m && !m[1].startsWith('version') ? [m[1]] : [];
      })
    : lines.filter((l) => l.startsWith('cosign ')).map((l) => l.slice('cosign '.length));
  return picked.map((l) =>
    l
      .replace(/\S*\/multiarch-[A-Za-z0-9]{6}\//g, '<tmp>/')
      .replace(/'([^']*@<digest[^']*)'/g, '$1')
      .replace(/@sha256:[0-9a-f]{64}/g, '@<digest>')
      .replace(/@<digest of [^>]*>/g, '@<digest>')
  );
}

/**
 * A proxy in front of the registry that deletes `victim` (for real, at the registry) when it is
 * first asked for after a manifest PUT, then forwards the request. Everything else passes as is.
 */
async function deletingProxy(
  target: string,
  repo: string
): Promise<{ host: string; arm(victim: string): void; deleted(): boolean; close(): Promise<void> }> {
  let victim = '';
  let putSeen = false;
  let deleted = false;
  const server = http.createServer((req, res) => {
    void (async () => {
      const url = req.url ?? '/';
      if (req.method === 'PUT' && url.startsWith(`/v2/${repo}/manifests/`)) putSeen = true;
      if (victim && putSeen && !deleted && url === `/v2/${repo}/manifests/${victim}`) {
        const del = await fetch(`http://${target}/v2/${repo}/manifests/${victim}`, { method: 'DELETE' });
        deleted = del.status === 202;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const headers: Record<string, string> = {};
      for (const [key, value] of Object.entries(req.headers))
        if (typeof value === 'string' && !['host', 'connection', 'content-length'].includes(key)) headers[key] = value;
      const upstream = await fetch(`http://${target}${url}`, {
        method: req.method,
        headers,
        body: chunks.length && req.method !== 'GET' && req.method !== 'HEAD' ? Buffer.concat(chunks) : undefined,
        redirect: 'manual'
      });
      const out: Record<string, string> = {};
      upstream.headers.forEach((value, key) => {
        out[key] = key === 'location' ? value.replace(`http://${target}`, `http://${hostOf()}`) : value;
      });
      delete out['content-encoding'];
      delete out['transfer-encoding'];
      res.writeHead(upstream.status, out);
      res.end(Buffer.from(await upstream.arrayBuffer()));
    })().catch((error: unknown) => {
      res.writeHead(502);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const hostOf = () => `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host: hostOf(),
    arm: (digest) => void (victim = digest),
    deleted: () => deleted,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  };
}

describeStack('attestations verified and images signed, on the real stack', () => {
  const h = useHarness(env, 'attest-sign');
  const work = mkdtempSync(path.join(os.tmpdir(), 'e2e-attest-sign-'));
  h.cleanup(() => rmSync(work, { recursive: true, force: true }));

  test(
    'one-step build with provenance, signed with a PEM key: verified, signed recursively, nothing secret left anywhere',
    async () => {
      const image = `${env.registry}/${uniqueRepo('attest-sign')}`;
      const repo = repoOf(image);
      const keys = keyPair(work, 'keys');
      const other = keyPair(work, 'other-keys');
      const pemBody = keys.pem.split('\n').filter((l) => l && !l.startsWith('-----'));
      const step = (extra: Record<string, string>): StepOptions => ({
        workspace: h.workspace('arch'),
        inputs: h.inputs(image, {
          platforms: PLATFORMS.join(','),
          tags: 'type=raw,value=v1',
          sign: 'key',
          'sign-key': keys.pem,
          'sign-key-password': PASSWORD,
          'sign-tlog': 'false',
          ...extra
        }),
        event: { sha: randomSha() },
        env: { PATH: PATH_WITH_COSIGN }
      });

      const dry = await h.main('dry: build, sign', step({ 'dry-run': 'true' }));
      expectSucceeded(dry, 'the dry run');
      const real = await h.main('build, verify, sign', step({}));
      expectSucceeded(real, 'the signed build');

      // Verified: the attestations output is what the registry holds, one per platform.
      const digest = real.outputs.digest;
      const index = await h.registry.manifest(repo, digest);
      const entries = index!.body.manifests ?? [];
      const expected = attestationsIn(entries);
      expect(Object.keys(expected).sort()).toEqual(PLATFORMS);
      expect(JSON.parse(real.outputs.attestations)).toEqual(expected);
      const platformDigests = JSON.parse(real.outputs['platform-digests']) as Record<string, string>;
      // BuildKit 0.32's default form: each attestation is an OCI artifact whose subject is its platform manifest.
      for (const platform of PLATFORMS) {
        const att = await h.registry.manifest<{ subject?: { digest: string } }>(repo, expected[platform]);
        expect({ platform, subject: att?.body.subject?.digest }).toEqual({
          platform,
          subject: platformDigests[platform]
        });
      }
      for (const platform of PLATFORMS) {
        expect(real.summary).toContain(
          `| ${platform} | \`${platformDigests[platform]}\` | \`${expected[platform]}\` |`
        );
      }
      expect(real.summary).toContain('### Verified in the registry');

      // Signed recursively by digest: a .sig tag for the index and for every manifest it lists.
      const sigTags = [digest, ...entries.map((e) => e.digest)].map((d) => `${image}:${d.replace(':', '-')}.sig`);
      expect(real.outputs.signature.split('\n')).toEqual(sigTags);
      const stored = await h.registry.tags(repo);
      for (const tag of sigTags) expect(stored).toContain(tag.slice(tag.lastIndexOf(':') + 1));
      expect(real.outputs['verify-command']).toBe(
        `cosign verify --key cosign.pub --insecure-ignore-tlog=true --allow-insecure-registry ${image}@${digest}`
      );
      const verified = Object.entries({ index: digest, ...platformDigests }).map(([what, d]) => ({
        what,
        ours: cosignVerify(`${image}@${d}`, keys.pub),
        another: cosignVerify(`${image}@${d}`, other.pub)
      }));
      // 12 is cosign's exit code for "no matching signatures".
      expect(verified).toEqual([
        { what: 'index', ours: 0, another: 12 },
        { what: 'linux/amd64', ours: 0, another: 12 },
        { what: 'linux/arm64', ours: 0, another: 12 }
      ]);

      // The dry run printed the cosign commands the real run started.
      // The key check (in the preflight, before the build, and again as signing starts), sign, verify.
      expect(cosignLines(dry, false).length).toBe(4);
      expect(cosignLines(real, true)).toEqual(cosignLines(dry, false));

      // The key and password were masked when read (the runner's channel: ::add-mask::, line by line)…
      const masks = real.stdout.split('\n').filter((l) => l.startsWith('::add-mask::'));
      for (const value of [PASSWORD, ...pemBody]) expect(masks).toContain(`::add-mask::${value}`);
      // …and are nowhere else: logs, argv ([command] lines), outputs, state, summary, env and path files.
      const secrets: Record<string, string> = { password: PASSWORD };
      for (const [i, line] of pemBody.entries()) secrets[`key line ${i + 1}`] = line;
      for (const [what, r] of Object.entries({ dry, real })) {
        const places: Record<string, string> = {
          stdout: r.stdout
            .split('\n')
            .filter((l) => !l.startsWith('::add-mask::'))
            .join('\n'),
          stderr: r.stderr,
          ...r.files
        };
        for (const [where, text] of Object.entries(places))
          for (const [which, value] of Object.entries(secrets))
            expect({ what, where, which, found: text.includes(value) }).toEqual({ what, where, which, found: false });
      }
      // No file left behind: the run's temp dir is gone, and nothing under RUNNER_TEMP holds the key.
      const tempDir = (JSON.parse(real.state.cleanup) as { tempDir: string }).tempDir;
      expect(existsSync(tempDir)).toBe(false);
      const leftovers = sh('grep', ['-rlF', pemBody[1], path.dirname(tempDir)]);
      expect(leftovers.stdout).toBe('');
      expect(annotations(real, 'error')).toEqual([]);
    },
    CASE_TIMEOUT_MS
  );

  test(
    'attestation-format reference: the older form (no subject, linked by the index annotation) verifies too',
    async () => {
      const image = `${env.registry}/${uniqueRepo('attest-reference')}`;
      const repo = repoOf(image);
      const result = await h.main('build, attestation-format reference', {
        workspace: h.workspace('arch'),
        inputs: h.inputs(image, {
          platforms: 'linux/amd64',
          tags: 'type=raw,value=v1',
          'attestation-format': 'reference'
        }),
        event: { sha: randomSha() }
      });
      expectSucceeded(result, 'the build with attestation-format reference');
      expect(result.stdout).toContain('oci-mediatypes=true,oci-artifact=false');
      const index = await h.registry.manifest(repo, result.outputs.digest);
      const expected = attestationsIn(index!.body.manifests ?? []);
      expect(Object.keys(expected)).toEqual(['linux/amd64']);
      expect(JSON.parse(result.outputs.attestations)).toEqual(expected);
      const att = await h.registry.manifest<{ subject?: unknown; artifactType?: string }>(
        repo,
        expected['linux/amd64']
      );
      expect({ subject: att?.body.subject, artifactType: att?.body.artifactType }).toEqual({
        subject: undefined,
        artifactType: undefined
      });
    },
    CASE_TIMEOUT_MS
  );

  test(
    'matrix with provenance: each leg verifies its platform, the merge verifies and signs the index; a platform deleted behind our back fails by name',
    async () => {
      const image = `${env.registry}/${uniqueRepo('attest-matrix')}`;
      const repo = repoOf(image);
      const keys = keyPair(work, 'matrix-keys');
      const keyFile = path.join(keys.dir, 'cosign.key');
      const sha = randomSha();
      const run = String(Date.now());
      const ws = h.workspace('arch');
      const step = (images: string, extra: Record<string, string>, runId = run): StepOptions => ({
        workspace: ws,
        inputs: h.inputs(images, extra),
        event: { sha },
        env: { GITHUB_RUN_ID: runId, PATH: PATH_WITH_COSIGN }
      });

      const legs = await h.mainTogether(
        PLATFORMS.map((platform) => [`leg ${platform}`, step(image, { mode: 'platform', platforms: platform })])
      );
      for (const [i, leg] of legs.entries()) {
        expectSucceeded(leg, `the ${PLATFORMS[i]} leg`);
        expect(Object.keys(JSON.parse(leg.outputs.attestations) as object)).toEqual([PLATFORMS[i]]);
        expect(leg.summary).toContain('### Verified in the registry');
      }

      const merge = await h.main(
        'merge, verify, sign',
        step(image, {
          mode: 'merge',
          platforms: PLATFORMS.join(','),
          tags: 'type=raw,value=v1',
          sign: 'key',
          'sign-key': keyFile,
          'sign-key-password': PASSWORD,
          'sign-tlog': 'false'
        })
      );
      expectSucceeded(merge, 'the merge');
      const index = await h.registry.manifest(repo, merge.outputs.digest);
      const entries = index!.body.manifests ?? [];
      const expected = attestationsIn(entries);
      expect(Object.keys(expected).sort()).toEqual(PLATFORMS);
      expect(JSON.parse(merge.outputs.attestations)).toEqual(expected);
      const platformDigests = JSON.parse(merge.outputs['platform-digests']) as Record<string, string>;
      for (const platform of PLATFORMS)
        expect(merge.summary).toContain(
          `| ${platform} | \`${platformDigests[platform]}\` | \`${expected[platform]}\` |`
        );
      for (const d of [merge.outputs.digest, ...Object.values(platformDigests)])
        expect({ d, code: cosignVerify(`${image}@${d}`, keys.pub) }).toEqual({ d, code: 0 });

      // Legs of a second run (the merge above removed its legs' hand-off tags), merged through the
      // proxy, which deletes the arm64 manifest once the index is in.
      const again = `${run}2`;
      const legs2 = await h.mainTogether(
        PLATFORMS.map((platform) => [
          `leg ${platform}, run 2`,
          step(image, { mode: 'platform', platforms: platform }, again)
        ])
      );
      legs2.forEach((leg, i) => expectSucceeded(leg, `the ${PLATFORMS[i]} leg of run 2`));
      const proxy = await deletingProxy(env.registry, repo);
      h.cleanup(() => proxy.close());
      const arm64 = (JSON.parse(legs2[1].outputs['platform-digests']) as Record<string, string>)['linux/arm64'];
      proxy.arm(arm64);
      const viaProxy = `${proxy.host}/${repo}`;
      const broken = await h.main(
        'merge, a platform deleted behind its back',
        step(viaProxy, { mode: 'merge', platforms: PLATFORMS.join(','), tags: 'type=raw,value=v2' }, again)
      );
      expect(proxy.deleted()).toBe(true);
      expect(broken.code).not.toBe(0);
      const errors = annotations(broken, 'error').join('\n');
      expect(errors).toContain('failed verification');
      expect(errors).toContain(
        `platform linux/arm64: manifest ${arm64.slice(0, 19)} is listed but missing from the registry`
      );
      // Proven before any tag moves: the index is staged by digest, and nothing names it.
      expect(await h.registry.manifest(repo, 'v2')).toBeUndefined();
      expect(errors).toContain('no tag moved');
    },
    CASE_TIMEOUT_MS
  );
});
