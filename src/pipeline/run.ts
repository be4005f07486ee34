import { rm } from 'node:fs/promises';
import { InputError } from '../plan/errors.js';
import type { Inputs } from '../plan/inputs.js';
import { makePlan, type Plan } from '../plan/plan.js';
import { nativePlatform } from '../plan/platforms.js';
import type { Step } from '../plan/steps.js';
import type { BuildxBin } from '../tools/buildx/find.js';
import type { Buildx } from '../tools/buildx/handle.js';
import type { BuilderInfo } from '../tools/buildx/builder.js';
import { runBuild, runBuilder, runBuildx, runQemu, type Built } from './build.js';
import { printPlan, stepLines } from './dry-run.js';
import { runBuilds, type Placement } from './builds.js';
import { failure } from './failure.js';
import { checkDigests, findLegs, removeLegs, type LegRemoval } from './merge.js';
import { dryRunMarkdown, failureMarkdown, setOutputs, summaryMarkdown, tagsOutput } from './outputs.js';
import { makeWorkspace, readAndMask, readContext } from './prepare.js';
import { publish, registryOptions, type Published } from './publish.js';
import type { Result } from './result.js';
import { openSession, type RunEnv, type Session } from './session.js';
import { saveState, type SavedState } from './state.js';
import { sign, type Signed } from './sign.js';
import { verify, type Verified } from './verify.js';
import { logEmulation, oneBuild, perPlatform, readEmulation } from './emulation.js';
import type { EmulationSummary } from '../plan/emulation.js';

export type { RunEnv };

/** The whole pipeline: inputs → context → plan → its steps, in order → outputs and summary. */
export async function run(runEnv: RunEnv): Promise<Result | undefined> {
  const session = openSession(runEnv);
  let images: string[] = [];
  let plan: Plan | undefined;
  try {
    const inputs = await session.phase('Inputs', () => readAndMask(session));
    images = inputs.images;
    const context = await session.phase('Context', () => readContext(session, inputs));
    const workspace = await makeWorkspace(session, inputs, context);
    const state: SavedState = { builder: '', tempDir: workspace.tempDir };
    saveState(session.edges, state);
    try {
      session.current = 'Plan';
      plan = makePlan(inputs, context, nativePlatform(), session.now(), workspace.ids);
      // A rule that gave no tag (no match, a group the pattern lacks) says so, on both faces.
      for (const warning of plan.tags.warnings) session.log.warning(`tags: ${warning}`);
      if (inputs.dryRun) return await dryRun(session, plan);
      const result = await runSteps(session, plan, inputs, state);
      await report(session, result);
      return result;
    } finally {
      // Secret files must not outlive the build; post removes the directory too if this is cut short.
      await rm(workspace.tempDir, { recursive: true, force: true });
    }
  } catch (error) {
    const failed = failure(error, images);
    const summary = failureMarkdown(session.current, failed.message, plan, session.timings);
    await session.edges.summary(session.masker.mask(summary));
    // Bad input keeps its type: the command line exits 2 for it.
    throw error instanceof InputError ? error : failed;
  }
}

async function dryRun(session: Session, plan: Plan): Promise<undefined> {
  await session.phase('Plan (dry run)', async () => printPlan(plan, session.log));
  const commands = plan.steps.flatMap((step) => stepLines(step, plan.steps));
  setOutputs(session.edges, plan, { digest: '', platformDigests: {}, tags: tagsOutput(plan), metadata: {} });
  await session.edges.summary(session.masker.mask(dryRunMarkdown(plan, commands)));
  return undefined;
}

async function report(session: Session, result: Result): Promise<void> {
  setOutputs(session.edges, result.plan, result);
  await session.edges.summary(session.masker.mask(summaryMarkdown(result)));
}

/** What the steps have produced so far: each step reads what the ones before it left. */
interface Progress {
  bin?: BuildxBin;
  removals: LegRemoval[];
  builder: BuilderInfo;
  built: Built;
  sources: string[];
  published?: Published;
  verified?: Verified;
  signed?: Signed;
  /** One build per platform: where each was built. */
  placements?: Placement[];
  /** The emulation report, read while the later steps run. */
  emulation?: Promise<EmulationSummary | undefined>;
}

