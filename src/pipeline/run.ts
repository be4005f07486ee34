import { rm } from 'node:fs/promises';
import type { Runner } from '../ports.js';
import { InputError } from '../plan/errors.js';
import type { Inputs } from '../plan/inputs.js';
import { makePlan, type Plan } from '../plan/plan.js';
import { nativePlatform } from '../plan/platforms.js';
import type { CommitStep, Step } from '../plan/steps.js';
import type { BuildxBin } from '../tools/buildx/find.js';
import type { Buildx } from '../tools/buildx/handle.js';
import type { BuilderInfo } from '../tools/buildx/builder.js';
import type { RegistryOptions } from '../tools/registry/client.js';
import { credentialsConfigured } from '../tools/registry/credentials.js';
import { runBuild, runBuilder, runBuildx, runQemu, type Built } from './build.js';
import { printPlan, stepLines } from './dry-run.js';
import { runBuilds, type Placement } from './builds.js';
import { commit, type Committed } from './commit.js';
import { failure } from './failure.js';
import { dockerfileOf } from '../plan/dockerfile.js';
import { metadataRun } from './metadata.js';
import { handOffsNaming } from './hand-off.js';
import { checkDigests, findLegs, removeLegs, type LegRemoval } from './merge.js';
import { dryRunMarkdown, failureMarkdown, setOutputs, summaryMarkdown, tagsOutput } from './outputs.js';
import { exportMetadataEnv } from './metadata-env.js';
import { preflight } from './preflight.js';
import { makeWorkspace, readAndMask, readContext } from './prepare.js';
import { prove, type Proven } from './prove.js';
import { planMatrix } from './runner-matrix.js';
import type { Result } from './result.js';
import { openSession, type RunEnv, type Session } from './session.js';
import { saveState, type SavedState } from './state.js';
import { sign, type Signed } from './sign.js';
import { stage, type Staged } from './stage.js';
import { logEmulation, oneBuild, perPlatform, readEmulation } from './emulation.js';
import type { EmulationSummary } from '../plan/emulation.js';

export type { RunEnv };

/** The whole pipeline: inputs → context → plan → its steps, in order → outputs and summary. */
export async function run(runEnv: RunEnv): Promise<Result | undefined> {
  const session = openSession(runEnv);
  let images: string[] = [];
  let given: Inputs | undefined;
  let plan: Plan | undefined;
  let progress: Progress | undefined;
  try {
    const inputs = await session.phase('Inputs', () => readAndMask(session));
    images = inputs.images;
    given = inputs;
    if (inputs.mode === 'matrix') {
      await planMatrix(session, inputs);
      return undefined;
    }
    const context = await session.phase('Context', () => readContext(session, inputs));
    const workspace = await makeWorkspace(session, inputs, context);
    const state: SavedState = { builder: '', tempDir: workspace.tempDir };
    saveState(session.edges, state);
    try {
      session.current = 'Plan';
      plan = makePlan(inputs, context, nativePlatform(), session.now(), workspace.ids);
      // A rule that gave no tag (no match, a group the pattern lacks) says so, on both faces.
      for (const warning of plan.tags.warnings) session.log.warning(`tags: ${warning}`);
      for (const warning of plan.warnings) session.log.warning(warning);
      if (plan.mode === 'metadata') return await metadataRun(session, plan);
      if (plan.pushNote) session.log.info(plan.pushNote);
      if (inputs.dryRun) return await dryRun(session, plan);
      progress = newProgress(plan);
      const result = await runSteps(session, plan, inputs, state, progress);
      await report(session, result);
      return result;
    } finally {
      // Secret files must not outlive the build; post removes the directory too if this is cut short.
      await rm(workspace.tempDir, { recursive: true, force: true });
    }
  } catch (error) {
    // Annotations name files as the repository does: relative to the workspace.
    const workspace = session.env.GITHUB_WORKSPACE || session.cwd;
    const failed = failure(error, images, {
      dockerfile: (p) => given && dockerfileOf(given, p, session.cwd, workspace),
      credentials: (host) => credentialsConfigured(host, session.env)
    });
    // Never blanket-empty: what was staged, and exactly which tags moved, tag by tag.
    const partial = plan && progress ? resultOf(session, plan, progress) : undefined;
    if (plan && partial) setOutputs(session.edges, plan, partial);
    const summary = failureMarkdown(session.current, failed.message, plan, session.timings, partial);
    await session.edges.summary(session.masker.mask(summary));
    // Bad input keeps its type: the command line exits 2 for it.
    throw error instanceof InputError ? error : failed;
  }
}

