/** 3. Matrix cache: two legs at once, the second run after a prune, per-leg cache refs against one shared. */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { copyDir, FIXTURES, type ActionRun, type Bench } from '../harness.js';
import { cachedSteps } from '../logs.js';
import { allOrFirstError, note } from '../process.js';
import { median, count, sec, times, type Table } from '../report.js';
import type { Section } from '../section.js';

const LEGS = ['linux/amd64', 'linux/arm64'];
type Variant = 'per-leg' | 'shared';
interface Round {
  rs: ActionRun[];
  ms: number;
}

/** One run: both legs cold, then (after a prune and the edit) both legs again. */
async function matrixRun(b: Bench, variant: Variant, i: number, k: number): Promise<[Round, Round]> {
  const image = b.repo(`matrix-${variant}-${i}-${k}`);
  const extra: Record<string, string> =
    variant === 'shared'
      ? {
          'cache-from': `type=registry,ref=${image}:buildcache-shared`,
          'cache-to': `type=registry,ref=${image}:buildcache-shared,mode=max,ignore-error=true`
        }
      : {};
  const spaces = Object.fromEntries(
    LEGS.map((p) => [
      p,
      copyDir(
        path.join(FIXTURES, 'cache'),
        path.join(b.work, `ws-matrix-${variant}-${i}-${k}-${p.replace(/\//g, '-')}`)
      )
    ])
  );
  const round = async (n: number): Promise<Round> => {
    const sha = b.sha();
    const runId = `3${i}${k}${n}`;
    const t0 = performance.now();
    const rs = await allOrFirstError(
      LEGS.map((p) =>
        b.action(
          { ...b.common, ...extra, mode: 'platform', images: image, platforms: p },
          { workspace: spaces[p], sha, runId, label: `matrix ${variant} run ${i + 1} round ${n} ${p}` }
        )
      )
    );
    return { rs, ms: performance.now() - t0 };
  };
  await b.prune();
  const first = await round(1);
  for (const p of LEGS) fs.writeFileSync(path.join(spaces[p], 'changing.txt'), `version 2 (bench run ${i + 1})\n`);
  await b.prune();
  return [first, await round(2)];
}

async function measure(b: Bench, t: Table): Promise<void> {
  interface Measured {
    wall: number[];
    firstWall: number[];
    cached: Record<string, number[]>;
    total: number[];
    marked: number[];
    steps: number;
  }
  const out = {} as Record<Variant, Measured>;
  for (const variant of ['per-leg', 'shared'] as const) {
    const v: Measured = (out[variant] = {
      wall: [],
      firstWall: [],
      cached: { 'linux/amd64': [], 'linux/arm64': [] },
      total: [],
      marked: [],
      steps: 0
    });
    for (let i = 0; i < b.opts.runs; i++) {
      const [first, second] = await b.attempt(`matrix ${variant} run ${i + 1}`, (k) => matrixRun(b, variant, i, k));
      v.firstWall.push(first.ms);
      v.wall.push(second.ms);
      let sum = 0;
      let marked = 0;
      second.rs.forEach((r, n) => {
        const c = cachedSteps(r.lines);
        v.cached[LEGS[n]].push(c.cached);
        v.steps = Math.max(v.steps, c.total);
        sum += c.cached;
        marked += c.marked;
      });
      v.total.push(sum);
      v.marked.push(marked);
      note(
        `3. matrix ${variant} run ${i + 1}/${b.opts.runs}: second run ${sec(second.ms)}, CACHED amd64 ${v.cached['linux/amd64'][i]}, arm64 ${v.cached['linux/arm64'][i]} of ${v.steps}`
      );
    }
  }

  t.header(
    '3. Matrix cache: legs linux/amd64 and linux/arm64 at once (mode platform); second run after `prune --all`, changing.txt edited'
  );
  for (const variant of ['per-leg', 'shared'] as const) {
    const v = out[variant];
    const what =
      variant === 'per-leg'
        ? 'per-leg refs (default buildcache-<platform>)'
        : 'one shared ref (cache-from/cache-to, mode=max,ignore-error=true)';
    t.row(
      `${what}: cached steps, linux/amd64 leg`,
      v.cached['linux/amd64'],
      count,
      `of ${v.steps} Dockerfile steps; 3 at most (FROM is pulled; the last 2 follow changing.txt)`
    );
    t.row(`${what}: cached steps, linux/arm64 leg`, v.cached['linux/arm64'], count, `of ${v.steps}`);
    t.row(
      `${what}: cached steps, both legs`,
      v.total,
      count,
      `of ${2 * v.steps}; marked CACHED in the logs: median ${median(v.marked)}`
    );
    t.row(`${what}: first run (cold), wall until both legs end`, v.firstWall, sec);
    t.row(`${what}: second run, wall until both legs end`, v.wall, sec);
  }
  t.single(
    'ratio: cached steps, shared / per-leg (medians, both legs)',
    times(median(out.shared.total) / median(out['per-leg'].total))
  );
  t.single(
    'ratio: second-run wall, shared / per-leg (medians)',
    times(median(out.shared.wall) / median(out['per-leg'].wall))
  );
}

export const matrix: Section = { id: '3', run: measure };
