/**
 * 8. Nodes as separate machines: two buildkitd of our own, each pinned to its own core (taskset),
 * one per platform, against one buildkitd pinned to one core declaring both, on the same CPU-bound
 * linux/amd64 + linux/386 build (both native here).
 *
 * Pinning alone does not make two machines of two shared cores: the other jobs on this machine
 * still run on both, and the fair scheduler gives a core's time per runnable thread, so one daemon
 * running two builds on core 0 gets a larger share of it than one build gets of each core. So every
 * layout is measured twice: at the default CPU weight, and with the daemons and their RUN steps in
 * a cgroup of the highest `cpu.shares` (cgroup v1), where the other jobs on that core wait while a
 * build step runs: each core then is as near to a machine of its own as this host allows.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Bench } from '../harness.js';
import { summaryPhases } from '../logs.js';
import { note } from '../process.js';
import { median, sec, times, type Table } from '../report.js';
import type { Section } from '../section.js';
import { cpuBoundDockerfile } from './nodes.js';

const CPU_CGROUP = '/sys/fs/cgroup/cpu';
/**
 * Each step eight times section 7's: a run has about 5 s of fixed cost here (containers, export,
 * push), which at 3,000,000 loops held the two-node ratio at 0.64× even with the other jobs held back.
 */
const LOOPS = 8_000_000;
type Layout = 'two' | 'one';
type Weight = 'default weight' | 'highest weight';

/** A cgroup (v1 cpu) of the highest weight for RUN steps, removed at the end; undefined when there is no cpu controller. */
function heavyCgroup(b: Bench, name: string): string | undefined {
  if (!fs.existsSync(path.join(CPU_CGROUP, 'cpu.shares'))) return undefined;
  const rel = `multiarch-bench-${b.id}-${name}`;
  const dir = path.join(CPU_CGROUP, rel);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'cpu.shares'), '262144');
  // Registered before the daemon starts, so it runs after the daemon (and its containers) stop.
  b.cleanup(() => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }))
      if (e.isDirectory()) fs.rmdirSync(path.join(dir, e.name));
    fs.rmdirSync(dir);
  });
  return rel;
}

async function measure(b: Bench, t: Table): Promise<void> {
  const base = b.stack.nodesBaseImage;
  if (!base) {
    note('8. pinned nodes: skipped (env.json names no nodesBaseImage: run bash scripts/stack.sh up)');
    return;
  }
  if (os.cpus().length < 2) {
    note('8. pinned nodes: skipped (one CPU: nothing to pin two nodes to)');
    return;
  }
  const weights: Weight[] = ['default weight'];
  const layouts = {} as Record<Weight, Record<Layout, string>>;
  const start = async (weight: Weight) => {
    const tag = weight === 'default weight' ? 'w' : 'h';
    const oci = (name: string): string[] => {
      if (weight === 'default weight') return [];
      const group = heavyCgroup(b, `${tag}-${name}`);
      if (!group) throw new Error(`no cgroup v1 cpu controller at ${CPU_CGROUP}`);
      return [`defaultCgroupParent = "${group}"`];
    };
    const amd64 = await b.startBuildkitd(`pinned-${tag}-amd64`, {
      cpus: '0',
      platforms: ['linux/amd64'],
      ociConfig: oci('core0')
    });
    const i386 = await b.startBuildkitd(`pinned-${tag}-386`, {
      cpus: '1',
      platforms: ['linux/386'],
      ociConfig: oci('core1')
    });
    const both = await b.startBuildkitd(`pinned-${tag}-both`, {
      cpus: '0',
      platforms: ['linux/amd64', 'linux/386'],
      ociConfig: oci('both')
    });
    layouts[weight] = { two: `linux/amd64=${amd64}\nlinux/386=${i386}`, one: `linux/amd64,linux/386=${both}` };
  };
  await start('default weight');
  if (fs.existsSync(path.join(CPU_CGROUP, 'cpu.shares'))) {
    await start('highest weight');
    weights.push('highest weight');
  } else note(`8. pinned nodes: no cgroup v1 cpu controller at ${CPU_CGROUP}: default weight only`);

  const ws = path.join(b.work, 'ws-pinned');
  fs.mkdirSync(ws, { recursive: true });
  const out = {} as Record<Weight, Record<Layout, { wall: number[]; build: number[] }>>;
  for (const weight of weights) out[weight] = { two: { wall: [], build: [] }, one: { wall: [], build: [] } };
  for (let i = 0; i < b.opts.runs; i++) {
    for (const weight of weights)
      for (const layout of i % 2 === 0 ? (['two', 'one'] as const) : (['one', 'two'] as const)) {
        const label = `pinned ${weight} ${layout} run ${i + 1}`;
        const r = await b.attempt(label, async (k) => {
          const nonce = `${weight.split(' ')[0]}-${layout}-${i}-${k}-${randomBytes(4).toString('hex')}`;
          fs.writeFileSync(path.join(ws, 'Dockerfile'), cpuBoundDockerfile(base, nonce, LOOPS));
          const res = await b.action(
            {
              images: b.repo(`pinned-${weight.split(' ')[0]}-${layout}-${i}-${k}`),
              platforms: 'linux/amd64,linux/386',
              nodes: layouts[weight][layout],
              cache: 'false'
            },
            { workspace: ws, sha: b.sha(), runId: `8${i}${k}`, label }
          );
          await b.post(res, ws);
          return res;
        });
        // The build phases of the job summary: the longest, since the platforms build at once.
        const builds = Object.entries(summaryPhases(r.summary))
          .filter(([name]) => /^Build/.test(name))
          .map(([, ms]) => ms);
        out[weight][layout].wall.push(r.ms);
        out[weight][layout].build.push(builds.length ? Math.max(...builds) : NaN);
        note(`8. ${label}/${b.opts.runs}: ${sec(r.ms)}`);
      }
  }

  t.header(
    `8. Nodes as separate machines: each buildkitd pinned to its own core (taskset), linux/amd64 + linux/386, two CPU-bound RUN steps of ${LOOPS.toLocaleString('en-US')} shell loops, no cache`
  );
  for (const weight of weights) {
    const o = out[weight];
    const how =
      weight === 'default weight'
        ? 'default CPU weight: the other jobs on the machine share both cores'
        : 'RUN steps at the highest cgroup cpu.shares: the other jobs wait while a step runs';
    t.row(`${weight}: two nodes, one per platform, on core 0 and core 1: action wall`, o.two.wall, sec, how);
    t.row(`${weight}: one buildkitd on core 0, both platforms: action wall`, o.one.wall, sec);
    t.single(
      `${weight}: wall ratio two nodes / one node (medians)`,
      times(median(o.two.wall) / median(o.one.wall)),
      'goal: at most 0.60×'
    );
    t.row(`${weight}: two nodes: longest build phase (job summary)`, o.two.build, sec);
    t.row(`${weight}: one node: build phase (job summary)`, o.one.build, sec);
    t.single(
      `${weight}: build-phase ratio two nodes / one node (medians)`,
      times(median(o.two.build) / median(o.one.build)),
      'the builds alone: without set-up, merge and push'
    );
  }
}

export const pinned: Section = { id: '8', run: measure };
