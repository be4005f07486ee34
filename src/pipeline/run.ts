import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Edges, Log } from '../ports.js';
import { Masker } from '../ports.js';
import { createRunner, quoteArg } from '../tools/exec.js';
import type { Runner } from '../ports.js';
import { readInputs } from '../inputs/read.js';
import type { Inputs } from '../plan/inputs.js';
import { contextFromGitHub, contextFromGit } from '../inputs/context.js';
import type { Context } from '../plan/context.js';
import { makePlan, parseSecrets, secretRefs, type Plan } from '../plan/plan.js';
import { nativePlatform } from '../plan/platforms.js';
import { holdBackFloating, type HeldTag } from '../plan/tags.js';
import { parseDigestRefs } from '../plan/matrix.js';
import { setupQemu } from '../tools/qemu.js';
import { findBuildx, type BuildxBin } from '../tools/buildx/find.js';
import * as buildx from '../tools/buildx/commands.js';
import type { BuilderInfo } from '../tools/buildx/commands.js';
import { saveState, trackProcesses } from './state.js';
import { withRetry } from '../tools/retry.js';
import {
  getManifest,
  putTag,
  RegistryRefused,
  sameRepository,
  type RegistryOptions
} from '../tools/registry/client.js';
import { explainFailure } from './failure.js';
import { summaryMarkdown } from './summary.js';

export interface RunEnv {
  edges: Edges;
  env: NodeJS.ProcessEnv;
  cwd: string;
  masker?: Masker;
  now?: () => Date;
}

export interface Result {
  plan: Plan;
  digest: string;
  platformDigests: Record<string, string>;
  tags: string[];
  held: HeldTag[];
  metadata: Record<string, unknown>;
  timings: Array<[string, number]>;
}

/** The whole pipeline: inputs → plan → QEMU → buildx → builder → build → tags → outputs. */
export async function run(runEnv: RunEnv): Promise<Result | undefined> {
  const log = runEnv.edges.log;
  const masker = runEnv.masker ?? new Masker();
  const timings: Array<[string, number]> = [];
  const phase = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const start = Date.now();
    try {
      return await log.group(name, fn);
    } finally {
      timings.push([name, (Date.now() - start) / 1000]);
    }
  };
  // Children are kept in the state while they run: a SIGKILLed run leaves them for post to stop.
  const runner = createRunner(log, masker, trackProcesses(runEnv.edges));
  const session: Session = { ...runEnv, log, masker, runner, timings, phase };

  const inputs = await phase('Inputs', async () => {
    const parsed = readInputs(runEnv.edges.input, runEnv.cwd);
    for (const line of parseSecrets(parsed.secrets)) hide(line.value, masker, log);
    return parsed;
  });
  try {
    return await pipeline(session, inputs);
  } catch (error) {
    throw new Error(explainFailure(error, inputs.images));
  }
}

interface Session extends RunEnv {
  log: Log;
  masker: Masker;
  runner: Runner;
  timings: Array<[string, number]>;
  phase: <T>(name: string, fn: () => Promise<T>) => Promise<T>;
}