/** Runs the plan's steps in order, each one call in a named phase. */
async function runSteps(session: Session, plan: Plan, inputs: Inputs, state: SavedState): Promise<Result> {
  const merging = plan.mode === 'merge';
  const progress: Progress = {
    builder: { name: plan.builder, driver: 'not used (merge)', platforms: [], buildkitVersion: '-' },
    built: { metadata: {}, digest: '' },
    sources: [],
    removals: []
  };
  const bx = (): Buildx => ({
    bin: progress.bin!,
    run: session.runner,
    log: session.log,
    retries: inputs.retries,
    cwd: session.cwd,
    stallMs: inputs.stallTimeoutMs
  });
  for (const step of plan.steps) await runStep(session, plan, step, progress, bx, state, inputs);
  if (!plan.steps.some((s) => s.kind === 'publish') && !merging) {
    session.log.info('nothing pushed (push is false): the tags and version outputs are what the rules computed');
  }
  const { built, published } = progress;
  const emulation = await progress.emulation;
  logEmulation(session.log, emulation);
  return {
    plan,
    digest: published?.digest ?? built.digest,
    platformDigests: published?.platformDigests ?? {},
    tags: tagsOutput(plan, published?.refs),
    held: published?.held ?? [],
    metadata: built.metadata,
    builder: progress.builder,
    removals: progress.removals,
    timings: session.timings,
    ...(progress.verified
      ? { verification: { attestations: progress.verified.attestations, table: progress.verified.table } }
      : {}),
    ...(progress.signed ? { signed: progress.signed } : {}),
    ...(progress.placements ? { placements: progress.placements } : {}),
    ...(emulation ? { emulation } : {})
  };
}

async function runStep(
  session: Session,
  plan: Plan,
  step: Step,
  progress: Progress,
  bx: () => Buildx,
  state: SavedState,
  inputs: Inputs
): Promise<void> {
  const { retries } = inputs;
  switch (step.kind) {
    case 'qemu':
      return session.phase('QEMU', () => runQemu(session, step, retries));
    case 'buildx':
      progress.bin = await session.phase('Buildx', () => runBuildx(session, step, retries));
      state.buildx = progress.bin;
      return;
    case 'builder':
      progress.builder = await session.phase('Builder', () =>
        runBuilder(
          bx(),
          step,
          plan.platforms.map((p) => p.id),
          () => saveState(session.edges, Object.assign(state, { builder: step.name }))
        )
      );
      return;
    case 'build': {
      const name = `Build ${step.platforms.map((p) => p.id).join(', ')}`;
      progress.built = await session.phase(name, () => runBuild(bx(), step, plan.cache.refs));
      progress.sources = progress.built.source ? [progress.built.source] : [];
      progress.emulation = readEmulation(bx(), oneBuild(plan, step, progress.built.metadata), inputs, session.env);
      return;
    }
    case 'builds': {
      const all = await runBuilds(session, bx(), step, progress.builder, (name) =>
        saveState(session.edges, Object.assign(state, { fallbackBuilders: [...(state.fallbackBuilders ?? []), name] }))
      );
      progress.built = all.built;
      progress.sources = all.sources;
      progress.placements = all.placements;
      progress.emulation = readEmulation(
        bx(),
        perPlatform(step, all.built.metadata, all.placements),
        inputs,
        session.env
      );
      return;
    }
    case 'find-legs':
      progress.sources = await session.phase('Find legs', () => findLegs(bx(), step));
      return;
    case 'check-digests':
      progress.sources = await session.phase('Find legs', () => checkDigests(bx(), step));
      return;
    case 'publish': {
      const registry = registryOptions(session.env, session.runner, bx().stallMs ?? 0);
      const platforms = plan.platforms.map((p) => p.id);
      const name = step.handOff ? 'Hand off to the merge' : 'Publish tags';
      progress.published = await session.phase(name, () =>
        publish(bx(), step, plan.tags, progress.sources, registry, platforms)
      );
      return;
    }
    case 'verify': {
      const published = progress.published;
      if (!published) throw new Error('verify needs the publish step before it');
      const registry = registryOptions(session.env, session.runner, bx().stallMs ?? 0);
      // The index's refs that moved (held-back floating tags stayed; platform tags name a platform's image).
      const moved = published.refs.filter((ref) => step.refs.includes(ref));
      progress.verified = await session.phase('Verify what was published', () =>
        verify(bx(), step, plan.builder, published.digest, moved, registry)
      );
      return;
    }
    case 'sign': {
      const { published, verified } = progress;
      if (!published || !verified) throw new Error('sign needs the publish and verify steps before it');
      progress.signed = await session.phase('Sign', () =>
        sign(session, step, inputs.signing, published.digest, verified.children, retries)
      );
      return;
    }
    case 'remove-legs': {
      const registry = registryOptions(session.env, session.runner, bx().stallMs ?? 0);
      const children = progress.published?.children ?? [];
      progress.removals = await session.phase('Remove hand-off tags', () =>
        removeLegs(bx(), step, progress.sources, children, registry)
      );
      return;
    }
  }
}
