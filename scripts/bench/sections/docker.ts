/**
 * 11. Docker's own path on the same buildkitd: docker/setup-buildx-action (remote driver on our
 * buildkitd) then docker/build-push-action, both from their published dist/ and run the runner's
 * way, against this action (given the same driver and endpoint, so it too makes its own builder),
 * on the same two-platform push with the image already cached. Their bundles are read from a
 * directory holding each repository as a bare git mirror (`docker+<name>/repo`, what the `fetch`
 * tool leaves) or a checkout (`<name>/`): --docker-actions DIR or BENCH_DOCKER_ACTIONS.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { stepEnv, stepResult } from '../../../__tests__/e2e/support/step-env.js';
import { actionDefaults, copyDir, FIXTURES, type Bench } from '../harness.js';
import { note, run, type Ran } from '../process.js';
import { median, sec, times, type Table } from '../report.js';
import type { Section } from '../section.js';

interface DockerAction {
  name: string;
  dir: string;
  /** Where it came from, for the report: the commit and its tag. */
  version: string;
}

/** The action's action.yml and dist/ in a directory of our own, from a bare mirror or a checkout. */
function materialise(b: Bench, name: string): DockerAction | string {
  const root = b.opts.dockerActions;
  const dir = path.join(b.work, 'docker-actions', name);
  const mirror = path.join(root, `docker+${name}`, 'repo');
  const checkout = path.join(root, name);
  if (fs.existsSync(path.join(mirror, 'HEAD'))) {
    const git = (...args: string[]): string =>
      execFileSync('git', ['--git-dir', mirror, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
    fs.mkdirSync(path.join(dir, 'dist'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'action.yml'), git('show', 'HEAD:action.yml'));
    const main = /main:\s*'?([^'\s]+)'?/.exec(git('show', 'HEAD:action.yml'))?.[1] ?? 'dist/index.cjs';
    fs.writeFileSync(path.join(dir, main), git('show', `HEAD:${main}`));
    const commit = git('rev-parse', '--short', 'HEAD').trim();
    let tag = '';
    try {
      tag = git('describe', '--tags', '--exact-match', 'HEAD').trim();
    } catch {
      // an untagged commit
    }
    return { name, dir, version: `${commit}${tag ? ` (${tag})` : ''}` };
  }
  if (fs.existsSync(path.join(checkout, 'action.yml'))) {
    copyDir(checkout, dir);
    return { name, dir, version: 'checkout' };
  }
  return `neither ${mirror} (a bare git mirror) nor ${checkout}/action.yml exists`;
}

/** Runs a JavaScript action's main (or, with state, post) step the runner's way. */
async function step(
  b: Bench,
  action: DockerAction,
  inputs: Record<string, string>,
  workspace: string,
  label: string,
  state?: Record<string, string>
): Promise<Ran & { outputs: Record<string, string>; state: Record<string, string> }> {
  const yml = fs.readFileSync(path.join(action.dir, 'action.yml'), 'utf8');
  const main = /main:\s*'?([^'\s]+)'?/.exec(yml)?.[1] ?? 'dist/index.cjs';
  const parent = path.join(b.work, 'runners');
  const { files, env } = stepEnv(
    {
      inputs: { ...actionDefaults(path.join(action.dir, 'action.yml')), ...inputs },
      workspace,
      state,
      env: {
        CI: 'true',
        RUNNER_OS: 'Linux',
        RUNNER_ARCH: 'X64',
        // No artifact service here: the build record is not uploaded (docker's documented switch).
        DOCKER_BUILD_RECORD_UPLOAD: 'false'
      }
    },
    parent
  );
  const ran = await run(process.execPath, [path.join(action.dir, main)], { cwd: workspace, env, check: false, label });
  const result = { ...ran, ...stepResult(files, ran.code, ran.stdout, ran.stderr) };
  if (ran.code !== 0 || /^::error::/m.test(ran.stdout)) {
    const errors = ran.stdout.split('\n').filter((l) => l.startsWith('::error'));
    throw new Error(
      `${label} failed (exit ${ran.code}):\n${[...errors, ...ran.stdout.split('\n').slice(-20), ran.stderr].join('\n')}`
    );
  }
  return result;
}