async function pipeline(session: Session, inputs: Inputs): Promise<Result | undefined> {
  const { edges, env, cwd, log, masker, runner, timings, phase } = session;
  const context = await phase('Context', () => readContext(inputs, env, cwd, log));
  const now = (session.now ?? (() => new Date()))();
  const tempRoot = env.RUNNER_TEMP || os.tmpdir();
  await mkdir(tempRoot, { recursive: true });
  const tempDir = await mkdtemp(path.join(tempRoot, 'multiarch-'));
  const builderName = `multiarch-${context.runId || 'local'}-${context.runAttempt || '1'}-${randomBytes(3).toString('hex')}`;
  const state = { builder: '', buildx: undefined as BuildxBin | undefined, tempDir };
  saveState(edges, state);
  try {
    const secretSpecs = [
      ...(await writeSecrets(inputs, tempDir)),
      ...secretRefs(inputs.secretEnvs, inputs.secretFiles)
    ];
    const native = nativePlatform();
    const metadataFile = path.join(tempDir, 'metadata.json');
    const runId = inputs.runId || context.runId;
    let inlineBuildkitdConfig: string | undefined;
    if (inputs.buildkitdConfigInline) {
      inlineBuildkitdConfig = path.join(tempDir, 'buildkitd.toml');
      await writeFile(inlineBuildkitdConfig, inputs.buildkitdConfigInline);
    }
    const ids = { builderName, metadataFile, secretSpecs, runId, inlineBuildkitdConfig };
    const plan = makePlan(inputs, context, native, now, ids);

    if (inputs.dryRun) {
      await phase('Plan (dry run)', async () => printPlan(plan, inputs, log));
      setOutputs(edges, plan, {
        digest: '',
        platformDigests: {},
        tags: inputs.mode === 'platform' ? [] : plan.tags.refs,
        metadata: {}
      });
      return undefined;
    }

    if (inputs.mode !== 'merge') {
      await phase('QEMU', async () => {
        const result = await setupQemu({
          mode: inputs.qemu,
          platforms: plan.platforms,
          native,
          binfmtImage: inputs.qemuImage,
          run: runner,
          log,
          retries: inputs.retries
        });
        if (result.skipped) log.info(`no QEMU set-up: ${result.skipped}`);
      });
    }

    const bin = await phase('Buildx', async () => {
      // The installer (tool cache, Actions cache) is loaded only when a version is asked for: it is
      // most of the bundle, and the action starts faster without it.
      const found = inputs.buildxVersion
        ? await (
            await import('../tools/buildx/install.js')
          ).installBuildx({
            version: inputs.buildxVersion,
            base: inputs.buildxMirror,
            run: runner,
            log,
            retries: inputs.retries
          })
        : await findBuildx(runner, env);
      log.info(`buildx ${found.version} (${[found.command, ...found.prefix].join(' ')})`);
      return found;
    });
    const bx: buildx.Buildx = { bin, run: runner, log, retries: inputs.retries, cwd, stallMs: inputs.stallTimeoutMs };
    state.buildx = bin;

    // A merge only copies manifests: a builder named for it gives imagetools its registry settings, no bootstrap needed.
    const builder: BuilderInfo =
      plan.builder.name && inputs.mode !== 'merge'
        ? await phase('Builder', () =>
            startBuilder(bx, plan, () => {
              state.builder = plan.builder.name;
              saveState(edges, state);
            })
          )
        : { name: plan.builder.name, driver: 'not used (merge)', platforms: [], buildkitVersion: '-' };

    let digest = '';
    let platformDigests: Record<string, string> = {};
    let tags: string[] = [];
    let held: HeldTag[] = [];
    let metadata: Record<string, unknown> = {};
    let sources: string[] = [];

    if (inputs.mode === 'merge') {
      sources = await phase('Find legs', () => findLegs(bx, plan, inputs));
    } else {
      const built = await phase(`Build ${plan.platforms.map((p) => p.id).join(', ')}`, () =>
        buildImages(bx, plan, metadataFile, inputs.stallTimeoutMs)
      );
      ({ metadata, digest, sources } = built);
      if (plan.output.kind === 'load') tags = plan.tags.refs;
    }

    if (sources.length > 0) {
      const published = await phase(inputs.mode === 'platform' ? 'Hand off to the merge' : 'Publish tags', () =>
        publish(bx, builder.name, plan, inputs, sources)
      );
      ({ digest, platformDigests, held } = published);
      tags = inputs.mode === 'platform' ? [] : published.refs;
    }

    const result: Result = { plan, digest, platformDigests, tags, held, metadata, timings };
    setOutputs(edges, plan, result);
    await edges.summary(masker.mask(summaryMarkdown(result, builder)));
    return result;
  } finally {
    // Secret files must not outlive the build; post removes the directory too if this is cut short.
    await rm(tempDir, { recursive: true, force: true });
  }
}

/** Creates the builder the plan names (recording it for clean-up at once), bootstraps it, says what it offers. */
async function startBuilder(bx: buildx.Buildx, plan: Plan, created: () => void): Promise<BuilderInfo> {
  if (plan.builder.create) {
    await buildx.createBuilder(bx, plan.builder.create, plan.builder.name);
    created();
  }
  const info = await buildx.bootstrapBuilder(bx, plan.builder.name);
  bx.log.info(`builder ${info.name}: driver ${info.driver}, BuildKit ${info.buildkitVersion}`);
  bx.log.info(`platforms: ${info.platforms.join(', ') || '(none listed)'}`);
  const missing = plan.platforms.filter((p) => info.platforms.length > 0 && !info.platforms.includes(p.id));
  if (missing.length > 0)
    bx.log.warning(
      `builder ${info.name} does not list ${missing.map((p) => p.id).join(', ')}; the build may fail for them`
    );
  return info;
}

