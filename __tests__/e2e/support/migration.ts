/**
 * The migration the README describes, done mechanically on a parsed workflow, and the runner's
 * view of one step of it for a given event.
 *
 * README ("One step"): keep `context`, `file`, `build-args`, `secrets`, `labels`, `provenance`,
 * `push`, `cache-from`, `cache-to`… as they are; replace the separate QEMU, buildx and metadata
 * steps by `images` (and `tags`, if you had custom rules). So, in every job with a
 * docker/build-push-action step:
 * - that step's `uses:` becomes ours (`./`, the action at the repository root, which is how
 *   actionlint checks it against our action.yml); its `with:` is kept key for key, except:
 *   - `tags: ${{ steps.M.outputs.tags }}` becomes M's `images`, `tags` and `flavor`;
 *   - `labels`/`annotations: ${{ steps.M.outputs.… }}` become M's own `labels`/`annotations`
 *     input if it had one, else go (ours are the OCI ones metadata-action would give);
 *   - `builder: ${{ steps.B.outputs.name }}` goes with the buildx step;
 *   - setup-buildx's `version`, `driver`, `driver-opts`, `endpoint`, `buildkitd-flags`,
 *     `buildkitd-config(-inline)` and setup-qemu's `image` move onto it under our names;
 * - docker/setup-qemu-action, docker/setup-buildx-action and docker/metadata-action steps go,
 *   unless a step or output still reads them (`steps.<id>.…` anywhere left in the job): then a
 *   metadata step becomes ours in `mode: metadata` (same id, same outputs), and a setup step stays
 *   (recorded as a break).
 */
import { interpolate, condition, Placeholder, type Contexts, type Value } from './expressions.js';

export type Step = Record<string, unknown> & { uses?: string; id?: string; with?: Record<string, unknown> };
export type Job = Record<string, unknown> & { steps?: Step[]; env?: Record<string, unknown> };
export type Workflow = Record<string, unknown> & { jobs: Record<string, Job>; env?: Record<string, unknown> };

/** One step of ours in the migrated workflow. */
export interface MigratedStep {
  job: string;
  /** `job#n`: the n-th build-push-action step of the job (from 1). */
  key: string;
  /** The migrated step, as it now stands in the workflow. */
  step: Step;
  /** build-push-action's own `push`, unevaluated (undefined: its default, false). */
  originalPush: unknown;
  /** Steps of the job the migration had to keep (metadata read elsewhere, buildx outputs read). */
  kept: string[];
  /** Metadata steps removed from the job. */
  removedMetadata: string[];
}

export interface Migration {
  workflow: Workflow;
  steps: MigratedStep[];
}

const OURS = './';
const isAction = (step: Step, name: string): boolean => (step.uses ?? '').startsWith(`docker/${name}@`);
const stepRef = (value: unknown, output: string): string | undefined => {
  if (typeof value !== 'string') return undefined;
  const m = new RegExp(`^\\s*\\$\\{\\{\\s*steps\\.([\\w-]+)\\.outputs\\.${output}\\s*\\}\\}\\s*$`).exec(value);
  return m?.[1];
};

const BUILDX_INPUTS: Record<string, string> = {
  version: 'buildx-version',
  driver: 'driver',
  'driver-opts': 'driver-opts',
  endpoint: 'endpoint',
  'buildkitd-flags': 'buildkitd-flags',
  'buildkitd-config': 'buildkitd-config',
  config: 'buildkitd-config',
  'buildkitd-config-inline': 'buildkitd-config-inline',
  'config-inline': 'buildkitd-config-inline'
};

