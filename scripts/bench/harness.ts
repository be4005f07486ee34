/**
 * What every section shares: the bench's own buildkitd and builder, its work directory and
 * registry namespace, and the bundled action run the way the GitHub runner runs it (the e2e
 * harness's step environment, __tests__/e2e/support/step-env.ts, with each line timed here).
 *
 * Isolation: other people run end-to-end tests against the stack's buildkitd and some of them
 * prune its cache, so the bench starts its own buildkitd (the stack's binary and config, its own
 * --root and socket under /var/tmp/multiarch-bench/<id>/), creates one remote-driver builder on
 * it, pushes only to <registry>/bench/<id>/…, and removes all of that at the end, also when a
 * step fails or the bench is interrupted.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { stepEnv, stepResult, type StepResult } from '../../__tests__/e2e/support/step-env.js';
import { STACK_DIR, type StackEnv } from '../../__tests__/e2e/support/stack.js';
import { capture, note, run, sleep, stopProcess, tailFile, type Ran } from './process.js';

/** The repository: the nearest directory above this module (compiled under build/bench/) holding action.yml. */
export const ROOT = ((): string => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'action.yml')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
})();
export const FIXTURES = path.join(ROOT, '__tests__/fixtures/projects');
const BENCH_DIR = '/var/tmp/multiarch-bench';
/** The commit date every run reports, so labels (and so the image config) are the same run to run. */
const COMMIT_DATE = '2026-01-02T03:04:05Z';

/** The fields of env.json the bench reads beyond the e2e tests' (written by scripts/stack.sh). */
export type BenchStack = StackEnv & {
  buildkitdConfig: string;
  nodes?: Record<string, string>;
  nodesBaseImage?: string;
};

export interface Options {
  out: string;
  logs: string;
  dist: string;
  runs: number;
  only: Set<string>;
  /** Where docker's actions are (section 11): a directory of checkouts or bare git mirrors. */
  dockerActions: string;
}

export interface BuildkitdOptions {
  /** Declare only these platforms (`--oci-worker-platform`); else what the config and QEMU give. */
  platforms?: string[];
  /** Run on these CPUs only (`taskset -c`); its RUN steps inherit the affinity. */
  cpus?: string;
  /** Lines added to the stack's config in its `[worker.oci]` table. */
  ociConfig?: string[];
}

export interface ActionRun extends StepResult, Ran {
  /** The environment it ran with: its post step starts from it. */
  env: Record<string, string>;
}

export interface StepContext {
  workspace: string;
  sha: string;
  runId: string;
  label: string;
  env?: Record<string, string>;
}

export interface Bench {
  opts: Options;
  stack: BenchStack;
  /** The run's id: its work directory and registry namespace are named after it. */
  id: string;
  work: string;
  /** The bench's own buildkitd (unix://…) and the remote-driver builder on it. */
  addr: string;
  builder: string;
  builderPlatforms: string[];
  buildctl: string;
  buildkitd: string;
  /** The copy of dist/ this run measures, and its index.js. */
  distCopy: string;
  dist: string;
  /** The inputs every build run shares: our builder, host QEMU, the stack's base image. */
  common: Record<string, string>;
  /** `<registry>/bench/<id>/<name>`, removed at the end. */
  repo(name: string): string;
  sha(): string;
  /** Wipes our buildkitd's cache, as an ephemeral runner starts without one. */
  prune(): Promise<Ran>;
  /** The bundled action's main step, the runner's way; throws with its errors when it fails. */
  action(inputs: Record<string, string>, step: StepContext): Promise<ActionRun>;
  /** Its post step, as the runner starts it at the end of the job: main's state as STATE_*. */
  post(main: ActionRun, workspace: string): Promise<Ran>;
  /**
   * One measured step, repeated from a fresh start (it gets the attempt number) when it fails, up
   * to two more times; every failure is reported under the table, since users wait for those too.
   */
  attempt<T>(what: string, fn: (k: number) => Promise<T>): Promise<T>;
  /**
   * A buildkitd of our own, stopped at the end: declaring only `platforms` when given (else what
   * the stack's config and QEMU give), on `cpus` only when given (taskset).
   */
  startBuildkitd(name: string, options?: BuildkitdOptions): Promise<string>;
  /** Runs at the end, last registered first, also on failure and interruption. */
  cleanup(fn: () => unknown): void;
  /** Failures of measured steps, for the report. */
  failures: string[];
  /** Warnings for the report. */
  notes: string[];
  machine: Record<string, string>;
  distHash: string;
  distMtime: string;
  loadStart: number[];
}

