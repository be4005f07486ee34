import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readInputs } from '../../src/inputs/read.js';
import { makePlan, type Plan } from '../../src/plan/plan.js';
import { nativePlatform } from '../../src/plan/platforms.js';
import { context } from '../support/context.js';

// Build, test, then publish: the leg's index is a hand-off, never the published index itself.

const IDS = {
  builderName: 'multiarch-7001-1-a1b2c3',
  metadataFile: '/tmp/m/metadata.json',
  secretPaths: {},
  runId: '7001'
};
let workspace: string;
beforeAll(() => {
  workspace = mkdtempSync(path.join(os.tmpdir(), 'hand-off-test-'));
  writeFileSync(path.join(workspace, 'Dockerfile'), 'FROM scratch\n');
});
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

function plan(given: Record<string, string>): Plan {
  const inputs = readInputs((name) => given[name] ?? '', workspace);
  return makePlan(inputs, context(), nativePlatform('x64', 'linux'), new Date('2024-03-05T00:00:00Z'), IDS);
}
const annotationArgs = (p: Plan): string[] =>
  p.steps.flatMap((s) => (s.kind === 'build' ? s.argv.filter((_, i, a) => a[i - 1] === '--annotation') : []));

test('a leg of every platform carries the manifests’ annotations, not the index’s: the merge’s index differs from it', () => {
  const leg = plan({ images: 'ghcr.io/octo/app', mode: 'platform', platforms: 'linux/amd64,linux/arm64' });
  const one = plan({ images: 'ghcr.io/octo/app', platforms: 'linux/amd64,linux/arm64' });

  expect(annotationArgs(leg).length).toBeGreaterThan(0);
  expect(annotationArgs(leg).filter((a) => a.startsWith('index'))).toEqual([]);
  expect(annotationArgs(leg)).toEqual(annotationArgs(one).filter((a) => a.startsWith('manifest:')));
  // The one-step build publishes the index it builds: it keeps the index annotations.
  expect(annotationArgs(one).some((a) => a.startsWith('index:'))).toBe(true);
});