/** The one build of every platform; what it pushed by digest becomes the source of the tags. */
async function buildImages(bx: buildx.Buildx, plan: Plan, metadataFile: string, stallMs: number) {
  const { metadata, output } = await buildx.build(bx, plan.build, metadataFile, stallMs);
  for (const problem of buildx.cacheProblems(output)) {
    const ref = problem.ref || plan.cache.refs.join(', ');
    bx.log.warning(
      `the registry cache ${ref} could not be ${problem.direction === 'read' ? 'read' : 'written'}; the build went on without it: ${problem.error}`
    );
  }
  const digest = String(metadata['containerimage.digest'] ?? '');
  if (plan.output.kind !== 'push-by-digest') return { metadata, digest, sources: [] as string[] };
  if (!/^sha256:[0-9a-f]{64}$/.test(digest))
    throw new Error(
      `the build finished but buildx reported no image digest in its metadata (${Object.keys(metadata).join(', ') || 'empty'})`
    );
  return { metadata, digest, sources: [`${plan.output.image}@${digest}`] };
}

async function readContext(inputs: Inputs, env: NodeJS.ProcessEnv, cwd: string, log: Log): Promise<Context> {
  const source =
    inputs.metadataSource === 'auto' ? (env.GITHUB_EVENT_PATH ? 'workflow' : 'git') : inputs.metadataSource;
  const context =
    source === 'workflow'
      ? contextFromGitHub(env)
      : await contextFromGit(path.resolve(cwd, env.GITHUB_WORKSPACE || '.'), env);
  log.info(`${context.eventName} ${context.ref} at ${context.sha.slice(0, 12)} (${source})`);
  return context;
}

async function writeSecrets(inputs: Inputs, dir: string): Promise<string[]> {
  const specs: string[] = [];
  for (const { id, value } of parseSecrets(inputs.secrets)) {
    const file = path.join(dir, `secret-${id}`);
    await writeFile(file, value, { mode: 0o600 });
    specs.push(`id=${id},src=${file}`);
  }
  return specs;
}

function hide(value: string, masker: Masker, log: Log): void {
  masker.add(value);
  // The runner masks line by line: a multi-line secret (a key) is registered a line at a time too.
  for (const line of new Set([value, ...value.split(/\r?\n/)])) if (line.trim().length >= 3) log.setSecret(line);
}

/**
 * Moves the tags onto what was pushed by digest. One source (a one-step build or a leg) is copied
 * as it is, so its digest is known; several (a merge) make a new index, read back afterwards so
 * the outputs describe the registry. Reads run in parallel: each is a process start and a round trip.
 */
async function publish(bx: buildx.Buildx, builder: string, plan: Plan, inputs: Inputs, sources: string[]) {
  const image = inputs.images[0];
  // A merged index is new: it gets the index annotations the legs' indexes carried.
  const annotations = sources.length > 1 ? plan.annotations.filter((a) => a.startsWith('index:')) : [];
  // The one source is read first (one request): a tag in its repository is a PUT of its exact bytes.
  const [source, movable] = await Promise.all([
    sources.length === 1 ? readSource(bx, builder, sources[0]) : undefined,
    inputs.mode === 'platform'
      ? { refs: [`${image}:${plan.legs[0].tag}`], held: [] }
      : movableRefs(bx, builder, plan, image, bx.log)
  ]);
  if (movable.refs.length > 0) await moveTags(bx, builder, movable.refs, sources, annotations, source);
  const index = source ?? (movable.refs.length > 0 ? await buildx.inspectRaw(bx, builder, movable.refs[0]) : undefined);
  if (!index) throw new Error(`${movable.refs[0] ?? sources[0]} is not in the registry after publishing`);
  const platformDigests = index.manifest.manifests
    ? buildx.platformDigests(index.manifest)
    : { [plan.platforms[0].id]: index.digest };
  for (const ref of movable.refs) bx.log.info(`${ref} → ${index.digest}`);
  return { digest: index.digest, platformDigests, refs: movable.refs, held: movable.held };
}