/** Clean-ups registered by the harness and the sections: last in, first out, once. */
const cleanups: Array<() => unknown> = [];
let cleaning: Promise<void> | undefined;
export let interrupted = false;
export function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (error) {
        note(`clean-up: ${(error as Error).message}`);
      }
    }
  })();
  return cleaning;
}
export function markInterrupted(): void {
  interrupted = true;
}

/** The `inputs:` defaults of action.yml, which the runner passes as INPUT_* for inputs not given. */
export function actionDefaults(file = path.join(ROOT, 'action.yml')): Record<string, string> {
  const doc = YAML.parse(fs.readFileSync(file, 'utf8')) as {
    inputs?: Record<string, { default?: unknown }>;
  };
  const out: Record<string, string> = {};
  for (const [name, input] of Object.entries(doc.inputs ?? {}))
    if (input.default !== undefined) out[name] = String(input.default);
  return out;
}

function newestMtime(dir: string): { file: string; ms: number } | undefined {
  let newest: { file: string; ms: number } | undefined;
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const f = path.join(d, e.name);
      if (e.isDirectory()) walk(f);
      else if (e.isFile()) {
        const ms = fs.statSync(f).mtimeMs;
        if (!newest || ms > newest.ms) newest = { file: f, ms };
      }
    }
  };
  try {
    walk(dir);
  } catch {
    return undefined;
  }
  return newest;
}

/** Best effort: untags what this run pushed (the registry's garbage collection frees the blobs). */
async function deleteRepos(registry: string, repos: Set<string>): Promise<void> {
  const accept = [
    'application/vnd.oci.image.index.v1+json',
    'application/vnd.oci.image.manifest.v1+json',
    'application/vnd.docker.distribution.manifest.list.v2+json',
    'application/vnd.docker.distribution.manifest.v2+json'
  ].join(', ');
  let deleted = 0;
  for (const name of repos) {
    try {
      const list = await fetch(`http://${registry}/v2/${name}/tags/list`, { signal: AbortSignal.timeout(5000) });
      if (!list.ok) continue;
      const digests = new Set<string>();
      for (const tag of ((await list.json()) as { tags?: string[] }).tags ?? []) {
        const head = await fetch(`http://${registry}/v2/${name}/manifests/${tag}`, {
          method: 'HEAD',
          headers: { Accept: accept },
          signal: AbortSignal.timeout(5000)
        });
        const digest = head.headers.get('docker-content-digest');
        if (head.ok && digest) digests.add(digest);
      }
      for (const digest of digests) {
        const del = await fetch(`http://${registry}/v2/${name}/manifests/${digest}`, {
          method: 'DELETE',
          signal: AbortSignal.timeout(5000)
        });
        if (del.ok) deleted++;
      }
    } catch {
      // best effort
    }
  }
  if (repos.size) note(`deleted ${deleted} tagged manifests from ${repos.size} bench repositories`);
}

