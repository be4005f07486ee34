import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import type { RunOptions, RunResult } from '../../src/ports.js';
import type { BuildsStep } from '../../src/plan/steps.js';
import { parsePlatforms } from '../../src/plan/platforms.js';
import { logEmulation, perPlatform, readEmulation } from '../../src/pipeline/emulation.js';
import type { Buildx } from '../../src/tools/buildx/handle.js';
import { recordingLog } from '../support/log.js';

const workspace = mkdtempSync(path.join(os.tmpdir(), 'emulation-'));
writeFileSync(path.join(workspace, 'Dockerfile'), 'FROM busybox\nRUN make\n');
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

/** BuildKit's record of a build of linux/arm64 whose RUN took 2 s under QEMU. */
const STREAM = JSON.stringify({
  vertexes: [
    { digest: 'sha256:a', name: '[2/2] RUN make', started: '2026-01-01T00:00:00Z', completed: '2026-01-01T00:00:02Z' }
  ]
});

/** A buildx whose only answer is `history logs` (on stderr, as buildx prints it); the calls are kept. */
function buildx(answer: (args: string[]) => RunResult) {
  const calls: string[][] = [];
  const log = recordingLog();
  const run = async (command: string, args: string[], _options?: RunOptions): Promise<RunResult> => {
    calls.push([command, ...args]);
    return answer(args);
  };
  const bx: Buildx = {
    bin: { command: 'buildx', prefix: [], version: '0.36.1' },
    run,
    log,
    retries: 0,
    cwd: workspace
  };
  return { bx, calls, log };
}

const arm64 = { metadata: { 'buildx.build.ref': 'b1/b10/ref1' }, platforms: ['linux/arm64'], native: ['linux/amd64'] };

describe('readEmulation', () => {
  test("reads the build's record on its builder, with the Dockerfile of the workspace, and links the README of the action", async () => {
    const { bx, calls, log } = buildx(() => ({ code: 0, stdout: '', stderr: `${STREAM}\n` }));
    const env = { GITHUB_ACTION_REPOSITORY: 'acme/multiarch-publish', GITHUB_ACTION_REF: 'v1' };
    const got = await readEmulation(bx, [arm64], { context: '.', file: '' }, env);
    expect(calls).toEqual([['buildx', 'history', 'logs', '--builder', 'b1', '--progress', 'rawjson', 'ref1']]);
    expect(got?.readmeUrl).toBe(
      'https://github.com/acme/multiarch-publish/blob/v1/README.md#cross-compile-instead-of-emulating'
    );
    expect(got?.report.steps.map((s) => [s.platform, s.line, s.command, s.emulated])).toEqual([
      ['linux/arm64', 2, 'RUN make', true]
    ]);
    logEmulation(log, got);
    expect(log.infos[0]).toBe(
      'build steps: 1 on 1 platform(s), 2.0 s wall; 1 RUN step(s) under emulation, 2.0 s in all'
    );
    expect(log.infos.at(-1)).toMatch(/^hint: Dockerfile:2 `RUN make` ran under QEMU for linux\/arm64/);
  });

  test('outside GitHub no link; a remote context is not read', async () => {
    const { bx } = buildx(() => ({ code: 0, stdout: '', stderr: STREAM }));
    const got = await readEmulation(bx, [arm64], { context: 'https://example.test/app.git', file: '' }, {});
    expect(got?.readmeUrl).toBeUndefined();
    expect(got?.report.steps.map((s) => s.line)).toEqual([undefined]);
  });

  test.each([
    {
      name: 'no build record in the metadata',
      metadata: {},
      answer: (): RunResult => ({ code: 0, stdout: '', stderr: STREAM }),
      said: 'no emulation report: linux/arm64: buildx named no build record in its metadata (buildx.build.ref)'
    },
    {
      name: 'a buildx that cannot read it',
      metadata: arm64.metadata,
      answer: (): RunResult => {
        throw new Error('buildx history logs failed with exit code 1:\nERROR: no record found for ref "ref1"');
      },
      said: 'no emulation report: linux/arm64: buildx history logs failed with exit code 1: ERROR: no record found for ref "ref1"'
    }
  ])('$name: a line in the log, no report, no failure', async ({ metadata, answer, said }) => {
    const { bx, log } = buildx(answer);
    await expect(readEmulation(bx, [{ ...arm64, metadata }], { context: '.', file: '' }, {})).resolves.toBeUndefined();
    expect(log.infos).toEqual([said]);
  });
});

test('one record of two unreadable (a fallback builder already removed): the report of the other, and a line saying so', async () => {
  const { bx, log } = buildx((args) => {
    if (args.includes('gone'))
      throw new Error('buildx history logs failed with exit code 1:\nERROR: no builder "gone" found');
    return { code: 0, stdout: '', stderr: STREAM };
  });
  const amd64 = { ...arm64, metadata: { 'buildx.build.ref': 'gone/gone0/ref2' }, platforms: ['linux/amd64'] };
  const got = await readEmulation(bx, [arm64, amd64], { context: '.', file: '' }, {});
  expect(got?.report.platforms).toEqual(['linux/arm64']);
  expect(log.infos).toEqual([
    'emulation report without linux/amd64: buildx history logs failed with exit code 1: ERROR: no builder "gone" found'
  ]);
});

test('perPlatform: each build native on its own node, nothing native after a fallback under QEMU', () => {
  const [amd64, arm] = parsePlatforms(['linux/amd64', 'linux/arm64']);
  const step = {
    kind: 'builds',
    builder: 'b',
    builds: [{ platform: amd64 }, { platform: arm }]
  } as unknown as BuildsStep;
  const metadata = {
    'linux/amd64': { 'buildx.build.ref': 'b/n1/r1' },
    'linux/arm64': { 'buildx.build.ref': 'f/f0/r2' }
  };
  const placements = [
    { platform: 'linux/amd64', node: 'n1', endpoint: '', buildkitVersion: '', emulated: false },
    { platform: 'linux/arm64', node: 'f0', endpoint: '', buildkitVersion: '', emulated: true }
  ];
  expect(perPlatform(step, metadata, placements)).toEqual([
    { metadata: { 'buildx.build.ref': 'b/n1/r1' }, platforms: ['linux/amd64'], native: ['linux/amd64'] },
    { metadata: { 'buildx.build.ref': 'f/f0/r2' }, platforms: ['linux/arm64'], native: [] }
  ]);
});