async function dryRun(session: Session, plan: Plan): Promise<undefined> {
  await session.phase('Plan (dry run)', async () => printPlan(plan, session.log));
  const commands = plan.steps.flatMap((step) => stepLines(step, plan.steps));
  setOutputs(session.edges, plan, { digest: '', platformDigests: {}, tags: tagsOutput(plan), metadata: {} });
  exportMetadataEnv(session.edges, plan, session.env);
  await session.edges.summary(session.masker.mask(dryRunMarkdown(plan, commands)));
  return undefined;
}

async function report(session: Session, result: Result): Promise<void> {
  setOutputs(session.edges, result.plan, result);
  exportMetadataEnv(session.edges, result.plan, session.env);
  await session.edges.summary(session.masker.mask(summaryMarkdown(result)));
}

function commitStep(plan: Plan): CommitStep | undefined {
  return plan.steps.find((s): s is CommitStep => s.kind === 'commit');
}

/** What the steps have produced so far: each step reads what the ones before it left. */
export interface Progress {
  bin?: BuildxBin;
  removals: LegRemoval[];
  builder: BuilderInfo;
  built: Built;
  sources: string[];
  /** One build per platform: where each was built. */
  placements?: Placement[];
  staged?: Staged;
  proven?: Proven;
  signed?: Signed;
  /** Each ref the commit moved, added the moment it moves (a failure part-way reads it). */
  moved: string[];
  committed?: Committed;
  /** The emulation report, read while the later steps run. */
  emulation?: Promise<EmulationSummary | undefined>;
}

/** What every step handler is given: built once per run. */
interface RunContext {
  session: Session;
  plan: Plan;
  inputs: Inputs;
  state: SavedState;
  progress: Progress;
  /** buildx, once the buildx step has found it. */
  bx(): Buildx;
  registry: RegistryOptions;
}

type Handler<K extends Step['kind']> = (step: Extract<Step, { kind: K }>, ctx: RunContext) => Promise<void>;

/** One handler per step kind: a step kind without one does not compile. */
const handlers: { [K in Step['kind']]: Handler<K> } = {
  async preflight(step, { session, inputs, registry }) {
    await session.phase('Preflight', () => preflight(session, step, inputs.signing, inputs.retries, registry));
  },
  async qemu(step, { session, inputs }) {
    await session.phase('QEMU', () => runQemu(session, step, inputs.retries));
  },
  async buildx(step, { session, inputs, progress, state }) {
    progress.bin = await session.phase('Buildx', () => runBuildx(session, step, inputs.retries));
    state.buildx = progress.bin;
  },
  async builder(step, { session, plan, progress, state, bx }) {
    progress.builder = await session.phase('Builder', () =>
      runBuilder(
        bx(),
        step,
        plan.platforms.map((p) => p.id),
        () => saveState(session.edges, Object.assign(state, { builder: step.name }))
      )
    );
  },
  async build(step, { session, plan, inputs, progress, bx }) {
    const name = `Build ${step.platforms.map((p) => p.id).join(', ')}`;
    progress.built = await session.phase(name, () => runBuild(bx(), step, plan.cache.refs));
    progress.sources = progress.built.source ? [progress.built.source] : [];
    progress.emulation = readEmulation(bx(), oneBuild(plan, step, progress.built.metadata), inputs.build, session.env);
  },
  async builds(step, { session, inputs, progress, state, bx }) {
    const all = await runBuilds(session, bx(), step, progress.builder, (name) =>
      saveState(session.edges, Object.assign(state, { fallbackBuilders: [...(state.fallbackBuilders ?? []), name] }))
    );
    progress.built = all.built;
    progress.sources = all.sources;
    progress.placements = all.placements;
    progress.emulation = readEmulation(
      bx(),
      perPlatform(step, all.built.metadata, all.placements),
      inputs.build,
      session.env
    );
  },
  async 'find-legs'(step, { session, progress, bx }) {
    progress.sources = await session.phase('Find legs', () => findLegs(bx(), step));
  },
  async 'check-digests'(step, { session, progress, bx }) {
    progress.sources = await session.phase('Find legs', () => checkDigests(bx(), step));
  },
  async stage(step, { session, plan, progress, bx, registry }) {
    const platforms = plan.platforms.map((p) => p.id);
    progress.staged = await session.phase('Stage', () => stage(bx(), step, progress.sources, registry, platforms));
  },
  async prove(step, { session, plan, progress, bx, registry }) {
    const staged = needs(progress.staged, 'prove', 'stage');
    progress.proven = await session.phase('Prove', () => prove(bx(), step, plan.tags, staged.digest, registry));
  },
  async sign(step, { session, inputs, progress }) {
    const staged = needs(progress.staged, 'sign', 'stage');
    const proven = needs(progress.proven, 'sign', 'prove');
    progress.signed = await session.phase('Sign', () =>
      sign(session, step, inputs.signing, staged.digest, proven.children, inputs.retries)
    );
  },
  async commit(step, { session, progress, bx, registry }) {
    const staged = needs(progress.staged, 'commit', 'stage');
    const held = (progress.proven?.held ?? []).map((h) => h.tag);
    const name = step.handOff ? 'Hand off to the merge' : 'Commit tags';
    progress.committed = await session.phase(name, () => commit(bx(), step, staged, held, registry, progress.moved));
  },
  async 'remove-legs'(step, { session, plan, progress, bx, registry }) {
    // What the published index is or lists is never removed.
    const children = [...(progress.staged?.children ?? []), ...(progress.staged ? [progress.staged.digest] : [])];
    progress.removals = await session.phase('Remove hand-off tags', async () => {
      if (!step.ofDigests) return removeLegs(bx(), step, progress.sources, children, registry);
      const found = await handOffsNaming(bx(), plan.builder, step, progress.sources);
      return removeLegs(bx(), { ...step, legs: found.legs }, found.sources, children, registry);
    });
  }
};

