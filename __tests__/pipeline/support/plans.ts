/** Plans made the way the pipeline makes them: inputs read and validated, one fixed context and clock. */
import { readInputs } from '../../../src/inputs/read.js';
import type { Context } from '../../../src/plan/context.js';
import { makePlan, type Plan, type PlanIds } from '../../../src/plan/plan.js';
import { nativePlatform } from '../../../src/plan/platforms.js';
import type { Step } from '../../../src/plan/steps.js';
import type { Buildx } from '../../../src/tools/buildx/handle.js';
import type { Log } from '../../../src/ports.js';
import type { FakeBuildx } from './fake-buildx.js';
import { context } from '../../support/context.js';
import { NOW } from './world.js';

export const BUILDER = 'multiarch-7001-1-a1b2c3';

export const CONTEXT: Context = context({
  ref: 'refs/tags/v1.2.3',
  repo: { fullName: 'octo/app', htmlUrl: 'https://github.com/octo/app', description: 'An app', defaultBranch: 'main' },
  commitDate: new Date('2024-02-01T10:00:00Z')
});

export const IDS: PlanIds = {
  builderName: BUILDER,
  metadataFile: '/tmp/multiarch-x/metadata.json',
  secretPaths: {},
  runId: '7001'
};

/** The plan of these inputs (qemu false unless given) for a push of `ref`, on an amd64 host, in `dir` (with a Dockerfile). */
export function planFor(dir: string, given: Record<string, string>, ref = 'refs/tags/v1.2.3'): Plan {
  const all: Record<string, string> = { qemu: 'false', ...given };
  const inputs = readInputs((name) => all[name] ?? '', dir);
  return makePlan(inputs, { ...CONTEXT, ref }, nativePlatform('x64', 'linux'), NOW, IDS);
}

/** The plan's step of one kind. */
export function stepOf<K extends Step['kind']>(plan: Plan, kind: K): Extract<Step, { kind: K }> {
  const step = plan.steps.find((s): s is Extract<Step, { kind: K }> => s.kind === kind);
  if (!step) throw new Error(`the plan has no ${kind} step`);
  return step;
}

/** A buildx handle on the fake: `docker buildx`, no retries. */
export function fakeHandle(buildx: FakeBuildx, log: Log, retries = 0): Buildx {
  return { bin: { command: 'docker', prefix: ['buildx'], version: '0.36.1' }, run: buildx.runner, log, retries };
}
