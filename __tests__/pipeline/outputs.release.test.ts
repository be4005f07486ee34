/**
 * The attestations, signature and verify-command outputs, and the summary's verification and
 * signature sections: set from what verify and sign did, from the plan on a dry run, and never
 * left unset.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readInputs } from '../../src/inputs/read.js';
import type { Context } from '../../src/plan/context.js';
import { makePlan, type Plan } from '../../src/plan/plan.js';
import { nativePlatform } from '../../src/plan/platforms.js';
import { setOutputs, summaryMarkdown } from '../../src/pipeline/outputs.js';
import type { Result } from '../../src/pipeline/result.js';
import type { Edges } from '../../src/ports.js';

const CONTEXT: Context = {
  eventName: 'push',
  ref: 'refs/tags/v1.2.3',
  sha: '860c1904a1ce19322e91ac35af1ab07466440c37',
  repo: { fullName: 'octo/app', htmlUrl: 'https://github.com/octo/app' },
  runId: '7001',
  runAttempt: '1'
};
const INDEX = `sha256:${'1'.repeat(64)}`;
const AMD64 = `sha256:${'2'.repeat(64)}`;
const ATT = `sha256:${'3'.repeat(64)}`;

let workspace: string;
beforeAll(() => {
  workspace = mkdtempSync(path.join(os.tmpdir(), 'release-outputs-'));
  writeFileSync(path.join(workspace, 'Dockerfile'), 'FROM scratch\n');
  writeFileSync(path.join(workspace, 'cosign.key'), 'key file\n');
});
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

function plan(given: Record<string, string | undefined>): Plan {
  const all: Record<string, string | undefined> = {
    images: 'ghcr.io/octo/app',
    platforms: 'linux/amd64',
    tags: 'type=raw,value=v1',
    ...given
  };
  const inputs = readInputs((name) => all[name] ?? '', workspace, nativePlatform('x64', 'linux'));
  return makePlan(inputs, CONTEXT, nativePlatform('x64', 'linux'), new Date('2024-03-05T00:00:00Z'), {
    builderName: 'b',
    metadataFile: '/tmp/multiarch-x/metadata.json',
    secretPaths: {},
    runId: '7001'
  });
}

function outputsOf(p: Plan, result: Partial<Result>): Record<string, string> {
  const out: Record<string, string> = {};
  const edges = { setOutput: (name: string, value: string) => void (out[name] = value) } as unknown as Edges;
  setOutputs(edges, p, { digest: INDEX, platformDigests: { 'linux/amd64': AMD64 }, tags: [], metadata: {}, ...result });
  return { attestations: out.attestations, signature: out.signature, 'verify-command': out['verify-command'] };
}

const VERIFIED = {
  attestations: JSON.stringify({ 'linux/amd64': ATT }),
  table: `| Platform | Manifest | Attestation |\n| --- | --- | --- |\n| linux/amd64 | \`${AMD64}\` | \`${ATT}\` |`
};
const SIGNED = {
  signatures: [`ghcr.io/octo/app:sha256-${'1'.repeat(64)}.sig`, `ghcr.io/octo/app:sha256-${'2'.repeat(64)}.sig`],
  verifyCommand: `cosign verify --key cosign.pub ghcr.io/octo/app@${INDEX}`
};

describe('the release outputs', () => {
  test.each([
    {
      name: 'verified and signed',
      given: { sign: 'key', 'sign-key': 'cosign.key' },
      result: { verification: VERIFIED, signed: SIGNED },
      expected: {
        attestations: `{"linux/amd64":"${ATT}"}`,
        signature: SIGNED.signatures.join('\n'),
        'verify-command': SIGNED.verifyCommand
      }
    },
    {
      name: 'verified, not signed',
      given: {},
      result: { verification: VERIFIED },
      expected: { attestations: `{"linux/amd64":"${ATT}"}`, signature: '', 'verify-command': '' }
    },
    {
      name: 'a dry run of a signed release: the command with the digest still to come',
      given: { sign: 'key', 'sign-key': 'cosign.key' },
      result: {},
      expected: {
        attestations: '{}',
        signature: '',
        'verify-command': "cosign verify --key cosign.pub 'ghcr.io/octo/app@<digest of the index>'"
      }
    }
  ])('$name', ({ given, result, expected }) => {
    expect(outputsOf(plan(given), result)).toEqual(expected);
  });

  test('the summary shows the verification table and where the signatures are', () => {
    const p = plan({ sign: 'key', 'sign-key': 'cosign.key' });
    const summary = summaryMarkdown({
      plan: p,
      digest: INDEX,
      platformDigests: { 'linux/amd64': AMD64 },
      tags: ['ghcr.io/octo/app:v1'],
      held: [],
      superseded: [],
      metadata: {},
      builder: { name: 'b', driver: 'remote', platforms: [], buildkitVersion: 'v0.32.2' },
      timings: [],
      removals: [],
      verification: VERIFIED,
      signed: SIGNED
    });
    const from = summary.indexOf('### Verified in the registry');
    expect(summary.slice(from, summary.indexOf('### Time'))).toBe(
      [
        '### Verified in the registry',
        '',
        VERIFIED.table,
        '',
        '### Signature',
        '',
        'Signed by digest, the index and every manifest in it:',
        '',
        `- \`${SIGNED.signatures[0]}\``,
        `- \`${SIGNED.signatures[1]}\``,
        '',
        'Verify with:',
        '',
        '```sh',
        SIGNED.verifyCommand,
        '```',
        '',
        ''
      ].join('\n')
    );
  });
});
