import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Edges, Log } from './log.js';
import { Masker } from './log.js';
import { createRunner, type Runner } from './exec.js';
import { readInputs, type Inputs } from './inputs.js';
import { contextFromGitHub, contextFromGit } from './context.js';
import type { Context } from './plan/context.js';
import { makePlan, parseSecrets, secretRefs, type Plan } from './plan/plan.js';
import { nativePlatform, runsNatively } from './plan/platforms.js';
import { holdBackFloating, type HeldTag } from './plan/tags.js';
import { setupQemu } from './tools/qemu.js';
import { findBuildx, installBuildx } from './tools/buildx-install.js';
import type { BuildxBin } from './tools/buildx-bin.js';
import * as buildx from './tools/buildx.js';
import { saveState } from './state.js';
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
  const { edges, env, cwd } = runEnv;
  const log = edges.log;
  const masker = runEnv.masker ?? new Masker();
  const runner = createRunner(log, masker);
  const timings: Array<[string, number]> = [];
  const phase = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const start = Date.now();
    try {
      return await log.group(name, fn);
    } finally {
      timings.push([name, (Date.now() - start) / 1000]);
    }
  };

  const inputs = await phase('Inputs', async () => {
    const parsed = readInputs(edges.input, cwd);
    for (const line of parseSecrets(parsed.secrets)) hide(line.value, masker, log);
    return parsed;
  });
  const context = await phase('Context', () => readContext(inputs, env, cwd, log));
  const now = (runEnv.now ?? (() => new Date()))();
  const tempRoot = env.RUNNER_TEMP || os.tmpdir();
  await mkdir(tempRoot, { recursive: true });
  const tempDir = await mkdtemp(path.join(tempRoot, 'multiarch-'));
  const builderName = `multiarch-${context.runId || 'local'}-${context.runAttempt || '1'}-${randomBytes(3).toString('hex')}`;
  const state = { builder: '', buildx: undefined as BuildxBin | undefined, tempDir };
  saveState(edges, state);
  try {
    const secretSpecs = [...(await writeSecrets(inputs, tempDir)), ...secretRefs(inputs.secretEnvs, inputs.secretFiles)];
    const native = nativePlatform();
    const metadataFile = path.join(tempDir, 'metadata.json');
    const plan = makePlan(inputs, context, native, now, { builderName, metadataFile, secretSpecs }, (p) => runsNatively(p, native));

    if (inputs.dryRun) {
      await phase('Plan (dry run)', async () => printPlan(plan, inputs, log));
      setOutputs(edges, plan, { digest: '', platformDigests: {}, tags: plan.tags.refs, metadata: {} });
      return undefined;
    }

    await phase('QEMU', async () => {
      const result = await setupQemu({ mode: inputs.qemu, platforms: plan.platforms, native, binfmtImage: inputs.qemuImage, run: runner, log, retries: inputs.retries });
      log.info(describeQemu(result));
    });

    const bin = await phase('Buildx', async () => {
      const found = inputs.buildxVersion
        ? await installBuildx({ version: inputs.buildxVersion, base: inputs.buildxMirror, run: runner, log, retries: inputs.retries })
        : await findBuildx(runner, env);
      log.info(`buildx ${found.version} (${[found.command, ...found.prefix].join(' ')})`);
      return found;
    });
    const bx: buildx.Buildx = { bin, run: runner, log, retries: inputs.retries, cwd };
    state.buildx = bin;

    const builder = await phase('Builder', async () => {
      if (plan.builder.create) {
        await buildx.createBuilder(bx, plan.builder.create, plan.builder.name);
        state.builder = plan.builder.name;
        saveState(edges, state);
      }
      const info = await buildx.bootstrapBuilder(bx, plan.builder.name);
      log.info(`builder ${info.name}: driver ${info.driver}, BuildKit ${info.buildkitVersion}`);
      log.info(`platforms: ${info.platforms.join(', ') || '(none listed)'}`);
      const missing = plan.platforms.filter((p) => info.platforms.length > 0 && !info.platforms.includes(p.id));
      if (missing.length > 0) log.warning(`builder ${info.name} does not list ${missing.map((p) => p.id).join(', ')}; the build may fail for them`);
      return info;
    });

    const metadata = await phase(`Build ${plan.platforms.map((p) => p.id).join(', ')}`, () => buildx.build(bx, plan.build, metadataFile, inputs.stallTimeoutMs));
    warnCache(metadata, log);

    let digest = '';
    let platformDigests: Record<string, string> = {};
    let tags: string[] = [];
    let held: Result['held'] = [];
    if (plan.output.kind === 'push-by-digest') {
      const pushed = String(metadata['containerimage.digest'] ?? '');
      if (!/^sha256:[0-9a-f]{64}$/.test(pushed)) throw new Error(`the build finished but buildx reported no image digest in its metadata (${Object.keys(metadata).join(', ') || 'empty'})`);
      const source = `${plan.output.image}@${pushed}`;
      ({ digest, platformDigests, tags, held } = await phase('Publish tags', async () => {
        const index = await buildx.inspectRaw(bx, builder.name, source);
        if (!index) throw new Error(`${source} was pushed but the registry does not return it`);
        const perPlatform = index.manifests ? buildx.platformDigests(index) : { [plan.platforms[0].id]: pushed };
        const keep = await floatingCheck(bx, builder.name, plan, inputs.images[0]);
        for (const h of keep.held) log.warning(`${h.tag} not moved: ${h.reason === 'prerelease' ? `${h.ours} is a pre-release` : `it points to ${h.current}, newer than ${h.ours}`}`);
        const refs = plan.tags.refs.filter((ref) => keep.tags.includes(ref.slice(ref.lastIndexOf(':') + 1)));
        if (refs.length > 0) await buildx.tagIndex(bx, builder.name, source, refs);
        for (const ref of refs) log.info(`${ref} → ${pushed}`);
        return { digest: pushed, platformDigests: perPlatform, tags: refs, held: keep.held };
      }));
    } else {
      digest = String(metadata['containerimage.digest'] ?? '');
      tags = plan.output.kind === 'load' ? plan.tags.refs : [];
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

async function readContext(inputs: Inputs, env: NodeJS.ProcessEnv, cwd: string, log: Log): Promise<Context> {
  const source = inputs.metadataSource === 'auto' ? (env.GITHUB_EVENT_PATH ? 'workflow' : 'git') : inputs.metadataSource;
  const context = source === 'workflow' ? contextFromGitHub(env) : await contextFromGit(path.resolve(cwd, env.GITHUB_WORKSPACE || '.'), env);
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
  log.setSecret(value);
}

/** For each floating tag (latest, 1, 1.2), read the version it points to now; never move it backwards. */
async function floatingCheck(bx: buildx.Buildx, builder: string, plan: Plan, image: string) {
  const current = new Map<string, string | undefined>();
  for (const tag of plan.tags.floating) {
    const index = await buildx.inspectRaw(bx, builder, `${image}:${tag}`);
    current.set(tag, index?.annotations?.['org.opencontainers.image.version']);
  }
  return holdBackFloating(plan.tags, current);
}

function warnCache(metadata: Record<string, unknown>, log: Log): void {
  const text = JSON.stringify(metadata['buildx.build.warnings'] ?? '');
  if (/cache/i.test(text)) log.warning(`the registry cache could not be used fully: ${text.slice(0, 500)}`);
}

function describeQemu(result: { installed: string[]; present: string[]; skipped?: string; method?: string }): string {
  if (result.skipped) return `no QEMU set-up: ${result.skipped}`;
  const parts = [];
  if (result.installed.length) parts.push(`installed ${result.installed.join(', ')}${result.method ? ` (${result.method})` : ''}`);
  if (result.present.length) parts.push(`already registered ${result.present.join(', ')}`);
  return parts.join('; ') || 'nothing to do';
}

function printPlan(plan: Plan, inputs: Inputs, log: Log): void {
  const cli = (argv: string[]) => ['docker', 'buildx', ...argv].join(' ');
  log.info(`platforms: ${plan.platforms.map((p) => p.id).join(', ')} (emulated: ${plan.emulated.map((p) => p.id).join(', ') || 'none'})`);
  log.info(`version: ${plan.tags.version || '(none)'}`);
  log.info(`tags:\n  ${plan.tags.refs.join('\n  ') || '(none)'}`);
  log.info(`cache: ${plan.cache.refs.join(', ') || 'off'}`);
  if (plan.builder.create) log.info(cli(plan.builder.create));
  log.info(cli(plan.build));
  if (inputs.push && plan.tags.refs.length) log.info(cli(['imagetools', 'create', '--builder', plan.builder.name, ...plan.tags.refs.flatMap((r) => ['--tag', r]), `${inputs.images[0]}@<digest>`]));
}

function setOutputs(edges: Edges, plan: Plan, result: Pick<Result, 'digest' | 'platformDigests' | 'tags' | 'metadata'>): void {
  edges.setOutput('digest', result.digest);
  edges.setOutput('tags', result.tags.join('\n'));
  edges.setOutput('version', plan.tags.version);
  edges.setOutput('platform-digests', JSON.stringify(result.platformDigests));
  edges.setOutput('metadata', JSON.stringify(result.metadata));
  edges.setOutput('builder', plan.builder.name);
  edges.setOutput('labels', Object.entries(plan.labels).map(([k, v]) => `${k}=${v}`).join('\n'));
  edges.setOutput('annotations', plan.annotations.join('\n'));
  edges.setOutput(
    'json',
    JSON.stringify({ tags: result.tags, labels: plan.labels, annotations: plan.annotations, version: plan.tags.version, digest: result.digest, 'platform-digests': result.platformDigests })
  );
}

export type { Runner };