export function migrate(original: Workflow): Migration {
  const workflow = structuredClone(original);
  const steps: MigratedStep[] = [];
  for (const [jobName, job] of Object.entries(workflow.jobs)) {
    const jobSteps = job.steps;
    if (!jobSteps?.some((s) => isAction(s, 'build-push-action'))) continue;
    const metas = new Map<string, Step>();
    for (const s of jobSteps) if (isAction(s, 'metadata-action') && s.id) metas.set(s.id, s);
    const buildx = jobSteps.find((s) => isAction(s, 'setup-buildx-action'));
    const qemu = jobSteps.find((s) => isAction(s, 'setup-qemu-action'));
    const ours: MigratedStep[] = [];
    let n = 0;
    for (const step of jobSteps) {
      if (!isAction(step, 'build-push-action')) continue;
      const given = { ...(step.with ?? {}) };
      const out: Record<string, unknown> = {};
      const metaOfTags = stepRef(given.tags, 'tags');
      for (const [key, value] of Object.entries(given)) {
        if (key === 'tags' && metaOfTags && metas.has(metaOfTags)) {
          const meta = metas.get(metaOfTags)!.with ?? {};
          out.images = meta.images;
          if (meta.tags !== undefined) out.tags = meta.tags;
          if (meta.flavor !== undefined) out.flavor = meta.flavor;
        } else if ((key === 'labels' || key === 'annotations') && stepRef(value, key)) {
          const meta = metas.get(stepRef(value, key)!)?.with ?? {};
          if (meta[key] !== undefined) out[key] = meta[key];
        } else if (key === 'builder' && stepRef(value, 'name')) {
          // The builder setup-buildx made: ours makes its own.
        } else out[key] = value;
      }
      for (const [theirs, mine] of Object.entries(BUILDX_INPUTS))
        if (buildx?.with?.[theirs] !== undefined && out[mine] === undefined) out[mine] = buildx.with[theirs];
      if (qemu?.with?.image !== undefined && out['qemu-image'] === undefined) out['qemu-image'] = qemu.with.image;
      // Values the build needs from the metadata step become our templates (README, "Metadata
      // before or inside the build"): `${{ steps.M.outputs.version }}` → `{{version}}`.
      for (const key of ['build-args', 'labels', 'annotations'])
        if (typeof out[key] === 'string') out[key] = withTemplates(out[key] as string, metas);
      const originalPush = step.with?.push;
      step.uses = OURS;
      step.with = out;
      n++;
      ours.push({ job: jobName, key: `${jobName}#${n}`, step, originalPush, kept: [], removedMetadata: [] });
    }
    // A later step that reads the metadata step's tags, labels, annotations, version or json
    // reads ours instead: our step gives those outputs under the same names.
    const last = ours.at(-1);
    if (last) {
      last.step.id ??= 'publish';
      const at = jobSteps.indexOf(last.step);
      for (const later of jobSteps.slice(at + 1))
        if (!removableStep(later)) Object.assign(later, readOurs(later, metas, last.step.id));
    }
    // The helper steps go unless something left in the job still reads them.
    const removable = jobSteps.filter(removableStep);
    const kept: string[] = [];
    const removedMetadata: string[] = [];
    const remaining = new Set(jobSteps);
    for (const s of removable) remaining.delete(s);
    const rest = JSON.stringify({ ...job, steps: [...remaining] });
    for (const s of removable) {
      const read = s.id !== undefined && new RegExp(`steps\\.${s.id.replace(/[-]/g, '\\-')}\\.`).test(rest);
      if (read && isAction(s, 'metadata-action')) {
        // A step before the build still needs the metadata: a step of ours in mode metadata
        // gives the same outputs (README, "A step before the build needs the version").
        remaining.add(s);
        s.uses = OURS;
        s.with = metadataInputs(s.with ?? {});
        kept.push(`${s.id} (mode: metadata)`);
      } else if (read) {
        remaining.add(s);
        kept.push(`${s.id} (${s.uses?.split('@')[0]})`);
      } else if (isAction(s, 'metadata-action')) removedMetadata.push(s.id ?? '(no id)');
    }
    job.steps = jobSteps.filter((s) => remaining.has(s));
    for (const o of ours) {
      o.kept = kept;
      o.removedMetadata = removedMetadata;
    }
    steps.push(...ours);
  }
  return { workflow, steps };
}

const removableStep = (s: Step): boolean =>
  isAction(s, 'metadata-action') || isAction(s, 'setup-buildx-action') || isAction(s, 'setup-qemu-action');

const META_OUTPUTS = 'tags|labels|annotations|version|json';

/** metadata-action's inputs that ours take under the same names; the others have no counterpart. */
function metadataInputs(given: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { mode: 'metadata' };
  for (const key of ['images', 'tags', 'flavor', 'labels', 'annotations'])
    if (given[key] !== undefined) out[key] = given[key];
  return out;
}

/** `${{ steps.M.outputs.version }}` and `fromJSON(steps.M.outputs.json).labels['…image.version']` → `{{version}}`. */
function withTemplates(value: string, metas: Map<string, Step>): string {
  return value.replace(
    /\$\{\{\s*(?:steps\.([\w-]+)\.outputs\.version|fromJSON\(steps\.([\w-]+)\.outputs\.json\)\.labels\['org\.opencontainers\.image\.version'\])\s*\}\}/g,
    (whole, a?: string, b?: string) => (metas.has((a ?? b)!) ? '{{version}}' : whole)
  );
}