/**
 * The index the build pushed, read by one GET of its digest (retried on its own); through
 * imagetools when the registry needs what only buildx knows (see registry-tag.ts).
 */
async function readSource(
  bx: buildx.Buildx,
  builder: string,
  ref: string
): Promise<{ manifest: buildx.Manifest; digest: string; raw: string } | undefined> {
  try {
    const got = await withRetry(() => getManifest(ref, registryOptions(bx)), {
      retries: bx.retries,
      what: `reading ${ref}`,
      log: bx.log
    });
    return { manifest: JSON.parse(got.raw) as buildx.Manifest, digest: got.digest, raw: got.raw };
  } catch (error) {
    if (!(error instanceof RegistryRefused)) throw error;
    bx.log.info(`reading ${ref} through buildx imagetools (${error.message})`);
    return buildx.inspectRaw(bx, builder, ref);
  }
}

function registryOptions(bx: buildx.Buildx): RegistryOptions {
  return { env: process.env, timeoutMs: bx.stallMs || undefined, log: bx.log };
}

/**
 * Points the tags at the index, last. A tag in the repository the index was pushed to is one PUT of
 * the index's exact bytes, each tag retried on its own; buildx imagetools create makes ~30 requests
 * for the same (it walks every child manifest and blob) and gives up on the first dropped one.
 * Other repositories, a merge of several sources, and whatever the PUT cannot do (an auth scheme,
 * a registry reachable only through BuildKit's configuration) go through imagetools create.
 */
async function moveTags(
  bx: buildx.Buildx,
  builder: string,
  refs: string[],
  sources: string[],
  annotations: string[],
  source: { digest: string; raw: string; manifest: buildx.Manifest } | undefined
): Promise<void> {
  const mediaType = source?.manifest.mediaType;
  let direct =
    source && mediaType && sources.length === 1 && annotations.length === 0
      ? refs.filter((ref) => sameRepository(ref, sources[0]))
      : [];
  try {
    for (const ref of direct) {
      await withRetry(() => putTag(ref, source!.raw, mediaType!, source!.digest, registryOptions(bx)), {
        retries: bx.retries,
        what: `tagging ${ref}`,
        log: bx.log
      });
    }
  } catch (error) {
    if (!(error instanceof RegistryRefused)) throw error;
    bx.log.warning(`could not tag by a direct PUT (${error.message}); using buildx imagetools create`);
    direct = [];
  }
  const rest = refs.filter((ref) => !direct.includes(ref));
  if (rest.length > 0) await buildx.tagIndex(bx, builder, rest, sources, annotations);
}

/** The refs to move: every computed one, less floating tags (latest, 1, 1.2) that would move backwards. */
async function movableRefs(
  bx: buildx.Buildx,
  builder: string,
  plan: Plan,
  image: string,
  log: Log
): Promise<{ refs: string[]; held: HeldTag[] }> {
  const versions = await Promise.all(
    plan.tags.floating.map((tag) => buildx.publishedVersion(bx, builder, `${image}:${tag}`))
  );
  const current = new Map(plan.tags.floating.map((tag, i) => [tag, versions[i]]));
  const keep = holdBackFloating(plan.tags, current);
  for (const h of keep.held)
    log.warning(
      `${h.tag} not moved: ${h.reason === 'prerelease' ? `${h.ours} is a pre-release` : `it points to ${h.current}, newer than ${h.ours}`}`
    );
  return {
    refs: plan.tags.refs.filter((ref) => keep.tags.includes(ref.slice(ref.lastIndexOf(':') + 1))),
    held: keep.held
  };
}

/**
 * merge mode: the digest every leg left for this run, or the explicit `digests`. A missing
 * platform fails the merge before anything is published: no half image ships.
 */