function needs<T>(value: T | undefined, step: string, before: string): T {
  if (value === undefined) throw new Error(`the ${step} step needs the ${before} step before it`);
  return value;
}

export function newProgress(plan: Plan): Progress {
  return {
    builder: { name: plan.builder, driver: 'not used (merge)', platforms: [], buildkitVersion: '-' },
    built: { metadata: {}, digest: '' },
    sources: [],
    removals: [],
    moved: []
  };
}

/** Runs the plan's steps in order, each by its handler, in a named phase. */
async function runSteps(
  session: Session,
  plan: Plan,
  inputs: Inputs,
  state: SavedState,
  progress: Progress
): Promise<Result> {
  const ctx: RunContext = {
    session,
    plan,
    inputs,
    state,
    progress,
    bx: () => ({
      bin: needs(progress.bin, 'buildx', 'buildx'),
      run: session.runner,
      log: session.log,
      retries: inputs.retries,
      cwd: session.cwd,
      stallMs: inputs.stallTimeoutMs
    }),
    registry: registryOptions(session.env, session.runner, inputs.stallTimeoutMs ?? 0)
  };
  for (const step of plan.steps) await (handlers[step.kind] as Handler<typeof step.kind>)(step, ctx);
  if (!plan.steps.some((s) => s.kind === 'commit') && plan.mode !== 'merge') {
    session.log.info('nothing pushed (push is false): the tags and version outputs are what the rules computed');
  }
  const emulation = await progress.emulation;
  logEmulation(session.log, emulation);
  return { ...resultOf(session, plan, progress), ...(emulation ? { emulation } : {}) };
}

/** What the run did so far, as outputs and the summary read it; after a failure too. */
export function resultOf(session: Session, plan: Plan, progress: Progress): Result {
  const { built, staged, proven, committed } = progress;
  return {
    plan,
    digest: staged?.digest ?? built.digest,
    platformDigests: staged?.platformDigests ?? {},
    // With a commit step, exactly what moved (nothing, after a failure before it); else what the rules computed.
    tags: tagsOutput(plan, commitStep(plan) ? (committed?.moved ?? progress.moved) : undefined),
    held: proven?.held ?? commitStep(plan)?.held ?? [],
    superseded: committed?.superseded ?? [],
    metadata: built.metadata,
    builder: progress.builder,
    removals: progress.removals,
    timings: session.timings,
    ...(proven ? { verification: { attestations: proven.attestations, table: proven.table } } : {}),
    ...(progress.signed ? { signed: progress.signed } : {}),
    ...(progress.placements ? { placements: progress.placements } : {})
  };
}

export function registryOptions(env: NodeJS.ProcessEnv, run: Runner, stallMs: number): RegistryOptions {
  return { env, run, timeoutMs: stallMs || undefined };
}