/** A step after ours: its reads of a metadata step's outputs read ours (same output names). */
function readOurs(step: Step, metas: Map<string, Step>, ourId: string): Step {
  const text = JSON.stringify(step).replace(
    new RegExp(`steps\\.([\\w-]+)\\.outputs\\.(${META_OUTPUTS})\\b`, 'g'),
    (whole, id: string, output: string) => (metas.has(id) ? `steps.${ourId}.outputs.${output}` : whole)
  );
  return JSON.parse(text) as Step;
}

/** The events a corpus case runs for: those its triggers name, as GitHub would send them here. */
export type EventName = 'push-branch' | 'push-tag' | 'pull_request' | 'release' | 'workflow_dispatch';

export interface Trigger {
  name: EventName;
  /** The default branch the run's repository has (pushes go to it, pull requests target it). */
  branch: string;
}

function triggerMap(on: unknown): Record<string, unknown> {
  if (typeof on === 'string') return { [on]: null };
  if (Array.isArray(on)) return Object.fromEntries(on.map((e: string) => [e, null]));
  return (on ?? {}) as Record<string, unknown>;
}

/**
 * push to the default branch (when `push` names no branches or names that one), a push of the tag
 * v1.2.3 (when `push` names tags or no filter at all), a release of v1.2.3 when there is no tag
 * push, a pull request; a workflow that has none of these runs as a workflow_dispatch.
 */