async function findLegs(bx: buildx.Buildx, plan: Plan, inputs: Inputs): Promise<string[]> {
  const image = inputs.images[0];
  const builder = plan.builder.name;
  if (inputs.digests.length > 0) {
    const refs = parseDigestRefs(inputs.digests, image);
    const found = await Promise.all(refs.map((ref) => buildx.inspectRaw(bx, builder, ref)));
    const absent = refs.filter((_, i) => !found[i]);
    if (absent.length > 0)
      throw new Error(
        `merge: ${absent.join(', ')} (from the digests input) not in the registry; nothing was published`
      );
    return refs;
  }
  const legs = await Promise.all(plan.legs.map((leg) => buildx.inspectRaw(bx, builder, `${image}:${leg.tag}`)));
  const found: string[] = [];
  const missing: string[] = [];
  plan.legs.forEach((leg, i) => {
    const ref = `${image}:${leg.tag}`;
    const id = leg.platforms[0].id;
    const got = legs[i];
    if (!got) return void missing.push(`${id} (no ${ref})`);
    const offers = got.manifest.manifests ? Object.keys(buildx.platformDigests(got.manifest)) : [id];
    if (!offers.includes(id)) return void missing.push(`${id} (${ref} holds ${offers.join(', ') || 'no platform'})`);
    bx.log.info(`${id}: ${image}@${got.digest}`);
    found.push(`${image}@${got.digest}`);
  });
  if (missing.length > 0)
    throw new Error(
      `merge: no leg result for ${missing.join('; ')}. Did every matrix leg run with mode: platform for this commit and run? Nothing was published.`
    );
  return found;
}

/** dry-run: what each mode would do, with the exact commands quoted so they can be pasted into a shell. */
function printPlan(plan: Plan, inputs: Inputs, log: Log): void {
  const cli = (argv: string[]) => ['docker', 'buildx', ...argv].map(quoteArg).join(' ');
  const image = inputs.images[0];
  const builder = plan.builder.name ? ['--builder', plan.builder.name] : [];
  const tagFlags = (refs: string[]) => refs.flatMap((r) => ['--tag', r]);
  log.info(`mode: ${inputs.mode}`);
  log.info(
    `platforms: ${plan.platforms.map((p) => p.id).join(', ')} (emulated: ${plan.emulated.map((p) => p.id).join(', ') || 'none'})`
  );
  log.info(`version: ${plan.tags.version || '(none)'}`);
  log.info(`tags:\n  ${dryRunTags(plan, inputs).join('\n  ') || '(none)'}`);
  log.info(`cache: ${plan.cache.refs.join(', ') || 'off'}`);
  if (plan.builder.create) log.info(cli(plan.builder.create));
  if (plan.build.length > 0) log.info(cli(plan.build));
  if (inputs.mode === 'merge') {
    const sources =
      inputs.digests.length > 0
        ? parseDigestRefs(inputs.digests, image)
        : plan.legs.map((leg) => `${image}:${leg.tag}`);
    const annotations = plan.annotations.filter((a) => a.startsWith('index:')).flatMap((a) => ['--annotation', a]);
    log.info(cli(['imagetools', 'create', ...builder, ...annotations, ...tagFlags(plan.tags.refs), ...sources]));
  } else if (inputs.push) {
    const refs = dryRunTags(plan, inputs);
    if (refs.length > 0)
      log.info(cli(['imagetools', 'create', ...builder, ...tagFlags(refs), `${image}@<digest of the build>`]));
  }
}

/** The refs a run would move: a leg moves only its hand-off tag, and outputs no tags. */
function dryRunTags(plan: Plan, inputs: Inputs): string[] {
  return inputs.mode === 'platform' ? [`${inputs.images[0]}:${plan.legs[0].tag}`] : plan.tags.refs;
}

function setOutputs(
  edges: Edges,
  plan: Plan,
  result: Pick<Result, 'digest' | 'platformDigests' | 'tags' | 'metadata'>
): void {
  edges.setOutput('digest', result.digest);
  edges.setOutput('tags', result.tags.join('\n'));
  edges.setOutput('version', plan.tags.version);
  edges.setOutput('platform-digests', JSON.stringify(result.platformDigests));
  edges.setOutput('metadata', JSON.stringify(result.metadata));
  edges.setOutput('builder', plan.builder.name);
  edges.setOutput(
    'labels',
    Object.entries(plan.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n')
  );
  edges.setOutput('annotations', plan.annotations.join('\n'));
  edges.setOutput(
    'json',
    JSON.stringify({
      tags: result.tags,
      labels: plan.labels,
      annotations: plan.annotations,
      version: plan.tags.version,
      digest: result.digest,
      'platform-digests': result.platformDigests
    })
  );
}
