/**
 * 1. The action's own overhead: its wall time minus the same `docker buildx build` (replayed from
 * the action's `[command]` log line) run bare, warm builder, cached image.
 */
import fs from 'node:fs';
import path from 'node:path';
import { copyDir, FIXTURES, type Bench } from '../harness.js';
import { groupTimes } from '../logs.js';
import { note, run, shellWords } from '../process.js';
import { median, msec, pct, sec, times, type Table } from '../report.js';
import type { Section } from '../section.js';

async function measure(b: Bench, t: Table): Promise<void> {
  note('1. overhead: warming the builder');
  const workspace = copyDir(path.join(FIXTURES, 'arch'), path.join(b.work, 'ws-overhead'));
  const commit = b.sha();
  const inputs = { ...b.common, images: b.repo('overhead'), platforms: 'linux/amd64,linux/arm64' };
  const step = (label: string) => ({ workspace, sha: commit, runId: '1001', label });
  // Two warm-ups: the first is cold (fills the builder and the registry), the second is the first cached push.
  await b.attempt('overhead warm-up 1', () => b.action(inputs, step('overhead warm-up 1')));
  const warm = await b.attempt('overhead warm-up 2', () => b.action(inputs, step('overhead warm-up 2')));
  // `[command] docker buildx build …`, or the plugin binary run directly (`…/docker-buildx build …`).
  const line = warm.lines.map((l) => l.text).find((x) => /^\[command\] (?:docker buildx|\S*buildx) build /.test(x));
  if (!line) throw new Error('the action logged no `[command] … buildx build` line');
  const logged = shellWords(line.slice('[command] '.length));
  const mf = logged.indexOf('--metadata-file');
  if (mf < 0) throw new Error(`no --metadata-file in ${line}`);
  logged[mf + 1] = path.join(fs.mkdtempSync(path.join(b.work, 'bare-')), 'metadata.json');
  const flags = logged.slice(logged.indexOf('build') + 1);
  // What a user types: `docker buildx build` with the action's flags. If the action ran another
  // command (the plugin binary directly), that exact command is timed too.
  const commands: Record<string, string[]> = { docker: ['docker', 'buildx', 'build', ...flags] };
  if (logged[0] !== 'docker') commands.exact = logged;
  const bare = (kind: string) =>
    b.attempt(`bare ${kind} build`, () =>
      run(commands[kind][0], commands[kind].slice(1), {
        cwd: workspace,
        env: warm.env,
        label: `bare ${commands[kind].slice(0, 3).join(' ')}`
      })
    );
  for (const kind of Object.keys(commands)) await bare(kind);
  const a: number[] = [];
  const bareMs: Record<string, number[]> = { docker: [], exact: [] };
  const p: number[] = [];
  const phases: Array<Record<string, number>> = [];
  for (let i = 0; i < b.opts.runs; i++) {
    // Rotate the order, so no one always runs right after another's push.
    const order = ['action', ...Object.keys(commands)];
    for (let k = 0; k < i % order.length; k++) order.push(order.shift() as string);
    for (const which of order) {
      if (which === 'action') {
        const r = await b.attempt(`overhead action run ${i + 1}`, () =>
          b.action(inputs, step(`overhead action run ${i + 1}`))
        );
        a.push(r.ms);
        phases.push(groupTimes(r));
        p.push((await b.post(r, workspace)).ms);
      } else bareMs[which].push((await bare(which)).ms);
    }
    note(
      `1. overhead run ${i + 1}/${b.opts.runs}: action ${sec(a[a.length - 1])}, bare ${Object.keys(commands)
        .map((k) => `${k} ${sec(bareMs[k][bareMs[k].length - 1])}`)
        .join(', ')}`
    );
  }

  t.header('1. The action’s own overhead (build mode, linux/amd64 + linux/arm64, warm builder, image already cached)');
  t.row(
    'action: `node dist/index.js`, main step, wall',
    a,
    sec,
    'inputs, context, QEMU check, buildx version, builder bootstrap, build, imagetools create + inspect'
  );
  t.row(
    'bare: `docker buildx build` + the action’s flags, wall',
    bareMs.docker,
    sec,
    `${flags.length} flags replayed from the action’s \`[command]\` line; only --metadata-file changed`
  );
  const diffs = a.map((x, i) => x - bareMs.docker[i]);
  t.row('overhead: action − bare `docker buildx build` (paired runs)', diffs, msec, 'goal: at most 250 ms');
  t.single(
    'overhead, relative: median(action − bare) / median(bare)',
    pct(median(diffs) / median(bareMs.docker)),
    'aim: under 10 %'
  );
  t.single('ratio: median(action) / median(bare)', times(median(a) / median(bareMs.docker)));
  if (bareMs.exact.length) {
    t.row(
      `bare: the exact logged command (\`${logged.slice(0, logged.indexOf('build')).join(' ')} build …\`), wall`,
      bareMs.exact,
      sec,
      'the action runs the buildx plugin binary directly, without the docker CLI'
    );
    const exact = a.map((x, i) => x - bareMs.exact[i]);
    t.row('overhead: action − the exact logged command (paired runs)', exact, msec);
    t.single('overhead, relative to the exact command', pct(median(exact) / median(bareMs.exact)));
  }
  t.row('post step (the runner starts it at the end of the job; not in the overhead)', p, msec);
  t.phaseRows(phases, '↳ action phase (log-group timing): ');
}

export const overhead: Section = { id: '1', run: measure };
