/**
 * A benchmark of what users wait for: the bundled action (dist/index.js) run the way the GitHub
 * runner runs it, against the real stack on this machine (scripts/stack.sh: registry, BuildKit,
 * buildx, QEMU). Compiled by tsc (scripts/bench/tsconfig.json) into build/bench/ and run by node.
 *
 *   npm run bench [-- --out FILE] [--runs N] [--only 1,2,…] [--logs DIR] [--dist DIR] [--docker-actions DIR]
 *
 * Sections (medians of --runs runs, 5 by default, with min and max), one module each under
 * sections/, on the shared harness (harness.ts) and written by the report writer (report.ts):
 *   1. overhead.ts: the action's own overhead over the same `docker buildx build` run bare;
 *   2. rebuild.ts: the ephemeral-runner rebuild, cold against after `prune --all`;
 *   3. matrix.ts: matrix cache, per-leg refs against one shared;
 *   4. qemu.ts: QEMU set-up time, all native against one emulated platform;
 *   5. merge.ts: the merge step for 2 and 4 platforms;
 *   6. startup.ts: the bundle's size and node start-up time;
 *   7. nodes.ts: multi-node builds on the stack's single-platform nodes;
 *   8. pinned.ts: nodes as separate machines, each buildkitd pinned to its own core;
 *   9. cache-backends.ts: the registry and gha cache backends, mode=max and mode=min;
 *  10. three-ways.ts: one Go program built emulated, cross-compiled and native;
 *  11. docker.ts: docker's own setup-buildx-action + build-push-action on the same builder.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs, usage } from './args.js';
import { cleanup, interrupted, markInterrupted, ROOT, startBench, type Bench, type Options } from './harness.js';
import { live, note } from './process.js';
import { sec, Table, writeReport } from './report.js';
import type { Section } from './section.js';
import { cacheBackends } from './sections/cache-backends.js';
import { docker } from './sections/docker.js';
import { matrix } from './sections/matrix.js';
import { merge } from './sections/merge.js';
import { nodes } from './sections/nodes.js';
import { overhead } from './sections/overhead.js';
import { pinned } from './sections/pinned.js';
import { qemu } from './sections/qemu.js';
import { rebuild } from './sections/rebuild.js';
import { startup } from './sections/startup.js';
import { threeWays } from './sections/three-ways.js';

/** In the order they run: the ones that need a warm builder first, before anything prunes. */
const SECTIONS: Section[] = [
  overhead,
  docker,
  qemu,
  startup,
  rebuild,
  matrix,
  merge,
  nodes,
  pinned,
  cacheBackends,
  threeWays
];
const IDS = SECTIONS.map((s) => s.id).sort((a, b) => Number(a) - Number(b));

function head(b: Bench): Parameters<typeof writeReport>[0] {
  const m = b.machine;
  const dist = path.join(b.opts.dist, 'index.js');
  const load = (l: number[]): string => l.map((x) => x.toFixed(2)).join(' ');
  return {
    date: m.date,
    machine: `${m.nproc} CPUs (nproc), ${m.memory} memory, ${m.cpu}, Linux ${m.kernel}`,
    versions: `${m.buildx}; BuildKit ${m.buildkit} (own buildkitd, stack config, runc worker); node ${m.node} (action.yml says ${m.usingNode}); ${m.docker} (client only); ${m.qemu}`,
    action: `${path.relative(ROOT, dist).startsWith('..') ? dist : path.relative(ROOT, dist)} sha256 ${b.distHash.slice(0, 16)}… (modified ${b.distMtime}, repository at ${m.commit || '?'}), copied at the start and run as the GitHub runner does; ${b.opts.runs} measured runs per row unless the Runs column says otherwise`,
    load: `at the start ${load(b.loadStart)}, at the end ${load(os.loadavg())}: other jobs share this machine, so absolute times are noisy; compare within a row group`,
    where: `registry ${b.stack.registry} (images under bench/${b.id}/), builder \`${b.builder}\` (remote driver) on our own buildkitd, qemu: host`
  };
}

async function main(opts: Options): Promise<number> {
  const totalStart = performance.now();
  const bench = await startBench(opts);
  if (typeof bench === 'string') {
    process.stderr.write(`bench: ${bench}\n`);
    return 2;
  }
  const tables = new Map<string, Table>();
  for (const section of SECTIONS) {
    if (!opts.only.has(section.id)) continue;
    const table = new Table();
    await section.run(bench, table);
    tables.set(section.id, table);
  }
  const notes = bench.notes.map((n) => `- ${n}`);
  if (bench.failures.length) {
    notes.push(
      `- ${bench.failures.length} run(s) failed and were repeated from a fresh start (not in the figures above):`
    );
    for (const f of bench.failures) notes.push(`  - ${f}`);
  } else notes.push('- no run failed.');
  const ran = IDS.filter((id) => tables.has(id));
  const report = writeReport(
    head(bench),
    ran.map((id) => tables.get(id) as Table),
    notes,
    `Benchmark wall time: ${sec(performance.now() - totalStart)} (sections ${ran.join(', ')}).`
  );
  process.stdout.write(`\n${report}`);
  if (opts.out) {
    fs.writeFileSync(opts.out, report);
    note(`wrote ${opts.out}`);
  }
  return 0;
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    markInterrupted();
    note(`${signal}: cleaning up`);
    for (const child of live) child.kill('SIGTERM');
    void cleanup().finally(() => process.exit(130));
  });
}

let exitCode = 1;
try {
  const opts = parseArgs(process.argv.slice(2), IDS, ROOT);
  if (opts === 'help') {
    process.stdout.write(usage(IDS));
    exitCode = 0;
  } else exitCode = await main(opts);
} catch (error) {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
  exitCode = 1;
} finally {
  for (const child of live) child.kill('SIGTERM');
  await cleanup();
}
process.exit(exitCode);
