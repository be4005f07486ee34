#!/usr/bin/env node
/**
 * A benchmark of what users wait for: the bundled action (dist/index.js) run the way the GitHub
 * runner runs it, against the real stack on this machine (scripts/stack.sh: registry, BuildKit,
 * buildx, QEMU). Plain Node, no dependencies, no ts-jest.
 *
 *   npm run bench [-- --out FILE] [--runs N] [--only 1,2,…]
 *
 * Isolation: other people run end-to-end tests against the stack's buildkitd and some of them
 * prune its cache, so this script starts its own buildkitd (the stack's binary and config, its own
 * --root and socket under /var/tmp/multiarch-bench/<id>/), creates one remote-driver builder on
 * it, pushes only to 127.0.0.1:5000/bench/<id>/…, and removes all of that at the end, also when a
 * step fails or the script is interrupted.
 *
 * Sections (medians of --runs runs, 5 by default, with min and max):
 *   1. the action's own overhead: the action's wall time minus the same `docker buildx build`
 *      (replayed from the action's `[command]` log line) run bare, warm builder, cached image;
 *   2. the ephemeral-runner rebuild: cold build vs rebuild after `buildctl prune --all` with the
 *      registry cache and one source line changed;
 *   3. matrix cache: two legs at once, second run after a prune, per-leg cache refs vs one shared;
 *   4. QEMU set-up time, all native vs one emulated platform;
 *   5. the merge step for 2 and 4 platforms;
 *   6. the bundle's size and node start-up time;
 *   7. multi-node builds (`nodes`) on the stack's own single-platform nodes (scripts/stack.sh:
 *      amd64 and 386, both native here): amd64 + 386 on two nodes against both on one node, each
 *      platform's build and the merge's own cost, and the second-run cached steps per platform of
 *      per-platform refs against one `buildx build` over the same two nodes with one shared ref.
 *      It prunes those two nodes: run it while nothing else uses them.
 *   8. nodes as separate machines: two buildkitd of our own, each pinned to its own core (taskset),
 *      one per platform, against one buildkitd pinned to one core declaring both, on the same
 *      CPU-bound linux/amd64 + linux/386 build (both native here). Other jobs on the machine are
 *      not pinned away: quote the ratio.
 *   9. the cache backends side by side on one multi-stage project: the registry cache and the
 *      GitHub Actions cache (the stack's v2 stand-in, blobs in Azurite), each with mode=max and
 *      mode=min: cold and warm (after `prune --all`, one source line changed) wall time, the steps
 *      served from the cache on the wiped builder, and the seconds of the cache export.
 */
import { spawn, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = path.join(ROOT, '__tests__/fixtures/projects');
const STACK_DIR = process.env.STACK_DIR || '/var/tmp/multiarch-stack';
const BENCH_DIR = '/var/tmp/multiarch-bench';
/** The commit date every run reports, so labels (and so the image config) are the same run to run. */
const COMMIT_DATE = '2026-01-02T03:04:05Z';
const ACTION_TIMEOUT_MS = 300_000;

// ---------------------------------------------------------------------------------------------
// Arguments

function parseArgs(argv) {
  const opts = {
    out: '',
    logs: '',
    dist: path.join(ROOT, 'dist'),
    runs: 5,
    only: new Set(['1', '2', '3', '4', '5', '6', '7', '8', '9'])
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      if (v === undefined || v === '') throw new Error(`${arg.split('=')[0]} needs a value`);
      return v;
    };
    if (arg === '--out' || arg.startsWith('--out=')) opts.out = value();
    else if (arg === '--dist' || arg.startsWith('--dist=')) opts.dist = path.resolve(value());
    else if (arg === '--logs' || arg.startsWith('--logs=')) opts.logs = path.resolve(value());
    else if (arg === '--runs' || arg.startsWith('--runs=')) opts.runs = Number(value());
    else if (arg === '--only' || arg.startsWith('--only='))
      opts.only = new Set(
        value()
          .split(',')
          .map((s) => s.trim())
      );
    else if (arg === '-h' || arg === '--help') {
      process.stdout.write(
        'usage: node scripts/bench.mjs [--out FILE] [--runs N (default 5, at least 1)] [--only 1,2,3,4,5,6,7,8,9] [--logs DIR (keep every action log)] [--dist DIR (another bundle; default dist/)]\n'
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${arg} (see --help)`);
  }
  if (!Number.isInteger(opts.runs) || opts.runs < 1) throw new Error('--runs must be a whole number, at least 1');
  return opts;
}

// ---------------------------------------------------------------------------------------------
// Small helpers

const started = performance.now();
function note(message) {
  process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}\n`);
}

function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}
const min = (values) => Math.min(...values);
const max = (values) => Math.max(...values);

const sec = (ms) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : '-');
const sec1 = (ms) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)} s` : '-');
const msec = (ms) => (Number.isFinite(ms) ? `${ms.toFixed(0)} ms` : '-');
const pct = (x) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)} %` : '-');
const times = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '-');
const bytes = (n) => `${n.toLocaleString('en-US')} B (${(n / 1024 / 1024).toFixed(2)} MiB)`;

/** Every child this script started and that still runs: stopped (by pid) on an interruption. */
const live = new Set();

/**
 * Runs a command, timing it from just before the spawn to the close of its output, with every
 * output line stamped with when it arrived (ms since the spawn).
 */
function run(command, args, { cwd, env, timeoutMs = ACTION_TIMEOUT_MS, check = true, label } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(command, args, { cwd, env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    const lines = [];
    let stdout = '';
    let stderr = '';
    let rest = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      const t = performance.now() - t0;
      stdout += chunk;
      const parts = (rest + chunk).split('\n');
      rest = parts.pop();
      for (const text of parts) lines.push({ t, text });
    });
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      live.delete(child);
      reject(new Error(`${label ?? command} could not start: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      const ms = performance.now() - t0;
      clearTimeout(timer);
      live.delete(child);
      if (rest) lines.push({ t: ms, text: rest });
      const result = { code: code ?? -1, signal, stdout, stderr, lines, ms };
      if (check && result.code !== 0) {
        const tail = (stderr.trim() || stdout.trim()).split('\n').slice(-25).join('\n');
        reject(new Error(`${label ?? [command, ...args].join(' ')} failed (exit ${code ?? signal}):\n${tail}`));
      } else resolve(result);
    });
  });
}

function capture(command, args, options = {}) {
  try {
    return execFileSync(command, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 30_000,
      ...options
    }).trim();
  } catch {
    return '';
  }
}

/** Shell words as exec.ts's quoteArg writes them: bare words and '…' with '\'' for a quote. */
function shellWords(line) {
  const words = [];
  let word = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unbalanced quote in ${line}`);
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (c === '\\' && i + 1 < line.length) {
      word = (word ?? '') + line[++i];
    } else if (c === ' ' || c === '\t') {
      if (word !== null) words.push(word);
      word = null;
    } else word = (word ?? '') + c;
  }
  if (word !== null) words.push(word);
  return words;
}

function copyDir(from, to) {
  fs.cpSync(from, to, { recursive: true });
  return to;
}

/** The `inputs:` defaults of action.yml, which the runner passes as INPUT_* for inputs not given. */
function actionDefaults() {
  const text = fs.readFileSync(path.join(ROOT, 'action.yml'), 'utf8');
  const block = /^inputs:\n([\s\S]*?)(?=^\S)/m.exec(text)?.[1] ?? '';
  const out = {};
  let name = '';
  for (const line of block.split('\n')) {
    const key = /^ {2}([\w-]+):\s*$/.exec(line);
    if (key) name = key[1];
    const def = /^ {4}default:\s*(.*)$/.exec(line);
    if (def && name) {
      const raw = def[1].trim();
      if (raw.startsWith('"')) out[name] = JSON.parse(raw);
      else if (raw.startsWith("'")) out[name] = raw.slice(1, -1).replace(/''/g, "'");
      else out[name] = raw;
    }
  }
  return out;
}

/** The runner's `name<<DELIMITER … DELIMITER` and `name=value` command files. */
function parseCommandFile(text) {
  const out = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<=]+)<<(.+)$/.exec(lines[i]);
    if (m) {
      const value = [];
      for (i++; i < lines.length && lines[i] !== m[2]; i++) value.push(lines[i]);
      out[m[1]] = value.join('\n');
    } else if (lines[i].includes('=')) {
      const eq = lines[i].indexOf('=');
      out[lines[i].slice(0, eq)] = lines[i].slice(eq + 1);
    }
  }
  return out;
}