async function measure(b: Bench, t: Table): Promise<void> {
  const got = ['setup-buildx-action', 'build-push-action'].map((name) => materialise(b, name));
  const missing = got.filter((g): g is string => typeof g === 'string');
  if (missing.length) {
    note(`11. docker's actions: skipped (${missing.join('; ')})`);
    t.header('11. Docker’s own path: not run');
    t.single('docker/setup-buildx-action + docker/build-push-action', '-', `not found: ${missing.join('; ')}`);
    return;
  }
  const [setup, buildPush] = got as DockerAction[];
  const workspace = copyDir(path.join(FIXTURES, 'arch'), path.join(b.work, 'ws-docker'));
  const platforms = 'linux/amd64,linux/arm64';
  const sha = b.sha();
  const oursImage = b.repo('docker-ours');
  const theirsImage = b.repo('docker-theirs');
  // Ours makes its own builder on the endpoint too, as setup-buildx-action does: no `builder` input.
  const ours = async (label: string) => {
    const r = await b.action(
      {
        driver: 'remote',
        endpoint: b.addr,
        qemu: 'host',
        'build-args': `BASE=${b.stack.baseImage}`,
        images: oursImage,
        platforms
      },
      { workspace, sha, runId: '1101', label }
    );
    await b.post(r, workspace);
    return r.ms;
  };
  const theirs = async (label: string) => {
    const s = await step(b, setup, { driver: 'remote', endpoint: b.addr }, workspace, `${label}: setup-buildx-action`);
    try {
      const p = await step(
        b,
        buildPush,
        {
          builder: s.outputs.name,
          context: '.',
          platforms,
          push: 'true',
          tags: `${theirsImage}:latest`,
          'build-args': `BASE=${b.stack.baseImage}`
        },
        workspace,
        `${label}: build-push-action`
      );
      return { setup: s.ms, build: p.ms };
    } finally {
      // Their post steps: setup-buildx-action's removes the builder it made (not timed, as ours is not).
      await step(b, setup, {}, workspace, `${label}: setup-buildx-action post`, { ...s.state, isPost: 'true' }).catch(
        (error: Error) => note(`${label}: setup-buildx-action post: ${error.message.split('\n')[0]}`)
      );
    }
  };
  note(`11. docker's path: setup-buildx-action ${setup.version}, build-push-action ${buildPush.version}; warming up`);
  await b.attempt('docker warm-up (ours)', () => ours('docker: ours warm-up'));
  await b.attempt('docker warm-up (theirs)', () => theirs('docker: theirs warm-up'));
  const oursMs: number[] = [];
  const theirsMs: number[] = [];
  const setupMs: number[] = [];
  const buildMs: number[] = [];
  for (let i = 0; i < b.opts.runs; i++) {
    for (const who of i % 2 === 0 ? (['ours', 'theirs'] as const) : (['theirs', 'ours'] as const)) {
      if (who === 'ours') oursMs.push(await b.attempt(`docker ours run ${i + 1}`, () => ours(`docker: ours ${i + 1}`)));
      else {
        const r = await b.attempt(`docker theirs run ${i + 1}`, () => theirs(`docker: theirs ${i + 1}`));
        setupMs.push(r.setup);
        buildMs.push(r.build);
        theirsMs.push(r.setup + r.build);
      }
    }
    note(`11. docker run ${i + 1}/${b.opts.runs}: ours ${sec(oursMs[i])}, theirs ${sec(theirsMs[i])}`);
  }

  t.header(
    `11. Docker’s own path on the same buildkitd: setup-buildx-action ${setup.version} + build-push-action ${buildPush.version} (published dist/, run the runner’s way), linux/amd64 + linux/arm64, image already cached`
  );
  t.row(
    'ours: this action’s main step (driver remote, same endpoint), wall',
    oursMs,
    sec,
    'makes its own builder, builds, pushes, tags'
  );
  t.row(
    'theirs: setup-buildx-action main step (driver remote, same endpoint), wall',
    setupMs,
    sec,
    'makes the builder'
  );
  t.row(
    'theirs: build-push-action main step, wall',
    buildMs,
    sec,
    'builds and pushes one tag; no QEMU step (the handlers are registered)'
  );
  t.row('theirs: both main steps, wall', theirsMs, sec);
  t.single('ratio: ours / theirs (medians)', times(median(oursMs) / median(theirsMs)), 'goal: at most 0.40×');
}

export const docker: Section = { id: '11', run: measure };
