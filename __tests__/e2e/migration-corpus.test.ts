/**
 * Issue 21: real public workflows that use docker/build-push-action, migrated the way the README
 * says (support/migration.ts: one mechanical function over the parsed YAML, never hand-edited),
 * then each step of ours run from the bundled dist/ in dry run, the way the runner starts it, for
 * every event the workflow triggers on (push to the default branch, push of the tag v1.2.3 or its
 * release, pull request).
 *
 * The corpus (fixtures/migration/corpus.json) lists each workflow's source (repository, path,
 * commit) and, per event and step, the tags metadata-action and build-push-action give for the
 * same rules and event: written by hand from metadata-action's documented rules (its README), never
 * from our output. A step is checked for:
 * - acceptance (exit 0 of the dry run);
 * - its tags: equal to the expected ones (when metadata-action ran with its default rules, ours
 *   may add tags, never drop one);
 * - push: ours pushes exactly when build-push-action would (its default is no push).
 * And the migrated workflow must add no actionlint error to the original's, checked against our
 * action.yml (`uses: ./`).
 *
 * Each failure is named as one of the breaks issue 21 lists. A case's `known` lists the breaks it
 * hits today: the test requires exactly those, so a fix that lands makes the case fail until its
 * `known` entry is removed (and a new break fails it at once).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { parse, stringify } from 'yaml';
import { ROOT, runStep, type StepResult } from './support/runner.js';
import { STACK_DIR } from './support/stack.js';
import { annotations } from './support/harness.js';
import {
  condition,
  githubEvent,
  jobContexts,
  migrate,
  stepInputs,
  triggers,
  type EventName,
  type MigratedStep,
  type Workflow
} from './support/migration.js';
import { Placeholder, type Value } from './support/expressions.js';

const CORPUS_DIR = path.join(ROOT, '__tests__/fixtures/migration');

interface Case {
  dir: string;
  repository: string;
  path: string;
  commit: string;
  /** For a documentation page: which ```yaml block of it. */
  block?: number;
  /** event → step key (job#n) → the tags build-push-action is given, or "skipped" (the step's `if` is false). */
  expected: Partial<Record<EventName, Record<string, string[] | 'skipped'>>>;
  /** The breaks this case hits today (issue 21's list); the test requires exactly these. */
  known: string[];
  note?: string;
}

const corpus = JSON.parse(readFileSync(path.join(CORPUS_DIR, 'corpus.json'), 'utf8')) as { cases: Case[] };