/** The `### Time` table of the job summary: phase → seconds (as the action rounds them, 0.1 s). */
function summaryPhases(summary) {
  const out = {};
  const at = summary.indexOf('### Time');
  if (at < 0) return out;
  for (const line of summary.slice(at).split('\n')) {
    const m = /^\| (.+?) \| (\d+(?:\.\d+)?) \|$/.exec(line);
    if (m) out[m[1]] = Number(m[2]) * 1000;
  }
  return out;
}

/**
 * The action's log groups (`::group::NAME` … `::endgroup::`) timed by when their lines reached
 * this process: ms resolution where the summary has 0.1 s. Also the start-up (spawn to the first
 * group) and the tail (last group's end to exit).
 */
function groupTimes(result) {
  const out = {};
  let open = null;
  let first = null;
  let last = null;
  for (const { t, text } of result.lines) {
    const g = /^::group::(.*)$/.exec(text);
    if (g) {
      open = { name: g[1], t };
      first ??= t;
    } else if (text === '::endgroup::' && open) {
      out[open.name] = t - open.t;
      last = t;
      open = null;
    }
  }
  if (first !== null) out['(start-up: spawn to the first phase)'] = first;
  if (last !== null) out['(after the last phase, to exit)'] = result.ms - last;
  return out;
}

/**
 * Dockerfile steps of a plain-progress log (`#N [linux/arm64 2/6] RUN …`, `#N [linux/arm64 build 2/3] …`
 * in a named stage, or `#N [2/6] …` for one platform) and how many came from the cache: marked `#N CACHED`, or (BuildKit does not always
 * print CACHED for them) a non-FROM step whose only work was pulling its layers
 * (`#N sha256:… done`, `#N extracting sha256:…`) from the registry cache. `marked` counts CACHED only.
 */
function cachedSteps(lines) {
  const steps = new Map();
  const marked = new Set();
  const pulled = new Set();
  for (const { text } of lines) {
    const step = /^#(\d+) \[((?:\S+ ){0,2}\d+\/\d+)\] (\S+)/.exec(text);
    if (step && !steps.has(step[1])) steps.set(step[1], { name: step[2], from: step[3] === 'FROM' });
    const c = /^#(\d+) CACHED\s*$/.exec(text);
    if (c) marked.add(c[1]);
    const p = /^#(\d+) (?:extracting )?sha256:[0-9a-f]{64}/.exec(text);
    if (p) pulled.add(p[1]);
  }
  const count = (test) => new Set([...steps].filter(([n, s]) => test(n, s)).map(([, s]) => s.name)).size;
  return {
    total: new Set([...steps.values()].map((s) => s.name)).size,
    cached: count((n, s) => marked.has(n) || (!s.from && pulled.has(n))),
    marked: count((n) => marked.has(n))
  };
}

// ---------------------------------------------------------------------------------------------
// The bench

