/**
 * 7. Multi-node builds (`nodes`) on the stack's own single-platform nodes (scripts/stack.sh: amd64
 * and 386, both native here): amd64 + 386 on two nodes against both on one node, each platform's
 * build and the merge's own cost, and the second-run cached steps per platform of per-platform
 * refs against one `buildx build` over the same two nodes with one shared ref. It prunes those two
 * nodes: run it while nothing else uses them.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Bench } from '../harness.js';
import { nodeGroupsCached, perPlatformCached, summaryPhases } from '../logs.js';
import { note, run } from '../process.js';
import { count, median, sec, times, type Table } from '../report.js';
import type { Section } from '../section.js';

/** Two CPU-bound steps a platform; the nonce keeps every run out of the cache. Section 8 builds it too. */
export function cpuBoundDockerfile(base: string, nonce: string, loops = 1_000_000): string {
  return (
    `FROM ${base}\nRUN echo ${nonce} >/nonce\n` +
    `RUN i=0; while [ $i -lt ${loops} ]; do i=$((i+1)); done; echo $i >/count\n` +
    `RUN j=0; while [ $j -lt ${loops} ]; do j=$((j+1)); done; uname -m >/arch\n`
  );
}

const PLATFORMS = ['linux/amd64', 'linux/386'];
type Layout = 'two nodes' | 'one node';
const VARIANTS = ['per-platform refs (nodes)', 'one shared ref (one buildx build)'] as const;

async function measure(b: Bench, t: Table): Promise<void> {
  const sockets = b.stack.nodes ?? {};
  const base = b.stack.nodesBaseImage;
  if (!sockets.amd64 || !sockets['386'] || !base) {
    note('7. nodes: skipped (env.json lists no amd64/386 nodes or no nodesBaseImage: run bash scripts/stack.sh up)');
    return;
  }
  const pruneNodes = () =>
    Promise.all(
      [sockets.amd64, sockets['386']].map((s) =>
        run(b.buildctl, ['--addr', s, 'prune', '--all'], { label: 'buildctl prune --all (node)' })
      )
    );
  const ws = path.join(b.work, 'ws-nodes');
  fs.mkdirSync(ws, { recursive: true });
  const layouts: Record<Layout, string> = {
    'two nodes': `linux/amd64=${sockets.amd64}\nlinux/386=${sockets['386']}`,
    'one node': `linux/amd64,linux/386=${sockets['386']}`
  };
  const wall: Record<Layout, number[]> = { 'two nodes': [], 'one node': [] };
  const phases: Record<string, number[]> = {};
  for (let i = 0; i < b.opts.runs; i++) {
    for (const layout of i % 2 === 0 ? (['two nodes', 'one node'] as const) : (['one node', 'two nodes'] as const)) {
      const r = await b.attempt(`nodes ${layout} run ${i + 1}`, async (k) => {
        const nonce = `${layout.replace(' ', '-')}-${i}-${k}-${randomBytes(4).toString('hex')}`;
        fs.writeFileSync(path.join(ws, 'Dockerfile'), cpuBoundDockerfile(base, nonce));
        await pruneNodes();
        const image = b.repo(`nodes-${layout.replace(' ', '-')}-${i}-${k}`);
        const res = await b.action(
          { images: image, platforms: PLATFORMS.join(','), nodes: layouts[layout], cache: 'false' },
          { workspace: ws, sha: b.sha(), runId: `7${i}${k}`, label: `nodes ${layout} run ${i + 1}` }
        );
        await b.post(res, ws);
        return res;
      });
      wall[layout].push(r.ms);
      if (layout === 'two nodes')
        for (const [name, ms] of Object.entries(summaryPhases(r.summary)))
          if (/^Build |^Publish/.test(name)) (phases[name] ??= []).push(ms);
      note(`7. nodes ${layout} run ${i + 1}/${b.opts.runs}: ${sec(r.ms)}`);
    }
  }

  // Second-run cached steps: the action's per-platform refs against one buildx build, one shared ref.
  const builderName = `bench-nodes-${b.id}`;
  const create = ['buildx', 'create', '--name', builderName, '--driver', 'remote'];
  await run('docker', [...create, '--platform', 'linux/amd64', '--node', 'na', sockets.amd64]);
  b.cleanup(() => run('docker', ['buildx', 'rm', '--force', builderName], { check: false }));
  await run('docker', [...create, '--append', '--platform', 'linux/386', '--node', 'nc', sockets['386']]);
  const cached = {} as Record<(typeof VARIANTS)[number], { steps: Record<string, number[]>; total: number }>;
  for (const variant of VARIANTS) {
    const c: { steps: Record<string, number[]>; total: number } = {
      steps: { 'linux/amd64': [], 'linux/386': [] },
      total: 0
    };
    cached[variant] = c;
    const perPlatform = variant.startsWith('per');
    for (let i = 0; i < b.opts.runs; i++) {
      const got = await b.attempt(`nodes cache ${variant} run ${i + 1}`, async (k) => {
        fs.writeFileSync(
          path.join(ws, 'Dockerfile'),
          cpuBoundDockerfile(base, `cache-${i}-${k}-${randomBytes(4).toString('hex')}`)
        );
        const image = b.repo(`nodes-cache-${perPlatform ? 'per' : 'shared'}-${i}-${k}`);
        const once = async (n: number) => {
          await pruneNodes();
          if (perPlatform) {
            const res = await b.action(
              { images: image, platforms: PLATFORMS.join(','), nodes: layouts['two nodes'] },
              {
                workspace: ws,
                sha: b.sha(),
                runId: `75${i}${k}${n}`,
                label: `nodes cache per-platform run ${i + 1}.${n}`
              }
            );
            await b.post(res, ws);
            return nodeGroupsCached(res.lines);
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
              PLATFORMS.join(','),
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
      for (const p of PLATFORMS) c.steps[p].push(got[p]?.cached ?? 0);
      c.total = Math.max(c.total, got['linux/amd64']?.total ?? 0);
      note(
        `7. nodes cache ${variant} run ${i + 1}: ${PLATFORMS.map((p) => `${p} ${got[p]?.cached}/${got[p]?.total}`).join(', ')}`
      );
    }
  }

  t.header('7. Multi-node builds (nodes): linux/amd64 + linux/386, two CPU-bound RUN steps, no cache');
  t.row('two nodes (one per platform): action wall', wall['two nodes'], sec, 'each platform on its own buildkitd');
  t.row('one node (declaring both): action wall', wall['one node'], sec, 'the same two builds, one buildkitd');
  t.single(
    'wall ratio one node / two nodes (medians)',
    times(median(wall['one node']) / median(wall['two nodes'])),
    '2 cores here: one daemon runs both platforms in parallel too'
  );
  for (const [name, values] of Object.entries(phases))
    t.row(
      `two nodes: ${name}`,
      values,
      sec,
      /^Publish/.test(name)
        ? 'the merge: imagetools create of the two digests, tags last'
        : 'from the job summary (0.1 s)'
    );
  for (const [variant, c] of Object.entries(cached))
    for (const p of PLATFORMS)
      t.row(
        `second run after pruning both nodes, ${variant}: ${p} steps from cache (of ${c.total})`,
        c.steps[p],
        count
      );
}

export const nodes: Section = { id: '7', run: measure };