/** Why the bench cannot run here (exit 2), or the harness, ready. */
export async function startBench(opts: Options): Promise<Bench | string> {
  const DIST = path.join(opts.dist, 'index.js');
  if (!fs.existsSync(DIST)) {
    const shown = path.relative(process.cwd(), DIST).startsWith('..') ? DIST : path.relative(process.cwd(), DIST);
    return `${shown} is missing. Run \`npm run bundle\` first: the benchmark measures the bundled action.`;
  }
  const notes: string[] = [];
  // A bundle older than the sources measures old code.
  const newestSrc = newestMtime(path.join(ROOT, 'src'));
  const distMtimeMs = fs.statSync(DIST).mtimeMs;
  if (opts.dist === path.join(ROOT, 'dist') && newestSrc && newestSrc.ms > distMtimeMs) {
    const warning = `dist/index.js (${new Date(distMtimeMs).toISOString()}) is older than ${path.relative(ROOT, newestSrc.file)} (${new Date(newestSrc.ms).toISOString()}): this measures an old bundle; run \`npm run bundle\` first.`;
    note(`warning: ${warning}`);
    notes.push(`warning: ${warning}`);
  }
  const envFile = path.join(STACK_DIR, 'env.json');
  if (!fs.existsSync(envFile))
    return `${envFile} is missing: start the stack first (as root: bash scripts/stack.sh up).`;
  if (process.getuid?.() !== 0) return 'must run as root (it starts its own buildkitd with the runc worker).';
  const stack = JSON.parse(fs.readFileSync(envFile, 'utf8')) as BenchStack;
  const buildctl = stack.buildctl;
  const buildkitd = path.join(path.dirname(buildctl), 'buildkitd');
  const REG = stack.registry;
  try {
    const res = await fetch(`http://${REG}/v2/`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
  } catch (error) {
    return `the registry ${REG} does not answer (${(error as Error).message}); start the stack first.`;
  }

  // Everything this run owns lives under one directory and one registry namespace.
  const id = `${process.pid}-${randomBytes(3).toString('hex')}`;
  const work = path.join(BENCH_DIR, id);
  fs.mkdirSync(work, { recursive: true });
  cleanups.push(() => {
    fs.rmSync(work, { recursive: true, force: true });
    try {
      fs.rmdirSync(BENCH_DIR);
    } catch {
      // other runs' directories are still there
    }
  });
  const repos = new Set<string>();
  cleanups.push(() => deleteRepos(REG, repos));
  note(`work dir ${work}, images under ${REG}/bench/${id}/`);

  // A snapshot of dist/: a `npm run bundle` elsewhere during the run must not change what is measured.
  const distCopy = path.join(work, 'dist');
  fs.cpSync(opts.dist, distCopy, { recursive: true });
  const dist = path.join(distCopy, 'index.js');
  const loadStart = os.loadavg();

  async function startBuildkitd(name: string, { platforms, cpus, ociConfig }: BuildkitdOptions = {}) {
    const dir = path.join(work, `buildkitd-${name}`);
    fs.mkdirSync(dir, { recursive: true });
    const addr = `unix://${path.join(dir, 'buildkitd.sock')}`;
    const logFile = path.join(dir, 'buildkitd.log');
    const logFd = fs.openSync(logFile, 'a');
    let config = stack.buildkitdConfig;
    if (ociConfig?.length) {
      config = path.join(dir, 'buildkitd.toml');
      const text = fs.readFileSync(stack.buildkitdConfig, 'utf8');
      if (!/^\[worker\.oci\]$/m.test(text)) throw new Error(`${stack.buildkitdConfig} has no [worker.oci] table`);
      fs.writeFileSync(
        config,
        text.replace(/^\[worker\.oci\]$/m, ['[worker.oci]', ...ociConfig.map((l) => `  ${l}`)].join('\n'))
      );
    }
    const args = ['--addr', addr, '--root', path.join(dir, 'root'), '--config', config];
    args.push(...(platforms ?? []).flatMap((p) => ['--oci-worker-platform', p]));
    const child = cpus
      ? spawn('taskset', ['-c', cpus, buildkitd, ...args], { detached: true, stdio: ['ignore', logFd, logFd] })
      : spawn(buildkitd, args, { detached: true, stdio: ['ignore', logFd, logFd] });
    let exited = false;
    child.on('exit', () => (exited = true));
    cleanups.push(() => stopProcess(child, () => exited, `buildkitd ${name}`));
    for (let i = 0; ; i++) {
      if (exited) throw new Error(`buildkitd ${name} exited at start:\n${tailFile(logFile)}`);
      const probe = await run(buildctl, ['--addr', addr, 'debug', 'workers'], { check: false, timeoutMs: 10_000 });
      if (probe.code === 0 && (platforms ?? ['linux/amd64']).every((p) => probe.stdout.includes(p))) break;
      if (i > 150) throw new Error(`buildkitd ${name} did not answer on ${addr} within 30 s:\n${tailFile(logFile)}`);
      await sleep(200);
    }
    const what = platforms ? platforms.join(' + ') : 'all platforms';
    note(`buildkitd ${name} (pid ${child.pid})${cpus ? ` on CPU ${cpus}` : ''}, ${what}, at ${addr}`);
    return addr;
  }

  // Our own buildkitd (its platforms: what the stack's config and QEMU give), and one builder on it.
  const addr = await startBuildkitd('main');
  const builder = `bench-${id}`;
  await run('docker', ['buildx', 'create', '--name', builder, '--driver', 'remote', addr]);
  cleanups.push(() => run('docker', ['buildx', 'rm', '--force', builder], { check: false }));
  const inspect = (await run('docker', ['buildx', 'inspect', '--bootstrap', builder])).stdout;
  const builderPlatforms = (/Platforms:\s*(.*)/.exec(inspect)?.[1] ?? '')
    .split(',')
    .map((p) => p.replace(/\*$/, '').trim());

  const machine: Record<string, string> = {
    date: new Date().toISOString(),
    nproc: capture('nproc') || String(os.cpus().length),
    memory: `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    cpu: /model name\s*:\s*(.*)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? os.cpus()[0]?.model ?? '?',
    kernel: os.release(),
    buildx: capture('docker', ['buildx', 'version']),
    buildkit: /BuildKit version:\s*(.*)/.exec(inspect)?.[1] ?? capture(buildkitd, ['--version']),
    node: process.version,
    docker: capture('docker', ['--version']),
    qemu:
      capture('qemu-aarch64-static', ['--version']).split('\n')[0] ||
      capture('qemu-aarch64', ['--version']).split('\n')[0] ||
      '?',
    commit: capture('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']),
    usingNode: /using:\s*(\S+)/.exec(fs.readFileSync(path.join(ROOT, 'action.yml'), 'utf8'))?.[1] ?? '?'
  };

  const defaults = actionDefaults();
  const failures: string[] = [];
  let logCount = 0;
  const runners = path.join(work, 'runners');
  fs.mkdirSync(runners, { recursive: true });

  async function action(inputs: Record<string, string>, step: StepContext): Promise<ActionRun> {
    const { files, env } = stepEnv(
      {
        inputs: { ...defaults, ...inputs },
        workspace: step.workspace,
        event: {
          name: 'push',
          ref: 'refs/heads/main',
          sha: step.sha,
          payload: {
            ref: 'refs/heads/main',
            after: step.sha,
            head_commit: { id: step.sha, timestamp: COMMIT_DATE },
            repository: {
              default_branch: 'main',
              html_url: 'https://github.com/acme/app',
              full_name: 'acme/app',
              name: 'app'
            }
          }
        },
        env: { CI: 'true', RUNNER_OS: 'Linux', RUNNER_ARCH: 'X64', GITHUB_RUN_ID: step.runId, ...step.env }
      },
      runners
    );
    const ran = await run(process.execPath, [dist], { cwd: step.workspace, env, check: false, label: step.label });
    if (opts.logs) {
      fs.mkdirSync(opts.logs, { recursive: true });
      const name = `${String(++logCount).padStart(3, '0')} ${step.label.replace(/[^\w.-]+/g, '_')}.log`;
      fs.writeFileSync(path.join(opts.logs, name), ran.stdout + ran.stderr);
    }
    const result: ActionRun = { ...stepResult(files, ran.code, ran.stdout, ran.stderr), ...ran, env };
    if (result.code !== 0) {
      const errors = result.lines.filter((l) => l.text.startsWith('::error')).map((l) => l.text);
      const tail = result.lines.slice(-25).map((l) => l.text);
      throw new Error(
        `${step.label} failed (exit ${result.code}):\n${[...errors, '--- last lines:', ...tail, result.stderr.trim()].join('\n')}`
      );
    }
    return result;
  }

  async function post(main: ActionRun, workspace: string): Promise<Ran> {
    const env = { ...main.env };
    for (const [name, value] of Object.entries(main.state)) env[`STATE_${name}`] = value;
    return run(process.execPath, [dist], { cwd: workspace, env, label: 'post step' });
  }

  async function attempt<T>(what: string, fn: (k: number) => Promise<T>): Promise<T> {
    for (let k = 0; ; k++) {
      try {
        return await fn(k);
      } catch (error) {
        const text = error instanceof Error ? error.message : String(error);
        const cause = (text.split('\n').find((l) => /^::error::/.test(l)) ?? text.split('\n')[0])
          .replace(/^::error::/, '')
          .replace(/%0A/g, ' ')
          .replace(/\s+/g, ' ');
        failures.push(`${what}: ${cause.slice(0, 300)}`);
        note(`${what} failed (attempt ${k + 1}): ${cause.slice(0, 300)}`);
        if (k >= 2 || interrupted) throw error;
      }
    }
  }

  return {
    opts,
    stack,
    id,
    work,
    addr,
    builder,
    builderPlatforms,
    buildctl,
    buildkitd,
    distCopy,
    dist,
    common: { driver: 'remote', endpoint: addr, builder, qemu: 'host', 'build-args': `BASE=${stack.baseImage}` },
    repo(name) {
      repos.add(`bench/${id}/${name}`);
      return `${REG}/bench/${id}/${name}`;
    },
    sha: () => randomBytes(20).toString('hex'),
    prune: () => run(buildctl, ['--addr', addr, 'prune', '--all'], { label: 'buildctl prune --all' }),
    action,
    post,
    attempt,
    startBuildkitd,
    cleanup: (fn) => cleanups.push(fn),
    failures,
    notes,
    machine,
    distHash: createHash('sha256').update(fs.readFileSync(dist)).digest('hex'),
    distMtime: fs.statSync(DIST).mtime.toISOString(),
    loadStart
  };
}

/** A copy of a fixture project (or any directory) to work in. */
export function copyDir(from: string, to: string): string {
  fs.cpSync(from, to, { recursive: true });
  return to;
}