/** The break an error of our dry run is, by what the error says. */
const ERROR_BREAKS: Array<[RegExp, string]> = [
  [/unknown attribute "onlatest"/, 'unknown-attribute'],
  [/expected an existing Dockerfile/, 'git-context'],
  [/input "images": "" is not accepted/, 'literal-refs-without-images'],
  [/input "buildx-version": "latest"/, 'buildx-version-latest'],
  [/arm\/v8/, 'arm-v8'],
  [/input "tags": "[^"\n=]*,[^"\n=]*" is not accepted/, 'comma-list'],
  [/input "tags": "[^":@\n]+(\/[^":@\n]+)+" is not accepted/, 'name-without-tag']
];

function errorOf(result: StepResult): string {
  return (
    annotations(result, 'error').join(' | ') ||
    `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-3).join(' | ')
  );
}

function classifyError(result: StepResult): string {
  const message = errorOf(result);
  for (const [pattern, name] of ERROR_BREAKS) if (pattern.test(message)) return name;
  return `unclassified: ${message.slice(0, 300)}`;
}

/** A dry run that plans a push names it: a push check request, PUT requests or `push=true` outputs. */
function plansPush(result: StepResult): boolean {
  return /^\[request\] (POST|PUT) /m.test(result.stdout) || /push=true/.test(result.stdout);
}

function truthyInput(value: string | undefined): boolean {
  return value !== undefined && value.trim().toLowerCase() === 'true';
}

/** Tags the step ran with (the `tags` output, one reference a line). */
function tagsOf(result: StepResult): string[] {
  return (result.outputs.tags ?? '')
    .split('\n')
    .map((t) => t.trim())
    .filter((t, i, all) => t !== '' && all.indexOf(t) === i)
    .sort();
}

interface StepOutcome {
  event: EventName;
  key: string;
  breaks: string[];
  detail: string[];
  /** Breaks the inputs show that an earlier refusal may hide (reported, not asserted). */
  hints: string[];
}

/** The inputs our action.yml declares. */
const OUR_INPUTS = new Set(
  Object.keys((parse(readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as { inputs: object }).inputs)
);

/** What the evaluated inputs show of the breaks issue 21 lists, whether or not the run gets that far. */
function hintsOf(inputs: Record<string, string>): string[] {
  const hints: string[] = [];
  const lines = (inputs.tags ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  if (lines.some((l) => !l.includes('=') && l.includes(','))) hints.push('comma-list');
  if (lines.some((l) => !l.includes('=') && l.includes('/') && !/:[\w][\w.-]*$/.test(l) && !l.includes('@')))
    hints.push('name-without-tag');
  if (/arm\/v8/.test(inputs.platforms ?? '')) hints.push('arm-v8');
  if (inputs['buildx-version'] === 'latest') hints.push('buildx-version-latest');
  if (inputs.push === undefined && !/push=true/.test(inputs.outputs ?? '')) hints.push('push-default');
  return hints;
}

/** One dry run of one migrated step for one event, and the breaks it shows. */
async function runCase(
  c: Case,
  step: MigratedStep,
  workflow: Workflow,
  event: EventName,
  workspace: string
): Promise<StepOutcome> {
  const outcome: StepOutcome = { event, key: step.key, breaks: [], detail: [], hints: [] };
  const trigger = triggers(workflow).find((t) => t.name === event)!;
  const job = workflow.jobs[step.job];
  const contexts = jobContexts(workflow, job, c.repository, trigger);
  const expected = c.expected[event]?.[step.key];
  const runs =
    condition(job.if as string | undefined, contexts) && condition(step.step.if as string | undefined, contexts);
  if (!runs) {
    if (expected !== 'skipped') outcome.breaks.push(`expected a run, the step's if is false`);
    return outcome;
  }
  if (expected === undefined || expected === 'skipped') {
    outcome.breaks.push(`corpus.json has no expected tags for ${event} ${step.key}`);
    return outcome;
  }
  // A metadata step of ours before the build (mode: metadata) runs first, as the runner would run
  // it: what later expressions read of its outputs is what it gave.
  const ran: Record<string, Value> = {};
  for (const before of (job.steps ?? []).slice(0, (job.steps ?? []).indexOf(step.step))) {
    if (before.uses !== './' || before.with?.mode !== 'metadata' || !before.id) continue;
    if (!condition(before.if as string | undefined, contexts)) continue;
    const ev = githubEvent(trigger, c.repository);
    const meta = await runStep({
      workspace,
      inputs: stepInputs(before, contexts),
      event: { name: ev.name, ref: ev.ref, sha: ev.sha, payload: ev.payload },
      env: ev.env
    });
    if (meta.code === 0) ran[before.id] = { outputs: meta.outputs as unknown as Value };
  }
  if (Object.keys(ran).length > 0) contexts.steps = new Placeholder('steps', ran);
  const inputs = stepInputs(step.step, contexts);
  outcome.hints = hintsOf(inputs);
  // The checkout: the context directory and Dockerfile the step names (what they hold does not
  // matter to a dry run). A job with no checkout step and no `context` has an empty workspace:
  // build-push-action then builds its git context (no checkout needed), and so must ours.
  const checkedOut = (job.steps ?? []).some((s) => /^actions\/checkout@/.test(s.uses ?? ''));
  const context = inputs.context || '.';
  const gitContext = !checkedOut && !inputs.context;
  if (gitContext) {
    workspace = mkdtempSync(path.join(workspace, 'empty-'));
    outcome.hints.push('git-context');
  } else if (!/^[a-z]+:\/\//.test(context)) {
    const file = path.join(workspace, inputs.file || path.join(context, 'Dockerfile'));
    mkdirSync(path.join(workspace, context), { recursive: true });
    mkdirSync(path.dirname(file), { recursive: true });
    if (!existsSync(file)) writeFileSync(file, 'FROM scratch\n');
  }
  const ev = githubEvent(trigger, c.repository);
  const result = await runStep({
    workspace,
    inputs: { ...inputs, 'dry-run': 'true' },
    event: { name: ev.name, ref: ev.ref, sha: ev.sha, payload: ev.payload },
    env: ev.env
  });
  if (result.code !== 0) {
    outcome.breaks.push(classifyError(result));
    outcome.detail.push(errorOf(result));
    return outcome;
  }
  // The run got through: what it shows replaces what the inputs suggested.
  outcome.hints = [];
  // No checkout: the build's context is the commit's git context, as build-push-action's default.
  const url = `https://github.com/${c.repository}.git#${ev.sha}`;
  const builds = result.stdout.split('\n').filter((l) => /^docker buildx build /.test(l));
  if (gitContext && (builds.length === 0 || !builds.every((l) => l.endsWith(` '${url}'`))))
    outcome.breaks.push('git-context');
  // build-push-action pushes only when asked (`push: true`, or an `outputs` with push=true).
  const theirPush =
    truthyInput(inputs.push === undefined ? undefined : inputs.push) || /push=true/.test(inputs.outputs ?? '');
  const ourPush = plansPush(result);
  if (ourPush !== theirPush) outcome.breaks.push(ourPush ? 'push-default' : 'push-missing');
  const ours = tagsOf(result);
  const want = [...new Set(expected)].sort();
  const missing = want.filter((t) => !ours.includes(t));
  const extra = ours.filter((t) => !want.includes(t));
  const defaults = !('tags' in (step.step.with ?? {})) && 'images' in (step.step.with ?? {});
  if (missing.some((t) => t.endsWith(':v1.2.3'))) outcome.breaks.push('git-tag-name');
  if (missing.some((t) => !t.endsWith(':v1.2.3'))) outcome.breaks.push('tags-missing');
  // metadata-action's default rules: ours may publish more (documented), never less.
  if (extra.length > 0 && !defaults) outcome.breaks.push('tags-extra');
  if (missing.length || extra.length) outcome.detail.push(`missing [${missing.join(' ')}] extra [${extra.join(' ')}]`);
  return outcome;
}

/** The breaks the migration itself shows, before anything runs. */
function staticBreaks(migrated: MigratedStep[], workflow: Workflow): string[] {
  const out = new Set<string>();
  for (const s of migrated) {
    // An input our action.yml does not declare is dropped by the runner with only a warning.
    if ('outputs' in (s.step.with ?? {}) && !OUR_INPUTS.has('outputs')) out.add('outputs-input');
    if (s.kept.some((k) => k.includes('metadata-action'))) out.add('metadata-needed');
    if (s.removedMetadata.length > 0) {
      const job = workflow.jobs[s.job];
      if (JSON.stringify(job).includes('DOCKER_METADATA_OUTPUT_')) out.add('metadata-env');
    }
  }
  return [...out];
}

const ACTIONLINT = [process.env.ACTIONLINT, path.join(STACK_DIR, 'bin/actionlint')].find((p) => p && existsSync(p));

/**
 * actionlint's errors for a workflow in a repository (`git init`: actionlint finds the project by it)
 * whose root holds our action.yml and the dist/ files it names; line numbers are left out, and so
 * are the lists that change with unrelated edits (the steps a job has, the inputs we have).
 */
function actionlint(workflow: string, dir: string, withAction: boolean): string[] {
  mkdirSync(path.join(dir, '.github/workflows'), { recursive: true });
  if (!existsSync(path.join(dir, '.git'))) spawnSync('git', ['init', '-q', dir]);
  if (withAction) {
    cpSync(path.join(ROOT, 'action.yml'), path.join(dir, 'action.yml'));
    mkdirSync(path.join(dir, 'dist'), { recursive: true });
    for (const f of ['index.js']) writeFileSync(path.join(dir, 'dist', f), '');
  }
  writeFileSync(path.join(dir, '.github/workflows/w.yml'), workflow);
  const format = '{{range $err := .}}{{$err.Kind}}: {{$err.Message}}\n{{end}}';
  const r = spawnSync(ACTIONLINT!, ['-format', format, '-shellcheck=', '-pyflakes=', '.github/workflows/w.yml'], {
    cwd: dir,
    encoding: 'utf8'
  });
  if (r.status !== 0 && r.status !== 1) throw new Error(`actionlint exited ${r.status}: ${r.stderr}`);
  // A reusable workflow of the project (`uses: ./.github/workflows/…`) is not in the corpus, and
  // actionlint reports its absence only on some runs: not about the migration, left out.
  return r.stdout
    .split('\n')
    .filter((e) => e !== '' && !e.startsWith('workflow-call: could not read reusable workflow file'))
    .map((e) => e.replace(/ in object type \{.*\}$/, '').replace(/\. available inputs are .*$/, ''));
}

/** Lints the original, then the migrated workflow against our action.yml: the errors the migration added. */
function lintAdded(original: string, migrated: Workflow): string[] {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'migration-lint-'));
  try {
    const before = new Set(actionlint(original, dir, false));
    return actionlint(stringify(migrated, { lineWidth: 0 }), dir, true).filter((e) => !before.has(e));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const report: string[] = [];
const tally = new Map<string, string[]>();

describe('migrating real build-push-action workflows by the README, run in dry run', () => {
  afterAll(() => {
    const accepted = tally.get('(none)') ?? [];
    console.log(
      `migration corpus: ${corpus.cases.length} workflows, ${accepted.length} accepted with the right tags on every event\n` +
        [...tally.entries()]
          .filter(([k]) => k !== '(none)')
          .sort((a, b) => b[1].length - a[1].length)
          .map(([k, v]) => `  ${k}: ${v.length} (${v.join(', ')})`)
          .join('\n') +
        `\n${report.join('\n')}`
    );
  });

  test('the corpus: at least 30 workflows, each with its source', () => {
    expect(corpus.cases.length).toBeGreaterThanOrEqual(30);
    for (const c of corpus.cases) {
      expect(c.repository).toMatch(/^[\w.-]+\/[\w.-]+$/);
      expect(c.commit).toMatch(/^[0-9a-f]{40}$/);
      expect(existsSync(path.join(CORPUS_DIR, c.dir, 'original.yml'))).toBe(true);
    }
    expect(new Set(corpus.cases.map((c) => c.repository)).size).toBeGreaterThanOrEqual(25);
  });

  const workspace = mkdtempSync(path.join(os.tmpdir(), 'migration-corpus-'));
  afterAll(() => rmSync(workspace, { recursive: true, force: true }));

  test.each(corpus.cases.map((c) => [c.dir, c] as const))(
    '%s: migrated, each step of ours accepted with build-push-action tags, or its known break',
    async (_, c) => {
      const original = parse(readFileSync(path.join(CORPUS_DIR, c.dir, 'original.yml'), 'utf8')) as Workflow;
      const { workflow, steps } = migrate(original);
      expect(steps.length).toBeGreaterThan(0);
      // Migrated: no build-push, buildx or QEMU action is left in a job of ours.
      for (const s of steps)
        for (const other of workflow.jobs[s.job].steps ?? [])
          expect(other.uses ?? '').not.toMatch(/^docker\/(build-push-action|setup-qemu-action)@/);

      const breaks = new Set(staticBreaks(steps, workflow));
      const checkout = mkdtempSync(path.join(workspace, `${c.dir}-`));
      const details: string[] = [];
      const hidden = new Set<string>();
      const events = triggers(original).map((t) => t.name);
      expect(Object.keys(c.expected).sort()).toEqual([...events].sort());
      for (const event of events) {
        const outcomes = await Promise.all(steps.map((s) => runCase(c, s, workflow, event, checkout)));
        for (const o of outcomes) {
          for (const h of o.hints) hidden.add(h);
          for (const b of o.breaks) breaks.add(b);
          if (o.breaks.length || o.detail.length)
            details.push(`${o.event} ${o.key}: ${[...o.breaks, ...o.detail].join('; ')}`);
        }
      }

      if (ACTIONLINT) {
        for (const e of lintAdded(readFileSync(path.join(CORPUS_DIR, c.dir, 'original.yml'), 'utf8'), workflow)) {
          // An input we do not have is the `outputs` break, already named; anything else is new.
          if (/input "outputs" is not defined/.test(e)) breaks.add('outputs-input');
          else breaks.add(`actionlint: ${e}`);
        }
      }

      const seen = [...breaks].sort();
      for (const b of seen.length ? seen : ['(none)']) tally.set(b, [...(tally.get(b) ?? []), c.dir]);
      // Breaks an earlier refusal hides, by the inputs: reported so the next fix is visible, not asserted.
      const next = [...hidden].filter((h) => !breaks.has(h)).sort();
      for (const h of next) {
        const key = `(behind an earlier refusal) ${h}`;
        tally.set(key, [...(tally.get(key) ?? []), c.dir]);
      }
      const then = next.length ? ` (then, by its inputs: ${next.join(', ')})` : '';
      report.push(
        `${c.dir}: ${seen.join(', ') || 'accepted'}${then}${details.length ? `\n    ${details.join('\n    ')}` : ''}`
      );
      expect(seen).toEqual([...c.known].sort());
    },
    120_000
  );

  test('actionlint is installed (scripts/stack/runners.sh) and checks a migrated step against our action.yml', () => {
    if (!ACTIONLINT) {
      if (process.env.CI === 'true')
        throw new Error(`actionlint is not at ${STACK_DIR}/bin: scripts/stack.sh up installs it`);
      return console.log(`actionlint not found at ${STACK_DIR}/bin: run bash scripts/stack.sh up`);
    }
    // The control: an input our action.yml lacks is reported, one it has is not.
    const workflow = parse(
      'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: ./\n        with: { images: ghcr.io/acme/app, no-such-input: x }\n'
    ) as Workflow;
    const added = lintAdded(
      'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: "true"\n',
      workflow
    );
    expect(added).toEqual([
      'action: input "no-such-input" is not defined in action "Multi-arch image publish" defined at "./"'
    ]);
  });
});