async function main(opts) {
  const totalStart = performance.now();
  const DIST_DIR = opts.dist;
  const DIST = path.join(DIST_DIR, 'index.js');
  if (!fs.existsSync(DIST)) {
    const shown = path.relative(process.cwd(), DIST).startsWith('..') ? DIST : path.relative(process.cwd(), DIST);
    process.stderr.write(
      `bench: ${shown} is missing. Run \`npm run bundle\` first: the benchmark measures the bundled action.\n`
    );
    return 2;
  }
  const extraNotes = [];
  // A bundle older than the sources measures old code (and may not know mode platform or merge).
  const newestSrc = newestMtime(path.join(ROOT, 'src'));
  const distMtimeMs = fs.statSync(DIST).mtimeMs;
  if (DIST_DIR === path.join(ROOT, 'dist') && newestSrc && newestSrc.ms > distMtimeMs) {
    const warning = `dist/index.js (${new Date(distMtimeMs).toISOString()}) is older than ${path.relative(ROOT, newestSrc.file)} (${new Date(newestSrc.ms).toISOString()}): this measures an old bundle; run \`npm run bundle\` first.`;
    note(`warning: ${warning}`);
    extraNotes.push(`warning: ${warning}`);
  }
  const envFile = path.join(STACK_DIR, 'env.json');
  if (!fs.existsSync(envFile)) {
    process.stderr.write(`bench: ${envFile} is missing: start the stack first (as root: bash scripts/stack.sh up).\n`);
    return 2;
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write('bench: must run as root (it starts its own buildkitd with the runc worker).\n');
    return 2;
  }
  const stack = JSON.parse(fs.readFileSync(envFile, 'utf8'));
  const binDir = path.dirname(stack.buildctl);
  const BUILDKITD = path.join(binDir, 'buildkitd');
  const BUILDCTL = stack.buildctl;
  const REG = stack.registry;
  const BASE = stack.baseImage;
  try {
    const res = await fetch(`http://${REG}/v2/`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
  } catch (error) {
    process.stderr.write(`bench: the registry ${REG} does not answer (${error.message}); start the stack first.\n`);
    return 2;
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
  const ns = `${REG}/bench/${id}`;
  const repos = new Set();
  const repo = (name) => {
    repos.add(`bench/${id}/${name}`);
    return `${ns}/${name}`;
  };
  cleanups.push(() => deleteRepos(REG, repos));
  note(`work dir ${work}, images under ${ns}/`);

  // A snapshot of dist/: a `npm run bundle` elsewhere during the run must not change what is measured.
  const distCopy = path.join(work, 'dist');
  fs.cpSync(DIST_DIR, distCopy, { recursive: true });
  const dist = path.join(distCopy, 'index.js');
  const distMtime = fs.statSync(DIST).mtime.toISOString();
  const distHash = createHash('sha256').update(fs.readFileSync(dist)).digest('hex');
  let logCount = 0;
  const loadStart = os.loadavg();

  // Our own buildkitd: the stack's binary and config, our root and socket.
  const sock = path.join(work, 'buildkitd.sock');
  const addr = `unix://${sock}`;
  const bkLog = fs.openSync(path.join(work, 'buildkitd.log'), 'a');
  const bk = spawn(
    BUILDKITD,
    ['--addr', addr, '--root', path.join(work, 'buildkit-root'), '--config', stack.buildkitdConfig],
    {
      detached: true,
      stdio: ['ignore', bkLog, bkLog]
    }
  );
  let bkExited = false;
  bk.on('exit', () => (bkExited = true));
  cleanups.push(() => stopProcess(bk, () => bkExited, 'buildkitd'));
  for (let i = 0; ; i++) {
    if (bkExited) throw new Error(`our buildkitd exited at start:\n${tailFile(path.join(work, 'buildkitd.log'))}`);
    const probe = await run(BUILDCTL, ['--addr', addr, 'debug', 'workers'], { check: false, timeoutMs: 10_000 });
    if (probe.code === 0 && /linux\/amd64/.test(probe.stdout)) break;
    if (i > 150)
      throw new Error(
        `our buildkitd did not answer on ${addr} within 30 s:\n${tailFile(path.join(work, 'buildkitd.log'))}`
      );
    await sleep(200);
  }
  note(`buildkitd (pid ${bk.pid}) answers on ${addr}`);
  const prune = () => run(BUILDCTL, ['--addr', addr, 'prune', '--all'], { label: 'buildctl prune --all' });

  // One builder for every run, created once and passed as the `builder` input.
  const builder = `bench-${id}`;
  await run('docker', ['buildx', 'create', '--name', builder, '--driver', 'remote', addr]);
  cleanups.push(() => run('docker', ['buildx', 'rm', '--force', builder], { check: false }));
  const inspect = (await run('docker', ['buildx', 'inspect', '--bootstrap', builder])).stdout;
  const builderPlatforms = (/Platforms:\s*(.*)/.exec(inspect)?.[1] ?? '')
    .split(',')
    .map((p) => p.replace(/\*$/, '').trim());

  const machine = {
    date: new Date().toISOString(),
    nproc: capture('nproc') || String(os.cpus().length),
    memory: `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    cpu: /model name\s*:\s*(.*)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? os.cpus()[0]?.model ?? '?',
    kernel: os.release(),
    buildx: capture('docker', ['buildx', 'version']),
    buildkit: /BuildKit version:\s*(.*)/.exec(inspect)?.[1] ?? capture(BUILDKITD, ['--version']),
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
  const common = {
    driver: 'remote',
    endpoint: addr,
    builder,
    qemu: 'host',
    'build-args': `BASE=${BASE}`
  };

  /** Runs the bundled action the runner's way (see __tests__/e2e/support/runner.ts). */
  async function action(inputs, { workspace, sha, runId, label, env: extraEnv = {} }) {
    const dir = fs.mkdtempSync(path.join(work, 'runner-'));
    const files = {
      GITHUB_OUTPUT: path.join(dir, 'output'),
      GITHUB_STATE: path.join(dir, 'state'),
      GITHUB_ENV: path.join(dir, 'env'),
      GITHUB_PATH: path.join(dir, 'path'),
      GITHUB_STEP_SUMMARY: path.join(dir, 'summary')
    };
    for (const file of Object.values(files)) fs.writeFileSync(file, '');
    const eventPath = path.join(dir, 'event.json');
    fs.writeFileSync(
      eventPath,
      JSON.stringify({
        ref: 'refs/heads/main',
        after: sha,
        head_commit: { id: sha, timestamp: COMMIT_DATE },
        repository: {
          default_branch: 'main',
          html_url: 'https://github.com/acme/app',
          full_name: 'acme/app',
          name: 'app'
        }
      })
    );
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      ...(process.env.DOCKER_CONFIG ? { DOCKER_CONFIG: process.env.DOCKER_CONFIG } : {}),
      ...files,
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      RUNNER_OS: 'Linux',
      RUNNER_ARCH: 'X64',
      RUNNER_TEMP: path.join(dir, 'temp'),
      RUNNER_TOOL_CACHE: path.join(dir, 'toolcache'),
      GITHUB_WORKSPACE: workspace,
      GITHUB_EVENT_NAME: 'push',
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_REF: 'refs/heads/main',
      GITHUB_SHA: sha,
      GITHUB_REPOSITORY: 'acme/app',
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_RUN_ID: runId,
      GITHUB_RUN_ATTEMPT: '1',
      ...extraEnv
    };
    for (const [name, value] of Object.entries({ ...defaults, ...inputs }))
      env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
    fs.mkdirSync(env.RUNNER_TEMP, { recursive: true });
    const result = await run(process.execPath, [dist], { cwd: workspace, env, check: false, label });
    if (opts.logs) {
      fs.mkdirSync(opts.logs, { recursive: true });
      fs.writeFileSync(
        path.join(
          opts.logs,
          `${String(++logCount).padStart(3, '0')} ${(label ?? 'action').replace(/[^\w.-]+/g, '_')}.log`
        ),
        result.stdout + result.stderr
      );
    }
    const read = (f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '');
    Object.assign(result, {
      env,
      outputs: parseCommandFile(read(files.GITHUB_OUTPUT)),
      state: parseCommandFile(read(files.GITHUB_STATE)),
      summary: read(files.GITHUB_STEP_SUMMARY)
    });
    if (result.code !== 0) {
      const errors = result.lines.filter((l) => l.text.startsWith('::error')).map((l) => l.text);
      const tail = result.lines.slice(-25).map((l) => l.text);
      throw new Error(
        `${label ?? 'the action'} failed (exit ${result.code}):\n${[...errors, '--- last lines:', ...tail, result.stderr.trim()].join('\n')}`
      );
    }
    return result;
  }

  /** The post step, as the runner starts it at the end of the job: main's state as STATE_*. */
  async function post(main, workspace) {
    const env = { ...main.env };
    for (const [name, value] of Object.entries(main.state)) env[`STATE_${name}`] = value;
    return run(process.execPath, [dist], { cwd: workspace, env, label: 'post step' });
  }

  const sha = () => randomBytes(20).toString('hex');
  /**
   * One measured step, repeated (from a fresh start: it gets the attempt number) when it fails, up to
   * two more times; every failure is reported under the table, since users wait for those too.
   */
  const failures = [];
  async function attempt(what, fn) {
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
  const rows = [];
  const header = (title) => rows.push({ header: title });
  const row = (measure, values, format, note = '') =>
    rows.push({
      measure,
      median: format(median(values)),
      min: format(min(values)),
      max: format(max(values)),
      n: String(values.length),
      note
    });
  const single = (measure, value, note = '') => rows.push({ measure, median: value, min: '', max: '', n: '', note });
  const results = {};

  // ---- 1 + 4 use a warm builder: run them first, before anything prunes.
  if (opts.only.has('1')) results[1] = await benchOverhead();
  if (opts.only.has('4')) results[4] = await benchQemu();
  if (opts.only.has('6')) results[6] = await benchStartup();
  if (opts.only.has('2')) results[2] = await benchRebuild();
  if (opts.only.has('3')) results[3] = await benchMatrix();
  if (opts.only.has('5')) results[5] = await benchMerge();
  if (opts.only.has('7')) results[7] = await benchNodes();
  if (opts.only.has('8')) results[8] = await benchPinned();
  if (opts.only.has('9')) results[9] = await benchCacheBackends();

  /**
   * 9. Registry against gha, mode=max against mode=min, on a two-stage project: the build stage's
   * RUN is what only mode=max exports. gha runs get a token of a cache repository of their own on
   * the stand-in, so no run finds another's entries.
   */
  async function benchCacheBackends() {
    const ac = stack.actionsCache;
    if (!ac?.mintUrl) {
      note('9. cache backends: skipped (env.json has no actionsCache: run bash scripts/stack.sh up)');
      return undefined;
    }
    // Where the edited file is copied decides what a wiped builder can get back: after the final
    // stage's COPY --from (the final image holds all it needs), or inside the build stage, after
    // its slow RUN (whose layer only mode=max exports: the final image does not hold it).
    const projects = {
      'final stage changes': [
        'ARG BASE',
        'FROM ${BASE} AS build',
        'COPY stable.txt /stable.txt',
        'RUN uname -m > /artifact && cat /stable.txt >> /artifact && sleep 1',
        'FROM ${BASE}',
        'COPY --from=build /artifact /artifact',
        'COPY changing.txt /changing.txt',
        'RUN cat /changing.txt /artifact > /third.txt',
        ''
      ].join('\n'),
      'build stage changes': [
        'ARG BASE',
        'FROM ${BASE} AS build',
        'COPY stable.txt /stable.txt',
        'RUN uname -m > /deps && cat /stable.txt >> /deps && sleep 1',
        'COPY changing.txt /changing.txt',
        'RUN cat /deps /changing.txt > /artifact',
        'FROM ${BASE}',
        'COPY --from=build /artifact /artifact',
        ''
      ].join('\n')
    };
    const token = async (repositoryId) => {
      const res = await fetch(ac.mintUrl, {
        method: 'POST',
        body: JSON.stringify({ repositoryId, scopes: [{ scope: 'refs/heads/main', permission: 3 }] })
      });
      if (!res.ok) throw new Error(`minting an Actions cache token: ${res.status}`);
      return (await res.json()).token;
    };
    /** Seconds of the cache export vertex (`#N exporting cache to registry` / `… to GitHub Actions Cache`, then `#N DONE 1.2s`). */
    const exportSeconds = (lines) => {
      let id = '';
      let seconds = NaN;
      for (const { text } of lines) {
        const start = /^#(\d+) (?:exporting cache to registry|exporting to GitHub Actions Cache)$/.exec(text);
        if (start) id = start[1];
        const done = id ? new RegExp(`^#${id} DONE (\\d+(?:\\.\\d+)?)s`).exec(text) : null;
        if (done) seconds = Number(done[1]);
      }
      return seconds;
    };
    const out = {};
    for (const [project, dockerfile] of Object.entries(projects))
      for (const backend of ['registry', 'gha'])
        for (const mode of ['max', 'min']) {
          const key = `${project}: ${backend}, mode=${mode}`;
          const v = (out[key] = { cold: [], warm: [], exported: [], served: [], total: 0, project });
          for (let i = 0; i < opts.runs; i++) {
            const [c, w] = await attempt(`9. ${key} run ${i + 1}`, async (k) => {
              const tag = `${project.split(' ')[0]}-${backend}-${mode}-${i}-${k}`;
              const workspace = copyDir(path.join(FIXTURES, 'cache'), path.join(work, `ws-backends-${tag}`));
              fs.writeFileSync(path.join(workspace, 'Dockerfile'), dockerfile);
              fs.appendFileSync(path.join(workspace, 'stable.txt'), `${id} ${tag}\n`);
              const image = repo(`backends-${tag}`);
              const env =
                backend === 'gha'
                  ? {
                      ACTIONS_RUNTIME_TOKEN: await token(`bench-${id}-${tag}`),
                      ACTIONS_RESULTS_URL: ac.resultsUrl,
                      ACTIONS_CACHE_SERVICE_V2: 'True'
                    }
                  : {};
              // mode=max is what `cache` plans; mode=min is the same cache given by hand.
              const ref = `${image}:buildcache`;
              const cache =
                mode === 'max'
                  ? { cache: backend === 'gha' ? 'gha' : 'auto' }
                  : backend === 'gha'
                    ? {
                        'cache-from': 'type=gha,scope=buildcache,version=2',
                        'cache-to': 'type=gha,scope=buildcache,version=2,mode=min'
                      }
                    : {
                        'cache-from': `type=registry,ref=${ref}`,
                        'cache-to': `type=registry,ref=${ref},mode=min,image-manifest=true,oci-mediatypes=true`
                      };
              const inputs = { ...common, images: image, platforms: 'linux/amd64,linux/arm64', ...cache };
              await prune();
              const cold = await action(inputs, {
                workspace,
                sha: sha(),
                runId: `9${i}${k}1`,
                label: `9. ${key} cold ${i + 1}`,
                env
              });
              fs.writeFileSync(path.join(workspace, 'changing.txt'), `changed (bench run ${i + 1})\n`);
              await prune();
              const warm = await action(inputs, {
                workspace,
                sha: sha(),
                runId: `9${i}${k}2`,
                label: `9. ${key} warm ${i + 1}`,
                env
              });
              return [cold, warm];
            });
            const served = cachedSteps(w.lines);
            v.cold.push(c.ms);
            v.warm.push(w.ms);
            v.exported.push(exportSeconds(c.lines));
            v.served.push(served.cached);
            v.total = Math.max(v.total, served.total);
            note(
              `9. ${key} run ${i + 1}/${opts.runs}: cold ${sec(c.ms)}, warm ${sec(w.ms)}, ${served.cached}/${served.total} steps from the cache`
            );
          }
        }
    return out;
  }

  /**
   * 7. Multi-node. The two nodes are the stack's (their sockets in env.json under "nodes"), each a
   * buildkitd of its own; "one node" is the 386 node declaring both platforms. The build has two
   * CPU-bound RUN steps, so two daemons can use both cores where one shares them.
   */
  async function benchNodes() {
    const sockets = stack.nodes ?? {};
    if (!sockets.amd64 || !sockets['386'] || !stack.nodesBaseImage) {
      note('7. nodes: skipped (env.json lists no amd64/386 nodes or no nodesBaseImage: run bash scripts/stack.sh up)');
      return undefined;
    }
    const pruneNodes = () =>
      Promise.all(
        [sockets.amd64, sockets['386']].map((s) =>
          run(BUILDCTL, ['--addr', s, 'prune', '--all'], { label: 'buildctl prune --all (node)' })
        )
      );
    const ws = path.join(work, 'ws-nodes');
    fs.mkdirSync(ws, { recursive: true });
    const dockerfile = (nonce) =>
      `FROM ${stack.nodesBaseImage}\nRUN echo ${nonce} >/nonce\n` +
      'RUN i=0; while [ $i -lt 1000000 ]; do i=$((i+1)); done; echo $i >/count\n' +
      'RUN j=0; while [ $j -lt 1000000 ]; do j=$((j+1)); done; uname -m >/arch\n';
    const layouts = {
      'two nodes': `linux/amd64=${sockets.amd64}\nlinux/386=${sockets['386']}`,
      'one node': `linux/amd64,linux/386=${sockets['386']}`
    };
    const out = { wall: { 'two nodes': [], 'one node': [] }, phases: {}, cached: {} };
    const addPhase = (name, ms) => (out.phases[name] ??= []).push(ms);
    for (let i = 0; i < opts.runs; i++) {
      for (const layout of i % 2 === 0 ? ['two nodes', 'one node'] : ['one node', 'two nodes']) {
        const r = await attempt(`nodes ${layout} run ${i + 1}`, async (k) => {
          fs.writeFileSync(
            path.join(ws, 'Dockerfile'),
            dockerfile(`${layout}-${i}-${k}-${randomBytes(4).toString('hex')}`)
          );
          await pruneNodes();
          const image = repo(`nodes-${layout.replace(' ', '-')}-${i}-${k}`);
          const res = await action(
            { images: image, platforms: 'linux/amd64,linux/386', nodes: layouts[layout], cache: 'false' },
            { workspace: ws, sha: sha(), runId: `7${i}${k}`, label: `nodes ${layout} run ${i + 1}` }
          );
          await post(res, ws);
          return res;
        });
        out.wall[layout].push(r.ms);
        if (layout === 'two nodes')
          for (const [name, ms] of Object.entries(summaryPhases(r.summary)))
            if (/^Build |^Publish/.test(name)) addPhase(name, ms);
        note(`7. nodes ${layout} run ${i + 1}/${opts.runs}: ${sec(r.ms)}`);
      }
    }

    // Second-run cached steps: the action's per-platform refs against one buildx build, one shared ref.
    const perPlatformCached = (lines) => {
      const by = {};
      const marked = new Map();
      const steps = new Map();
      for (const { text } of lines) {
        const m = /^#(\d+) \[(\S+) (\d+)\/(\d+)\] (\S+)/.exec(text);
        if (m && !steps.has(m[1])) steps.set(m[1], { platform: m[2], from: m[5] === 'FROM' });
        // CACHED, or (BuildKit does not always print it) a step whose only work was pulling its layers.
        const c = /^#(\d+) (?:CACHED\s*$|(?:extracting )?sha256:[0-9a-f]{64})/.exec(text);
        if (c) marked.set(c[1], true);
      }
      for (const [n, st] of steps) {
        if (st.from) continue;
        by[st.platform] ??= { cached: 0, total: 0 };
        by[st.platform].total++;
        if (marked.get(n)) by[st.platform].cached++;
      }
      return by;
    };
    const groupCached = (result) => {
      // The action prints each platform's build as its own group, whose steps carry no platform
      // (and whose vertex numbers start again at 1): each group is counted on its own.
      const groups = {};
      let platform = null;
      for (const { text } of result.lines) {
        const g = /^::group::Build (\S+) on node/.exec(text);
        if (g) platform = g[1];
        else if (text === '::endgroup::') platform = null;
        else if (platform)
          (groups[platform] ??= []).push({ text: text.replace(/^#(\d+) \[(\d+\/\d+)\]/, `#$1 [${platform} $2]`) });
      }
      return Object.fromEntries(Object.entries(groups).map(([p, lines]) => [p, perPlatformCached(lines)[p]]));
    };
    const builderName = `bench-nodes-${id}`;
    await run('docker', [
      'buildx',
      'create',
      '--name',
      builderName,
      '--driver',
      'remote',
      '--platform',
      'linux/amd64',
      '--node',
      'na',
      sockets.amd64
    ]);
    cleanups.push(() => run('docker', ['buildx', 'rm', '--force', builderName], { check: false }));
    await run('docker', [
      'buildx',
      'create',
      '--append',
      '--name',
      builderName,
      '--driver',
      'remote',
      '--platform',
      'linux/386',
      '--node',
      'nc',
      sockets['386']
    ]);
    for (const variant of ['per-platform refs (nodes)', 'one shared ref (one buildx build)']) {
      out.cached[variant] = { 'linux/amd64': [], 'linux/386': [], total: 0 };
      for (let i = 0; i < opts.runs; i++) {
        const got = await attempt(`nodes cache ${variant} run ${i + 1}`, async (k) => {
          fs.writeFileSync(
            path.join(ws, 'Dockerfile'),
            dockerfile(`cache-${i}-${k}-${randomBytes(4).toString('hex')}`)
          );
          const image = repo(`nodes-cache-${variant.startsWith('per') ? 'per' : 'shared'}-${i}-${k}`);
          const once = async (n) => {
            await pruneNodes();
            if (variant.startsWith('per')) {
              const res = await action(
                { images: image, platforms: 'linux/amd64,linux/386', nodes: layouts['two nodes'] },
                {
                  workspace: ws,
                  sha: sha(),
                  runId: `75${i}${k}${n}`,
                  label: `nodes cache per-platform run ${i + 1}.${n}`
                }
              );
              await post(res, ws);
              return groupCached(res);
            }
            const ref = `${image}:buildcache-shared`;
            const res = await run(
              'docker',
              [
                'buildx',
                'build',
                '--builder',
                builderName,
                '--progress',
                'plain',
                '--platform',
                'linux/amd64,linux/386',
                '--cache-from',
                `type=registry,ref=${ref}`,
                '--cache-to',
                `type=registry,ref=${ref},mode=max,image-manifest=true,oci-mediatypes=true,ignore-error=true`,
                '--output',
                `type=image,name=${image},push-by-digest=true,name-canonical=true,push=true`,
                ws
              ],
              { label: `nodes cache shared run ${i + 1}.${n}` }
            );
            // buildx prints its progress on stderr.
            return perPlatformCached(res.stderr.split('\n').map((text) => ({ text })));
          };
          await once(1);
          return once(2);
        });
        for (const p of ['linux/amd64', 'linux/386']) out.cached[variant][p].push(got[p]?.cached ?? 0);
        out.cached[variant].total = Math.max(out.cached[variant].total, got['linux/amd64']?.total ?? 0);
        note(
          `7. nodes cache ${variant} run ${i + 1}: amd64 ${got['linux/amd64']?.cached}/${got['linux/amd64']?.total}, 386 ${got['linux/386']?.cached}/${got['linux/386']?.total}`
        );
      }
    }
    return out;
  }

  /** A buildkitd of our own on `cpus` only (taskset): its own root and socket, the stack's config, these platforms. */
  async function startPinned(name, cpus, platforms) {
    const dir = path.join(work, `pinned-${name}`);
    fs.mkdirSync(dir, { recursive: true });
    const addr = `unix://${path.join(dir, 'buildkitd.sock')}`;
    const logFile = path.join(dir, 'buildkitd.log');
    const logFd = fs.openSync(logFile, 'a');
    const args = ['-c', cpus, BUILDKITD, '--addr', addr, '--root', path.join(dir, 'root')];
    args.push('--config', stack.buildkitdConfig, ...platforms.flatMap((p) => ['--oci-worker-platform', p]));
    const child = spawn('taskset', args, { detached: true, stdio: ['ignore', logFd, logFd] });
    let exited = false;
    child.on('exit', () => (exited = true));
    cleanups.push(() => stopProcess(child, () => exited, `buildkitd ${name}`));
    for (let i = 0; ; i++) {
      if (exited) throw new Error(`buildkitd ${name} exited at start:\n${tailFile(logFile)}`);
      const probe = await run(BUILDCTL, ['--addr', addr, 'debug', 'workers'], { check: false, timeoutMs: 10_000 });
      if (probe.code === 0 && platforms.every((p) => probe.stdout.includes(p))) break;
      if (i > 150) throw new Error(`buildkitd ${name} did not answer on ${addr} within 30 s:\n${tailFile(logFile)}`);
      await sleep(200);
    }
    note(`buildkitd ${name} (pid ${child.pid}) on CPU ${cpus}, ${platforms.join(' + ')}, at ${addr}`);
    return addr;
  }

  async function benchPinned() {
    if (!stack.nodesBaseImage) {
      note('8. pinned nodes: skipped (env.json names no nodesBaseImage: run bash scripts/stack.sh up)');
      return undefined;
    }
    if (os.cpus().length < 2) {
      note('8. pinned nodes: skipped (one CPU: nothing to pin two nodes to)');
      return undefined;
    }
    const amd64 = await startPinned('amd64', '0', ['linux/amd64']);
    const i386 = await startPinned('386', '1', ['linux/386']);
    const both = await startPinned('both', '0', ['linux/amd64', 'linux/386']);
    const layouts = {
      two: `linux/amd64=${amd64}\nlinux/386=${i386}`,
      one: `linux/amd64,linux/386=${both}`
    };
    const ws = path.join(work, 'ws-pinned');
    fs.mkdirSync(ws, { recursive: true });
    // Section 7's build: two CPU-bound steps a platform; the nonce keeps every run out of the cache.
    const dockerfile = (nonce) =>
      `FROM ${stack.nodesBaseImage}\nRUN echo ${nonce} >/nonce\n` +
      'RUN i=0; while [ $i -lt 1000000 ]; do i=$((i+1)); done; echo $i >/count\n' +
      'RUN j=0; while [ $j -lt 1000000 ]; do j=$((j+1)); done; uname -m >/arch\n';
    const out = { two: [], one: [] };
    for (let i = 0; i < opts.runs; i++) {
      for (const layout of i % 2 === 0 ? ['two', 'one'] : ['one', 'two']) {
        const r = await attempt(`pinned ${layout} run ${i + 1}`, async (k) => {
          fs.writeFileSync(
            path.join(ws, 'Dockerfile'),
            dockerfile(`${layout}-${i}-${k}-${randomBytes(4).toString('hex')}`)
          );
          const res = await action(
            {
              images: repo(`pinned-${layout}-${i}-${k}`),
              platforms: 'linux/amd64,linux/386',
              nodes: layouts[layout],
              cache: 'false'
            },
            { workspace: ws, sha: sha(), runId: `8${i}${k}`, label: `pinned ${layout} run ${i + 1}` }
          );
          await post(res, ws);
          return res;
        });
        out[layout].push(r.ms);
        note(`8. pinned ${layout} run ${i + 1}/${opts.runs}: ${sec(r.ms)}`);
      }
    }
    return out;
  }

  async function benchOverhead() {
    note('1. overhead: warming the builder');
    const workspace = copyDir(path.join(FIXTURES, 'arch'), path.join(work, 'ws-overhead'));
    const commit = sha();
    const inputs = { ...common, images: repo('overhead'), platforms: 'linux/amd64,linux/arm64' };
    const runId = '1001';
    // Two warm-ups: the first is cold (fills the builder and the registry), the second is the first cached push.
    await attempt('overhead warm-up 1', () =>
      action(inputs, { workspace, sha: commit, runId, label: 'overhead warm-up 1' })
    );
    const warm = await attempt('overhead warm-up 2', () =>
      action(inputs, { workspace, sha: commit, runId, label: 'overhead warm-up 2' })
    );
    // `[command] docker buildx build …`, or the plugin binary run directly (`…/docker-buildx build …`).
    const line = warm.lines.map((l) => l.text).find((t) => /^\[command\] (?:docker buildx|\S*buildx) build /.test(t));
    if (!line) throw new Error('the action logged no `[command] … buildx build` line');
    const logged = shellWords(line.slice('[command] '.length));
    const mf = logged.indexOf('--metadata-file');
    if (mf < 0) throw new Error(`no --metadata-file in ${line}`);
    logged[mf + 1] = path.join(fs.mkdtempSync(path.join(work, 'bare-')), 'metadata.json');
    const flags = logged.slice(logged.indexOf('build') + 1);
    // What a user types: `docker buildx build` with the action's flags. If the action ran another
    // command (the plugin binary directly), that exact command is timed too.
    const commands = { docker: ['docker', 'buildx', 'build', ...flags] };
    if (logged[0] !== 'docker') commands.exact = logged;
    const bare = (kind) =>
      attempt(`bare ${kind} build`, () =>
        run(commands[kind][0], commands[kind].slice(1), {
          cwd: workspace,
          env: warm.env,
          label: `bare ${commands[kind].slice(0, 3).join(' ')}`
        })
      );
    for (const kind of Object.keys(commands)) await bare(kind);
    const a = [];
    const b = { docker: [], exact: [] };
    const p = [];
    const phases = [];
    for (let i = 0; i < opts.runs; i++) {
      // Rotate the order, so no one always runs right after another's push.
      const order = ['action', ...Object.keys(commands)];
      for (let k = 0; k < i % order.length; k++) order.push(order.shift());
      for (const which of order) {
        if (which === 'action') {
          const r = await attempt(`overhead action run ${i + 1}`, () =>
            action(inputs, { workspace, sha: commit, runId, label: `overhead action run ${i + 1}` })
          );
          a.push(r.ms);
          phases.push(groupTimes(r));
          p.push((await post(r, workspace)).ms);
        } else b[which].push((await bare(which)).ms);
      }
      note(
        `1. overhead run ${i + 1}/${opts.runs}: action ${sec(a.at(-1))}, bare ${Object.keys(commands)
          .map((k) => `${k} ${sec(b[k].at(-1))}`)
          .join(', ')}`
      );
    }
    return { a, b, p, phases, flagCount: flags.length, logged: logged.slice(0, logged.indexOf('build')).join(' ') };
  }

  async function benchQemu() {
    const workspace = copyDir(path.join(FIXTURES, 'arch'), path.join(work, 'ws-qemu'));
    const commit = sha();
    const sets = { native: 'linux/amd64', emulated: 'linux/amd64,linux/arm64' };
    const out = { native: { summary: [], group: [], said: '' }, emulated: { summary: [], group: [], said: '' } };
    const once = async (kind, label) => {
      const r = await attempt(label, () =>
        action(
          { ...common, images: repo(`qemu-${kind}`), platforms: sets[kind] },
          { workspace, sha: commit, runId: '1004', label }
        )
      );
      const inGroup = [];
      let inside = false;
      for (const { text } of r.lines) {
        if (text === '::group::QEMU') inside = true;
        else if (text === '::endgroup::') inside = false;
        else if (inside) inGroup.push(text);
      }
      return { r, said: inGroup.join(' / ') };
    };
    note('4. QEMU: warm-up');
    await once('native', 'qemu warm-up (native)');
    await once('emulated', 'qemu warm-up (emulated)');
    for (let i = 0; i < opts.runs; i++) {
      for (const kind of i % 2 === 0 ? ['native', 'emulated'] : ['emulated', 'native']) {
        const { r, said } = await once(kind, `qemu ${kind} run ${i + 1}`);
        const s = summaryPhases(r.summary).QEMU;
        if (s === undefined) throw new Error(`no "| QEMU | … |" row in the job summary:\n${r.summary}`);
        out[kind].summary.push(s);
        out[kind].group.push(groupTimes(r).QEMU);
        out[kind].said = said;
      }
      note(`4. QEMU run ${i + 1}/${opts.runs}`);
    }
    return out;
  }

  async function benchStartup() {
    note('6. dist size and start-up');
    const dir = fs.mkdtempSync(path.join(work, 'startup-'));
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      GITHUB_ACTIONS: 'true',
      GITHUB_STATE: path.join(dir, 'state'),
      GITHUB_OUTPUT: path.join(dir, 'output'),
      GITHUB_STEP_SUMMARY: path.join(dir, 'summary'),
      RUNNER_TEMP: path.join(dir, 'temp'),
      GITHUB_WORKSPACE: dir
    };
    for (const [name, value] of Object.entries({ ...defaults, images: repo('startup'), platforms: 'linux/amd46' }))
      env[`INPUT_${name.toUpperCase()}`] = value;
    const n = Math.max(opts.runs, 10);
    const toExit = [];
    const toError = [];
    const bareNode = [];
    let message = '';
    for (let i = 0; i < n + 1; i++) {
      for (const f of ['state', 'output', 'summary']) fs.writeFileSync(path.join(dir, f), '');
      const r = await run(process.execPath, [dist], { cwd: dir, env, check: false });
      const err = r.lines.find((l) => l.text.startsWith('::error'));
      if (r.code !== 1 || !err || !/amd46/.test(err.text))
        throw new Error(
          `start-up probe: expected exit 1 with an error naming linux/amd46, got exit ${r.code}:\n${r.stdout}${r.stderr}`
        );
      message = err.text;
      const nodeOnly = await run(process.execPath, ['-e', ''], { cwd: dir });
      if (i === 0) continue; // the first of each warms the page cache
      toExit.push(r.ms);
      toError.push(err.t);
      bareNode.push(nodeOnly.ms);
    }
    let total = 0;
    const walk = (d) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const f = path.join(d, e.name);
        if (e.isDirectory()) walk(f);
        else total += fs.statSync(f).size;
      }
    };
    walk(distCopy);
    return { indexBytes: fs.statSync(dist).size, distBytes: total, toExit, toError, bareNode, message };
  }

  async function benchRebuild() {
    const cold = [];
    const warm = [];
    const warmCached = [];
    for (let i = 0; i < opts.runs; i++) {
      // A failed cold build or rebuild starts the pair again from a fresh repository and workspace.
      const [c, r] = await attempt(`cold build + rebuild ${i + 1}`, async (k) => {
        const workspace = copyDir(path.join(FIXTURES, 'cache'), path.join(work, `ws-rebuild-${i}-${k}`));
        const inputs = { ...common, images: repo(`rebuild-${i}-${k}`), platforms: 'linux/amd64,linux/arm64' };
        await prune();
        const coldRun = await action(inputs, {
          workspace,
          sha: sha(),
          runId: `2${i}${k}1`,
          label: `cold build ${i + 1}${k ? ` (attempt ${k + 1})` : ''}`
        });
        fs.writeFileSync(path.join(workspace, 'changing.txt'), `version 2 (bench run ${i + 1})\n`);
        await prune();
        return [
          coldRun,
          await action(inputs, {
            workspace,
            sha: sha(),
            runId: `2${i}${k}2`,
            label: `rebuild ${i + 1}${k ? ` (attempt ${k + 1})` : ''}`
          })
        ];
      });
      cold.push(c.ms);
      warm.push(r.ms);
      warmCached.push(cachedSteps(r.lines));
      note(
        `2. rebuild run ${i + 1}/${opts.runs}: cold ${sec(cold.at(-1))}, rebuild ${sec(warm.at(-1))} (${warmCached.at(-1).cached}/${warmCached.at(-1).total} steps CACHED)`
      );
    }
    return { cold, warm, warmCached };
  }

  async function benchMatrix() {
    const legs = ['linux/amd64', 'linux/arm64'];
    const out = {};
    for (const variant of ['per-leg', 'shared']) {
      const v = (out[variant] = {
        wall: [],
        firstWall: [],
        cached: { 'linux/amd64': [], 'linux/arm64': [] },
        total: [],
        marked: [],
        steps: 0
      });
      for (let i = 0; i < opts.runs; i++) {
        const [first, second] = await attempt(`matrix ${variant} run ${i + 1}`, (k) => matrixRun(variant, i, k));
        v.firstWall.push(first.ms);
        v.wall.push(second.ms);
        let sum = 0;
        let marked = 0;
        second.rs.forEach((r, n) => {
          const c = cachedSteps(r.lines);
          v.cached[legs[n]].push(c.cached);
          v.steps = Math.max(v.steps, c.total);
          sum += c.cached;
          marked += c.marked;
        });
        v.total.push(sum);
        v.marked.push(marked);
        note(
          `3. matrix ${variant} run ${i + 1}/${opts.runs}: second run ${sec(second.ms)}, CACHED amd64 ${v.cached['linux/amd64'].at(-1)}, arm64 ${v.cached['linux/arm64'].at(-1)} of ${v.steps}`
        );
      }
    }
    return out;

    /** One run: both legs cold, then (after a prune and the edit) both legs again. */
    async function matrixRun(variant, i, k) {
      const image = repo(`matrix-${variant}-${i}-${k}`);
      const extra =
        variant === 'shared'
          ? {
              'cache-from': `type=registry,ref=${image}:buildcache-shared`,
              'cache-to': `type=registry,ref=${image}:buildcache-shared,mode=max,ignore-error=true`
            }
          : {};
      const spaces = Object.fromEntries(
        legs.map((p) => [
          p,
          copyDir(
            path.join(FIXTURES, 'cache'),
            path.join(work, `ws-matrix-${variant}-${i}-${k}-${p.replace(/\//g, '-')}`)
          )
        ])
      );
      const round = async (n) => {
        const commit = sha();
        const runId = `3${i}${k}${n}`;
        const t0 = performance.now();
        const rs = await allOrFirstError(
          legs.map((p) =>
            action(
              { ...common, ...extra, mode: 'platform', images: image, platforms: p },
              { workspace: spaces[p], sha: commit, runId, label: `matrix ${variant} run ${i + 1} round ${n} ${p}` }
            )
          )
        );
        return { rs, ms: performance.now() - t0 };
      };
      await prune();
      const first = await round(1);
      for (const p of legs) fs.writeFileSync(path.join(spaces[p], 'changing.txt'), `version 2 (bench run ${i + 1})\n`);
      await prune();
      return [first, await round(2)];
    }
  }

  async function benchMerge() {
    // linux/386: the base image has amd64, arm64 and arm/v7 only, so that leg builds a FROM scratch
    // fixture; our builder runs 386 natively (linux/arm/v6 under QEMU is the fall-back).
    const fourth = builderPlatforms.includes('linux/386') ? 'linux/386' : 'linux/arm/v6';
    const scratch = path.join(work, 'ws-merge-scratch');
    fs.mkdirSync(scratch, { recursive: true });
    fs.writeFileSync(
      path.join(scratch, 'Dockerfile'),
      '# No base image serves this platform: a FROM scratch leg.\nFROM scratch\nCOPY app.txt /app.txt\n'
    );
    fs.writeFileSync(path.join(scratch, 'app.txt'), `hello from ${fourth}\n`);
    const arch = copyDir(path.join(FIXTURES, 'arch'), path.join(work, 'ws-merge-arch'));
    const image = repo('merge');
    const commit = sha();
    const runId = '5001';
    const leg = (p) =>
      attempt(`merge: leg ${p}`, () =>
        action(
          { ...common, mode: 'platform', images: image, platforms: p },
          { workspace: p === fourth ? scratch : arch, sha: commit, runId, label: `merge: leg ${p}` }
        )
      );
    note(`5. merge: building the legs linux/amd64, linux/arm64, linux/arm/v7, ${fourth}`);
    await allOrFirstError([leg('linux/amd64'), leg('linux/arm64')]);
    await allOrFirstError([leg('linux/arm/v7'), leg(fourth)]);
    const sets = { 2: 'linux/amd64,linux/arm64', 4: `linux/amd64,linux/arm64,linux/arm/v7,${fourth}` };
    const out = { fourth, 2: { ms: [], phases: [] }, 4: { ms: [], phases: [] } };
    for (let i = 0; i < opts.runs; i++) {
      for (const n of i % 2 === 0 ? [2, 4] : [4, 2]) {
        // A merge job needs no builder: it is given none (with the builder input it would bootstrap it).
        const r = await attempt(`merge ${n} platforms run ${i + 1}`, () =>
          action(
            { mode: 'merge', images: image, platforms: sets[n] },
            { workspace: arch, sha: commit, runId, label: `merge ${n} platforms run ${i + 1}` }
          )
        );
        const got = Object.keys(JSON.parse(r.outputs['platform-digests'] || '{}'));
        if (got.length !== n) throw new Error(`merge of ${n} platforms published ${got.join(', ') || 'nothing'}`);
        out[n].ms.push(r.ms);
        out[n].phases.push(groupTimes(r));
      }
      note(
        `5. merge run ${i + 1}/${opts.runs}: 2 platforms ${sec(out[2].ms.at(-1))}, 4 platforms ${sec(out[4].ms.at(-1))}`
      );
    }
    return out;
  }

  // ---- The table

  const phaseRows = (list, prefix) => {
    const names = [];
    for (const ph of list) for (const k of Object.keys(ph)) if (!names.includes(k)) names.push(k);
    for (const name of names)
      row(
        `${prefix}${name}`,
        list.map((ph) => ph[name] ?? NaN),
        msec
      );
  };

  if (results[1]) {
    const r = results[1];
    header('1. The action’s own overhead (build mode, linux/amd64 + linux/arm64, warm builder, image already cached)');
    row(
      'action: `node dist/index.js`, main step, wall',
      r.a,
      sec,
      'inputs, context, QEMU check, buildx version, builder bootstrap, build, imagetools create + inspect'
    );
    row(
      'bare: `docker buildx build` + the action’s flags, wall',
      r.b.docker,
      sec,
      `${r.flagCount} flags replayed from the action’s \`[command]\` line; only --metadata-file changed`
    );
    const diffs = r.a.map((x, i) => x - r.b.docker[i]);
    row('overhead: action − bare `docker buildx build` (paired runs)', diffs, msec, 'aim: under 500 ms');
    single(
      'overhead, relative: median(action − bare) / median(bare)',
      pct(median(diffs) / median(r.b.docker)),
      'aim: under 10 %'
    );
    single('ratio: median(action) / median(bare)', times(median(r.a) / median(r.b.docker)));
    if (r.b.exact.length) {
      row(
        `bare: the exact logged command (\`${r.logged} build …\`), wall`,
        r.b.exact,
        sec,
        'the action runs the buildx plugin binary directly, without the docker CLI'
      );
      const exact = r.a.map((x, i) => x - r.b.exact[i]);
      row('overhead: action − the exact logged command (paired runs)', exact, msec);
      single('overhead, relative to the exact command', pct(median(exact) / median(r.b.exact)));
    }
    row('post step (the runner starts it at the end of the job; not in the overhead)', r.p, msec);
    phaseRows(r.phases, '↳ action phase (log-group timing): ');
  }
  if (results[2]) {
    const r = results[2];
    header('2. Ephemeral-runner rebuild (cache fixture, linux/amd64 + linux/arm64)');
    row('cold build: fresh repo, empty BuildKit state', r.cold, sec);
    row(
      'rebuild: `buildctl prune --all`, registry cache, changing.txt edited',
      r.warm,
      sec,
      `cached steps ${median(r.warmCached.map((c) => c.cached))} of ${max(r.warmCached.map((c) => c.total))} (median; both platforms; 6 at most: FROM is pulled, the last 2 of each follow changing.txt); marked CACHED in the log: ${median(r.warmCached.map((c) => c.marked))}`
    );
    single('ratio: rebuild / cold (medians)', times(median(r.warm) / median(r.cold)));
  }
  if (results[3]) {
    const r = results[3];
    header(
      '3. Matrix cache: legs linux/amd64 and linux/arm64 at once (mode platform); second run after `prune --all`, changing.txt edited'
    );
    for (const variant of ['per-leg', 'shared']) {
      const v = r[variant];
      const what =
        variant === 'per-leg'
          ? 'per-leg refs (default buildcache-<platform>)'
          : 'one shared ref (cache-from/cache-to, mode=max,ignore-error=true)';
      row(
        `${what}: cached steps, linux/amd64 leg`,
        v.cached['linux/amd64'],
        String,
        `of ${v.steps} Dockerfile steps; 3 at most (FROM is pulled; the last 2 follow changing.txt)`
      );
      row(`${what}: cached steps, linux/arm64 leg`, v.cached['linux/arm64'], String, `of ${v.steps}`);
      row(
        `${what}: cached steps, both legs`,
        v.total,
        String,
        `of ${2 * v.steps}; marked CACHED in the logs: median ${median(v.marked)}`
      );
      row(`${what}: first run (cold), wall until both legs end`, v.firstWall, sec);
      row(`${what}: second run, wall until both legs end`, v.wall, sec);
    }
    single(
      'ratio: cached steps, shared / per-leg (medians, both legs)',
      times(median(r.shared.total) / median(r['per-leg'].total))
    );
    single(
      'ratio: second-run wall, shared / per-leg (medians)',
      times(median(r.shared.wall) / median(r['per-leg'].wall))
    );
  }
  if (results[4]) {
    const r = results[4];
    header('4. QEMU set-up (qemu: host; handlers already registered on this machine, so this measures the check)');
    row(
      'all native (linux/amd64): `| QEMU |` from GITHUB_STEP_SUMMARY',
      r.native.summary,
      sec1,
      `aim: zero. Action said: “${r.native.said}”`
    );
    row(
      'all native (linux/amd64): QEMU log group, ms timing',
      r.native.group,
      msec,
      'from ::group::QEMU to ::endgroup:: as they reached the bench'
    );
    row(
      'one emulated (linux/amd64 + linux/arm64): `| QEMU |` from GITHUB_STEP_SUMMARY',
      r.emulated.summary,
      sec1,
      `Action said: “${r.emulated.said}”`
    );
    row('one emulated (linux/amd64 + linux/arm64): QEMU log group, ms timing', r.emulated.group, msec);
  }
  if (results[5]) {
    const r = results[5];
    header(
      `5. Merge step (mode merge; legs built first by mode platform runs; ${r.fourth} from a FROM scratch fixture)`
    );
    row('merge of 2 platforms (linux/amd64, linux/arm64), wall', r[2].ms, sec);
    row(`merge of 4 platforms (+ linux/arm/v7, ${r.fourth}), wall`, r[4].ms, sec);
    single('ratio: 4 / 2 platforms (medians)', times(median(r[4].ms) / median(r[2].ms)));
    phaseRows(r[2].phases, '↳ merge 2, phase: ');
    phaseRows(r[4].phases, '↳ merge 4, phase: ');
  }
  if (results[6]) {
    const r = results[6];
    header('6. The bundle');
    single('dist/index.js', bytes(r.indexBytes));
    single('dist/ (all files)', bytes(r.distBytes));
    row(
      '`node dist/index.js` to exit, INPUT_PLATFORMS=linux/amd46 (fails in input validation)',
      r.toExit,
      msec,
      `the first run (page cache) left out; error: ${r.message.length > 100 ? `${r.message.slice(0, 100)}…` : r.message}`
    );
    row('… to the `::error::` line reaching the bench', r.toError, msec);
    row('`node -e ""` (node itself, for comparison)', r.bareNode, msec);
    single(
      'bundle load to first error: median(dist) − median(node -e "")',
      msec(median(r.toExit) - median(r.bareNode))
    );
  }

  if (results[7]) {
    const r = results[7];
    header('7. Multi-node builds (nodes): linux/amd64 + linux/386, two CPU-bound RUN steps, no cache');
    row('two nodes (one per platform): action wall', r.wall['two nodes'], sec, 'each platform on its own buildkitd');
    row('one node (declaring both): action wall', r.wall['one node'], sec, 'the same two builds, one buildkitd');
    single(
      'wall ratio one node / two nodes (medians)',
      times(median(r.wall['one node']) / median(r.wall['two nodes'])),
      '2 cores here: one daemon runs both platforms in parallel too'
    );
    for (const [name, values] of Object.entries(r.phases))
      row(
        `two nodes: ${name}`,
        values,
        sec,
        /^Publish/.test(name)
          ? 'the merge: imagetools create of the two digests, tags last'
          : 'from the job summary (0.1 s)'
      );
    for (const [variant, c] of Object.entries(r.cached))
      for (const p of ['linux/amd64', 'linux/386'])
        row(`second run after pruning both nodes, ${variant}: ${p} steps from cache (of ${c.total})`, c[p], String);
  }

  if (results[8]) {
    const r = results[8];
    header(
      '8. Nodes as separate machines: each buildkitd pinned to its own core (taskset), linux/amd64 + linux/386, two CPU-bound RUN steps, no cache'
    );
    row('two nodes, one per platform, on core 0 and core 1: action wall', r.two, sec, 'as two one-core machines');
    row('one buildkitd on core 0, both platforms: action wall', r.one, sec, 'as one one-core machine');
    single(
      'wall ratio two nodes / one node (medians)',
      times(median(r.two) / median(r.one)),
      'goal: at most 0.60×; other jobs on the machine are not kept off these cores'
    );
  }

  if (results[9]) {
    header(
      '9. Cache backends: registry and gha (the stack’s v2 stand-in), mode=max and mode=min; two-stage projects, linux/amd64 + linux/arm64'
    );
    for (const [key, v] of Object.entries(results[9])) {
      row(`${key}: cold build, wall`, v.cold, sec);
      row(`${key}: warm build after \`prune --all\`, changing.txt edited, wall`, v.warm, sec);
      row(
        `${key}: steps served from the cache on the wiped builder`,
        v.served,
        String,
        `of ${v.total} (both platforms; ${v.project === 'final stage changes' ? '6 at most: FROM is pulled, the last 2 of each follow changing.txt' : '4 at most: FROM is pulled, the last 3 of each follow changing.txt'})`
      );
      row(
        `${key}: cache export of the cold build, seconds`,
        v.exported,
        (x) => `${x.toFixed(1)} s`,
        'the export vertex’s DONE time'
      );
    }
  }

  const totalMs = performance.now() - totalStart;
  const lines = [];
  lines.push(`# multiarch-publish benchmark`, '');
  lines.push(`- date: ${machine.date}`);
  lines.push(
    `- machine: ${machine.nproc} CPUs (nproc), ${machine.memory} memory, ${machine.cpu}, Linux ${machine.kernel}`
  );
  lines.push(
    `- versions: ${machine.buildx}; BuildKit ${machine.buildkit} (own buildkitd, stack config, runc worker); node ${machine.node} (action.yml says ${machine.usingNode}); ${machine.docker} (client only); ${machine.qemu}`
  );
  lines.push(
    `- action: ${path.relative(ROOT, DIST).startsWith('..') ? DIST : path.relative(ROOT, DIST)} sha256 ${distHash.slice(0, 16)}… (modified ${distMtime}, repository at ${machine.commit || '?'}), copied at the start and run as the GitHub runner does; ${opts.runs} measured runs per row unless the Runs column says otherwise`
  );
  const load = (l) => l.map((x) => x.toFixed(2)).join(' ');
  lines.push(
    `- load average (1, 5, 15 min) at the start ${load(loadStart)}, at the end ${load(os.loadavg())}: other jobs share this machine, so absolute times are noisy; compare within a row group`
  );
  lines.push(
    `- registry ${REG} (images under bench/${id}/), builder \`${builder}\` (remote driver) on our own buildkitd, qemu: host`
  );
  lines.push('');
  lines.push('| Measure | Median | Min | Max | Runs | Notes |', '|---|---:|---:|---:|---:|---|');
  for (const r of rows) {
    // A | inside a cell (even in a code span) ends it in GitHub's tables unless escaped.
    const cell = (text) => String(text).replace(/\|/g, '\\|');
    if (r.header) lines.push(`| **${cell(r.header)}** | | | | | |`);
    else lines.push(`| ${[r.measure, r.median, r.min, r.max, r.n, r.note].map(cell).join(' | ')} |`);
  }
  lines.push('');
  for (const n of extraNotes) lines.push(`- ${n}`);
  if (failures.length) {
    lines.push(`- ${failures.length} run(s) failed and were repeated from a fresh start (not in the figures above):`);
    for (const f of failures) lines.push(`  - ${f}`);
  } else lines.push('- no run failed.');
  lines.push(`Benchmark wall time: ${sec(totalMs)} (sections ${[...opts.only].sort().join(', ')}).`);
  const report = `${lines.join('\n')}\n`;
  process.stdout.write(`\n${report}`);
  if (opts.out) {
    fs.writeFileSync(opts.out, report);
    note(`wrote ${opts.out}`);
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Clean-up: last in, first out, once, also on failure and on SIGINT/SIGTERM.

const cleanups = [];
let cleaning;
function cleanup() {
  cleaning ??= (async () => {
    for (const child of live) {
      try {
        child.kill('SIGTERM');
      } catch {
        // gone
      }
    }
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (error) {
        note(`clean-up: ${error.message}`);
      }
    }
  })();
  return cleaning;
}

function newestMtime(dir) {
  let newest;
  const walk = (d) => {
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

/** Promise.all that waits for every promise to settle before it rejects: no run outlives its step. */
async function allOrFirstError(promises) {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((r) => r.value);
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function tailFile(file, n = 15) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n).join('\n');
  } catch {
    return '';
  }
}

async function stopProcess(child, exited, name) {
  if (exited()) return;
  child.kill('SIGTERM');
  for (let i = 0; i < 100 && !exited(); i++) await sleep(100);
  if (!exited()) {
    note(`${name} (pid ${child.pid}) ignored SIGTERM for 10 s; killing it`);
    child.kill('SIGKILL');
    for (let i = 0; i < 50 && !exited(); i++) await sleep(100);
  }
  note(`stopped ${name} (pid ${child.pid})`);
}

/** Best effort: untags what this run pushed (the registry's garbage collection frees the blobs). */
async function deleteRepos(registry, repos) {
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
      const digests = new Set();
      for (const tag of (await list.json()).tags ?? []) {
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

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    note(`${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}

let exitCode = 1;
try {
  exitCode = await main(parseArgs(process.argv.slice(2)));
} catch (error) {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
  exitCode = 1;
} finally {
  await cleanup();
}
process.exit(exitCode);
