/**
 * The plan's prove and sign steps: a prove after every stage (build, merge, a leg's hand-off), a
 * sign after it and before the commit when `sign` asks, with cosign's exact arguments by digest,
 * the key checked in the preflight, and the attestation format on the build's image output. The
 * dry run prints these steps' lines.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readInputs } from '../../src/inputs/read.js';
import type { Context } from '../../src/plan/context.js';
import { makePlan, type Plan, type PlanIds } from '../../src/plan/plan.js';
import { nativePlatform } from '../../src/plan/platforms.js';
import { withDigest, type Step } from '../../src/plan/steps.js';
import { INDEX_DIGEST, workflowIdentity } from '../../src/plan/sign.js';
import { stepLines } from '../../src/pipeline/dry-run.js';

const SHA = '860c1904a1ce19322e91ac35af1ab07466440c37';
const NOW = new Date('2024-03-05T14:07:09.042Z');
const CONTEXT: Context = {
  eventName: 'push',
  ref: 'refs/tags/v1.2.3',
  sha: SHA,
  repo: { fullName: 'octo/app', htmlUrl: 'https://github.com/octo/app', defaultBranch: 'main' },
  commitDate: new Date('2024-03-01T09:30:00Z'),
  runId: '7001',
  runAttempt: '1'
};
const IDS: PlanIds = {
  builderName: 'multiarch-7001-1-a1b2c3',
  metadataFile: '/tmp/multiarch-x/metadata.json',
  secretPaths: {},
  runId: '7001',
  cosignDir: '/tmp/multiarch-x/cosign'
};
const SIGNER = workflowIdentity('octo/app/.github/workflows/release.yml@refs/tags/v1.2.3');
const PEM = '-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nc2VjcmV0\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----';
const DIGEST = `sha256:${'ab'.repeat(32)}`;

let workspace: string;
beforeAll(() => {
  workspace = mkdtempSync(path.join(os.tmpdir(), 'attest-sign-plan-'));
  writeFileSync(path.join(workspace, 'Dockerfile'), 'FROM scratch\n');
  writeFileSync(path.join(workspace, 'cosign.key'), `${PEM}\n`);
});
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

function plan(given: Record<string, string | undefined>, ids: PlanIds = IDS): Plan {
  const all: Record<string, string | undefined> = {
    images: 'ghcr.io/octo/app',
    tags: 'type=semver,pattern={{version}}',
    ...given
  };
  const inputs = readInputs((name) => all[name] ?? '', workspace, nativePlatform('x64', 'linux'));
  return makePlan(inputs, CONTEXT, nativePlatform('x64', 'linux'), NOW, ids);
}

function stepOf<K extends Step['kind']>(p: Plan, kind: K): Extract<Step, { kind: K }> {
  const step = p.steps.find((s): s is Extract<Step, { kind: K }> => s.kind === kind);
  if (!step) throw new Error(`no ${kind} step in ${p.steps.map((s) => s.kind).join(', ')}`);
  return step;
}

describe('a prove step after every stage, before the commit', () => {
  test.each([
    {
      name: 'one-step build, provenance by default',
      given: {},
      kinds: ['preflight', 'qemu', 'buildx', 'builder', 'build', 'stage', 'prove', 'commit'],
      prove: {
        kind: 'prove',
        builder: 'multiarch-7001-1-a1b2c3',
        repositories: ['ghcr.io/octo/app'],
        platforms: ['linux/amd64', 'linux/arm64'],
        attestations: { provenance: true, sbom: false },
        floating: [{ tag: 'latest', ref: 'ghcr.io/octo/app:latest' }],
        handOff: false
      }
    },
    {
      name: 'a matrix leg checks its own platform and reads no floating tag',
      given: { mode: 'platform', platforms: 'linux/arm64', provenance: 'false', sbom: 'true' },
      kinds: ['preflight', 'qemu', 'buildx', 'builder', 'build', 'stage', 'prove', 'commit'],
      prove: {
        kind: 'prove',
        builder: 'multiarch-7001-1-a1b2c3',
        repositories: ['ghcr.io/octo/app'],
        platforms: ['linux/arm64'],
        attestations: { provenance: false, sbom: true },
        floating: [],
        handOff: true
      }
    },
    {
      name: 'a merge with provenance mode=max',
      given: { mode: 'merge', platforms: 'linux/amd64,linux/arm/v7', provenance: 'mode=max' },
      kinds: ['preflight', 'buildx', 'find-legs', 'stage', 'prove', 'commit', 'remove-legs'],
      prove: {
        kind: 'prove',
        builder: '',
        repositories: ['ghcr.io/octo/app'],
        platforms: ['linux/amd64', 'linux/arm/v7'],
        attestations: { provenance: true, sbom: false },
        floating: [{ tag: 'latest', ref: 'ghcr.io/octo/app:latest' }],
        handOff: false
      }
    }
  ])('$name', ({ given, kinds, prove }) => {
    const p = plan(given);
    expect(p.steps.map((s) => s.kind)).toEqual(kinds);
    expect(stepOf(p, 'prove')).toEqual(prove);
  });

  test('no push: nothing to stage, prove or commit, and no preflight', () => {
    expect(plan({ push: 'false' }).steps.map((s) => s.kind)).toEqual(['qemu', 'buildx', 'builder', 'build']);
  });

  test('every image is proven by digest; the commit moves every ref in every image', () => {
    const p = plan({ images: 'ghcr.io/octo/app\nquay.io/octo/app', tags: 'type=raw,value=v1\ntype=raw,value=stable' });
    expect(stepOf(p, 'prove').repositories).toEqual(['ghcr.io/octo/app', 'quay.io/octo/app']);
    expect(stepOf(p, 'commit').refs).toEqual([
      'ghcr.io/octo/app:v1',
      'ghcr.io/octo/app:stable',
      'quay.io/octo/app:v1',
      'quay.io/octo/app:stable'
    ]);
  });

  test('a merge’s legs are asked for the attestations its prove step will check', () => {
    const p = plan({ mode: 'merge', platforms: 'linux/amd64', provenance: 'false', sbom: 'true' });
    expect(stepOf(p, 'find-legs').attestations).toEqual({ provenance: false, sbom: true });
    expect(stepOf(p, 'prove').attestations).toEqual({ provenance: false, sbom: true });
  });
});

describe('attestation-format on the image output', () => {
  test.each([
    {
      name: 'oci-artifact (default): as BuildKit writes it',
      given: {},
      output: 'type=image,name=ghcr.io/octo/app,push-by-digest=true,name-canonical=true,push=true,oci-mediatypes=true'
    },
    {
      name: 'reference: oci-artifact=false',
      given: { 'attestation-format': 'reference' },
      output:
        'type=image,name=ghcr.io/octo/app,push-by-digest=true,name-canonical=true,push=true,oci-mediatypes=true,oci-artifact=false'
    }
  ])('$name', ({ given, output }) => {
    const argv = stepOf(plan(given), 'build').argv;
    expect(argv[argv.indexOf('--output') + 1]).toBe(output);
  });
});

describe('the sign step', () => {
  const ref = `ghcr.io/octo/app@${INDEX_DIGEST}`;
  test.each([
    {
      name: 'key as PEM text: written to the run directory, password by environment, tlog off',
      given: { sign: 'key', 'sign-key': PEM, 'sign-key-password': 'pw', 'sign-tlog': 'false' },
      ids: IDS,
      keyFile: '/tmp/multiarch-x/cosign/cosign.key',
      commands: [
        {
          what: 'check-key',
          args: [
            'public-key',
            '--key',
            '/tmp/multiarch-x/cosign/cosign.key',
            '--outfile',
            '/tmp/multiarch-x/cosign/cosign.pub'
          ],
          password: true
        },
        {
          what: 'sign',
          args: [
            'sign',
            '--yes',
            '--recursive',
            '--key',
            '/tmp/multiarch-x/cosign/cosign.key',
            '--tlog-upload=false',
            ref
          ],
          password: true
        },
        {
          what: 'verify',
          args: ['verify', '--key', '/tmp/multiarch-x/cosign/cosign.pub', '--insecure-ignore-tlog=true', ref],
          password: false
        }
      ],
      verifyCommand: `cosign verify --key cosign.pub --insecure-ignore-tlog=true 'ghcr.io/octo/app@<digest of the index>'`
    },
    {
      name: 'key as a KMS URI: named as it is, and users verify with it too',
      given: { sign: 'key', 'sign-key': 'awskms:///alias/release' },
      ids: IDS,
      keyFile: undefined,
      commands: [
        {
          what: 'check-key',
          args: ['public-key', '--key', 'awskms:///alias/release', '--outfile', '/tmp/multiarch-x/cosign/cosign.pub'],
          password: true
        },
        {
          what: 'sign',
          args: ['sign', '--yes', '--recursive', '--key', 'awskms:///alias/release', ref],
          password: true
        },
        { what: 'verify', args: ['verify', '--key', '/tmp/multiarch-x/cosign/cosign.pub', ref], password: false }
      ],
      verifyCommand: `cosign verify --key awskms:///alias/release 'ghcr.io/octo/app@<digest of the index>'`
    },
    {
      name: 'keyless: the workflow is the identity, the transparency log on',
      given: { sign: 'keyless' },
      ids: { ...IDS, signer: SIGNER },
      keyFile: undefined,
      commands: [
        { what: 'sign', args: ['sign', '--yes', '--recursive', ref], password: false },
        {
          what: 'verify',
          args: [
            'verify',
            '--certificate-identity-regexp=^https://github\\.com/octo/app/\\.github/workflows/release\\.yml@refs/.+$',
            '--certificate-oidc-issuer=https://token.actions.githubusercontent.com',
            ref
          ],
          password: false
        }
      ],
      verifyCommand:
        "cosign verify '--certificate-identity-regexp=^https://github\\.com/octo/app/\\.github/workflows/release\\.yml@refs/.+$' --certificate-oidc-issuer=https://token.actions.githubusercontent.com 'ghcr.io/octo/app@<digest of the index>'"
    }
  ])('$name', ({ given, ids, keyFile, commands, verifyCommand }) => {
    const p = plan(given, ids);
    expect(p.steps.map((s) => s.kind)).toEqual([
      'preflight',
      'qemu',
      'buildx',
      'builder',
      'build',
      'stage',
      'prove',
      'sign',
      'commit'
    ]);
    const sign = stepOf(p, 'sign');
    // The key is checked in the preflight, before the build, with the same command.
    const checkKey = commands.find((c) => c.what === 'check-key');
    expect(stepOf(p, 'preflight').key).toEqual(
      checkKey
        ? {
            command: checkKey,
            cosignVersion: 'v2.6.1',
            ...(keyFile ? { keyFile } : {}),
            workDir: '/tmp/multiarch-x/cosign'
          }
        : undefined
    );
    expect(JSON.stringify(stepOf(p, 'preflight'))).not.toContain('c2VjcmV0');
    expect(sign.keyFile).toBe(keyFile);
    expect(sign.commands).toEqual(commands);
    expect(sign.verifyCommand).toBe(verifyCommand);
    // No key material or password in any argument.
    expect(JSON.stringify(sign)).not.toContain('c2VjcmV0');
    expect(JSON.stringify(sign)).not.toContain('"pw"');
  });

  test('a key file by path is named by its absolute path', () => {
    const sign = stepOf(plan({ sign: 'key', 'sign-key': 'cosign.key' }), 'sign');
    expect(sign.commands[1].args).toEqual([
      'sign',
      '--yes',
      '--recursive',
      '--key',
      path.join(workspace, 'cosign.key'),
      ref
    ]);
  });

  test('a merge signs after its prove and before its commit', () => {
    const merge = plan({ mode: 'merge', platforms: 'linux/amd64', sign: 'key', 'sign-key': 'cosign.key' });
    expect(merge.steps.map((s) => s.kind)).toEqual([
      'preflight',
      'buildx',
      'find-legs',
      'stage',
      'prove',
      'sign',
      'commit',
      'remove-legs'
    ]);
    expect(merge.warnings).toEqual([]);
  });

  test.each([
    { sign: 'key', extra: { 'sign-key': 'cosign.key' } },
    { sign: 'keyless', extra: {} }
  ])('a mode: platform leg with sign: $sign never signs, and the plan warns it has no effect', ({ sign, extra }) => {
    const leg = plan({ mode: 'platform', platforms: 'linux/amd64', sign, ...extra }, { ...IDS, signer: SIGNER });
    expect(leg.steps.map((s) => s.kind)).toEqual([
      'preflight',
      'buildx',
      'builder',
      'build',
      'stage',
      'prove',
      'commit'
    ]);
    expect(stepOf(leg, 'preflight').key).toBeUndefined();
    expect(leg.warnings).toEqual([
      `sign: ${sign} has no effect on a mode: platform leg: the merge signs the index and every platform manifest in it (set sign on the merge step)`
    ]);
  });

  test('the digest goes where the placeholder is, in the image reference only', () => {
    const sign = stepOf(plan({ sign: 'key', 'sign-key': 'cosign.key' }), 'sign');
    expect(withDigest(sign.commands[1].args, INDEX_DIGEST, DIGEST)).toEqual([
      'sign',
      '--yes',
      '--recursive',
      '--key',
      path.join(workspace, 'cosign.key'),
      `ghcr.io/octo/app@${DIGEST}`
    ]);
  });
});

describe('the dry run prints the prove and sign steps', () => {
  test('the key check in the preflight, requests of prove, then cosign found or installed and its commands', () => {
    const p = plan({ sign: 'key', 'sign-key': PEM, 'sign-tlog': 'false' });
    expect(stepLines(stepOf(p, 'preflight'), p.steps)).toEqual([
      '[request] POST ghcr.io/octo/app/blobs/uploads/ (push access; the session is cancelled at once)',
      '# sign-key must decrypt with its password:',
      'cosign public-key --key /tmp/multiarch-x/cosign/cosign.key --outfile /tmp/multiarch-x/cosign/cosign.pub'
    ]);
    expect(p.steps.flatMap((s) => (s.kind === 'prove' || s.kind === 'sign' ? stepLines(s, p.steps) : []))).toEqual([
      '[request] GET ghcr.io/octo/app@<digest of the build>',
      '[request] GET ghcr.io/octo/app@<digest of each manifest the index lists>',
      '[request] GET ghcr.io/octo/app:latest',
      '# latest moves only forward: docker buildx imagetools inspect --builder multiarch-7001-1-a1b2c3 --raw ghcr.io/octo/app:latest',
      '# cosign on the PATH, else v2.6.1 verified against its release checksums',
      '# the sign-key PEM is written to /tmp/multiarch-x/cosign/cosign.key (0600) while cosign runs, then removed',
      'cosign public-key --key /tmp/multiarch-x/cosign/cosign.key --outfile /tmp/multiarch-x/cosign/cosign.pub',
      "cosign sign --yes --recursive --key /tmp/multiarch-x/cosign/cosign.key --tlog-upload=false 'ghcr.io/octo/app@<digest of the index>'",
      "cosign verify --key /tmp/multiarch-x/cosign/cosign.pub --insecure-ignore-tlog=true 'ghcr.io/octo/app@<digest of the index>'",
      "# to verify: cosign verify --key cosign.pub --insecure-ignore-tlog=true 'ghcr.io/octo/app@<digest of the index>'"
    ]);
  });
});