export function triggers(workflow: Workflow): Trigger[] {
  const on = triggerMap(workflow.on ?? (workflow as Record<string, unknown>)['true']);
  const push = on.push as { branches?: string[]; tags?: string[] } | null | undefined;
  const named = (push?.branches ?? []).filter((b) => !b.startsWith('!') && !/[*?[]/.test(b));
  const branch = named.includes('main')
    ? 'main'
    : named.includes('master')
      ? 'master'
      : (named.find((b) => !b.startsWith('$')) ?? 'main');
  const out: Trigger[] = [];
  if ('push' in on) {
    const filters = push?.branches !== undefined || push?.tags !== undefined;
    if (!filters || push?.branches !== undefined) out.push({ name: 'push-branch', branch });
    if (!filters || push?.tags !== undefined) out.push({ name: 'push-tag', branch });
  }
  if ('release' in on && !out.some((t) => t.name === 'push-tag')) out.push({ name: 'release', branch });
  if ('pull_request' in on || 'pull_request_target' in on) out.push({ name: 'pull_request', branch });
  if (out.length === 0) out.push({ name: 'workflow_dispatch', branch });
  return out;
}

export const SHA = '1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d';
export const TAG = 'v1.2.3';

/** The runner's event for a trigger: name, ref, payload, and the GITHUB_* variables that differ. */
export function githubEvent(
  trigger: Trigger,
  repository: string
): { name: string; ref: string; sha: string; payload: Record<string, unknown>; env: Record<string, string> } {
  const [owner, name] = repository.split('/');
  const repo = {
    name,
    full_name: repository,
    html_url: `https://github.com/${repository}`,
    default_branch: trigger.branch,
    fork: false
  };
  const head = { id: SHA, message: 'Change', timestamp: '2024-03-01T12:00:00Z' };
  const env = { GITHUB_REPOSITORY: repository, GITHUB_REPOSITORY_OWNER: owner, GITHUB_ACTOR: owner };
  switch (trigger.name) {
    case 'push-branch':
    case 'workflow_dispatch': {
      const ref = `refs/heads/${trigger.branch}`;
      const payload =
        trigger.name === 'push-branch'
          ? { ref, after: SHA, head_commit: head, repository: repo }
          : { ref, repository: repo, inputs: {} };
      return { name: trigger.name === 'push-branch' ? 'push' : 'workflow_dispatch', ref, sha: SHA, payload, env };
    }
    case 'push-tag':
      return {
        name: 'push',
        ref: `refs/tags/${TAG}`,
        sha: SHA,
        payload: { ref: `refs/tags/${TAG}`, after: SHA, head_commit: head, repository: repo },
        env
      };
    case 'release':
      return {
        name: 'release',
        ref: `refs/tags/${TAG}`,
        sha: SHA,
        payload: {
          action: 'published',
          release: { tag_name: TAG, published_at: '2024-03-01T12:00:00Z', prerelease: false },
          repository: repo
        },
        env
      };
    case 'pull_request':
      return {
        name: 'pull_request',
        ref: 'refs/pull/7/merge',
        sha: SHA,
        payload: {
          action: 'synchronize',
          number: 7,
          pull_request: {
            number: 7,
            head: { ref: 'feature', sha: 'f'.repeat(40), repo: { full_name: repository, fork: false } },
            base: { ref: trigger.branch, sha: 'b'.repeat(40), repo: { full_name: repository } }
          },
          repository: repo
        },
        env: { ...env, GITHUB_HEAD_REF: 'feature', GITHUB_BASE_REF: trigger.branch }
      };
  }
}

/** The first combination of a job's matrix (an `include`-only matrix: its first entry). */
function firstMatrix(job: Job): Record<string, Value> {
  const matrix = (job.strategy as { matrix?: unknown } | undefined)?.matrix;
  if (!matrix || typeof matrix !== 'object') return {};
  const m = matrix as Record<string, unknown>;
  const out: Record<string, Value> = {};
  for (const [k, v] of Object.entries(m))
    if (k !== 'include' && k !== 'exclude' && Array.isArray(v)) out[k] = v[0] as Value;
  const include = m.include as Array<Record<string, Value>> | undefined;
  if (include?.length && Object.keys(out).length === 0) Object.assign(out, include[0]);
  return out;
}

/** The contexts a job's steps see for an event: github, env, matrix, inputs, and placeholders for what only a run knows. */
export function jobContexts(workflow: Workflow, job: Job, repository: string, trigger: Trigger): Contexts {
  const event = githubEvent(trigger, repository);
  const [owner] = repository.split('/');
  const refName = event.ref.replace(/^refs\/(heads|tags)\//, '').replace(/^refs\/pull\/(\d+)\/merge$/, '$1/merge');
  const github: Record<string, Value> = {
    repository,
    repository_owner: owner,
    actor: owner,
    event_name: event.name,
    ref: event.ref,
    ref_name: refName,
    ref_type: event.ref.startsWith('refs/tags/') ? 'tag' : 'branch',
    sha: SHA,
    head_ref: trigger.name === 'pull_request' ? 'feature' : '',
    base_ref: trigger.name === 'pull_request' ? trigger.branch : '',
    run_number: '42',
    run_id: '4242',
    run_attempt: '1',
    server_url: 'https://github.com',
    workflow: 'workflow',
    job: 'job',
    token: 'github-token',
    event: event.payload as Value
  };
  const on = triggerMap(workflow.on ?? (workflow as Record<string, unknown>)['true']);
  const inputs: Record<string, Value> = {};
  for (const key of ['workflow_call', 'workflow_dispatch']) {
    const declared = (on[key] as { inputs?: Record<string, { default?: Value }> } | null)?.inputs ?? {};
    for (const [k, v] of Object.entries(declared)) if (inputs[k] === undefined) inputs[k] = v?.default ?? '';
  }
  // The runner evaluates expressions in the matrix's values (github and inputs are known then).
  const matrix = Object.fromEntries(
    Object.entries(firstMatrix(job)).map(([k, v]) => [
      k,
      typeof v === 'string' && v.includes('${{') ? interpolate(v, { github, inputs } as unknown as Contexts) : v
    ])
  );
  const contexts: Contexts = {
    github,
    matrix,
    inputs,
    secrets: new Placeholder('secret'),
    vars: new Placeholder('vars'),
    steps: new Placeholder('steps'),
    needs: new Placeholder('needs'),
    runner: { os: 'Linux', arch: 'X64', temp: '/tmp/runner', name: 'runner' },
    job: { status: 'success' },
    strategy: { 'job-index': 0, 'job-total': 1 }
  };
  // env: the workflow's, then the job's, each value evaluated with what came before; a variable a
  // run step writes to $GITHUB_ENV is a placeholder.
  const env: Record<string, Value> = {};
  contexts.env = new Proxy(env, {
    get: (target, key: string) => (key in target ? target[key] : new Placeholder(`env.${key}`)),
    has: () => true,
    ownKeys: (target) => Reflect.ownKeys(target),
    getOwnPropertyDescriptor: (target, key: string) =>
      key in target
        ? Reflect.getOwnPropertyDescriptor(target, key)
        : { value: new Placeholder(`env.${key}`), enumerable: true, configurable: true }
  }) as unknown as Value;
  for (const scope of [workflow.env, job.env])
    for (const [k, v] of Object.entries(scope ?? {}))
      env[k] = typeof v === 'string' ? interpolate(v, contexts) : (v as Value);
  return contexts;
}

/** The step's inputs as the runner hands them over: every `${{ }}` evaluated, every value a string. */
export function stepInputs(step: Step, contexts: Contexts): Record<string, string> {
  const inputs: Record<string, string> = {};
  for (const [k, v] of Object.entries(step.with ?? {}))
    inputs[k] = typeof v === 'string' ? interpolate(v, contexts) : String(v);
  return inputs;
}

export { condition, interpolate };
