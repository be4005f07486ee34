/**
 * 9. The cache backends side by side on one multi-stage project: the registry cache and the GitHub
 * Actions cache (the stack's v2 stand-in, blobs in Azurite), each with mode=max and mode=min: cold
 * and warm (after `prune --all`, one source line changed) wall time, the steps served from the
 * cache on the wiped builder, and the seconds of the cache export. gha runs get a token of a cache
 * repository of their own on the stand-in, so no run finds another's entries.
 */
import fs from 'node:fs';
import path from 'node:path';
import { copyDir, FIXTURES, type Bench } from '../harness.js';
import { cachedSteps, vertexSeconds } from '../logs.js';
import { note } from '../process.js';
import { count, sec, type Table } from '../report.js';
import type { Section } from '../section.js';

// Where the edited file is copied decides what a wiped builder can get back: after the final
// stage's COPY --from (the final image holds all it needs), or inside the build stage, after its
// slow RUN (whose layer only mode=max exports: the final image does not hold it).
const PROJECTS: Record<string, string> = {
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

async function measure(b: Bench, t: Table): Promise<void> {
  const ac = b.stack.actionsCache;
  if (!ac?.mintUrl) {
    note('9. cache backends: skipped (env.json has no actionsCache: run bash scripts/stack.sh up)');
    return;
  }
  const token = async (repositoryId: string): Promise<string> => {
    const res = await fetch(ac.mintUrl, {
      method: 'POST',
      body: JSON.stringify({ repositoryId, scopes: [{ scope: 'refs/heads/main', permission: 3 }] })
    });
    if (!res.ok) throw new Error(`minting an Actions cache token: ${res.status}`);
    return ((await res.json()) as { token: string }).token;
  };
  interface Measured {
    cold: number[];
    warm: number[];
    exported: number[];
    served: number[];
    total: number;
    project: string;
  }
  const out: Record<string, Measured> = {};
  for (const [project, dockerfile] of Object.entries(PROJECTS))
    for (const backend of ['registry', 'gha'])
      for (const mode of ['max', 'min']) {
        const key = `${project}: ${backend}, mode=${mode}`;
        const v: Measured = { cold: [], warm: [], exported: [], served: [], total: 0, project };
        out[key] = v;
        for (let i = 0; i < b.opts.runs; i++) {
          const [c, w] = await b.attempt(`9. ${key} run ${i + 1}`, async (k) => {
            const tag = `${project.split(' ')[0]}-${backend}-${mode}-${i}-${k}`;
            const workspace = copyDir(path.join(FIXTURES, 'cache'), path.join(b.work, `ws-backends-${tag}`));
            fs.writeFileSync(path.join(workspace, 'Dockerfile'), dockerfile);
            fs.appendFileSync(path.join(workspace, 'stable.txt'), `${b.id} ${tag}\n`);
            const image = b.repo(`backends-${tag}`);
            const env: Record<string, string> =
              backend === 'gha'
                ? {
                    ACTIONS_RUNTIME_TOKEN: await token(`bench-${b.id}-${tag}`),
                    ACTIONS_RESULTS_URL: ac.resultsUrl,
                    ACTIONS_CACHE_SERVICE_V2: 'True'
                  }
                : {};
            // mode=max is what `cache` plans; mode=min is the same cache given by hand.
            const ref = `${image}:buildcache`;
            const cache: Record<string, string> =
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
            const inputs = { ...b.common, images: image, platforms: 'linux/amd64,linux/arm64', ...cache };
            const step = (n: number, what: string) => ({
              workspace,
              sha: b.sha(),
              runId: `9${i}${k}${n}`,
              label: `9. ${key} ${what} ${i + 1}`,
              env
            });
            await b.prune();
            const cold = await b.action(inputs, step(1, 'cold'));
            fs.writeFileSync(path.join(workspace, 'changing.txt'), `changed (bench run ${i + 1})\n`);
            await b.prune();
            return [cold, await b.action(inputs, step(2, 'warm'))];
          });
          const served = cachedSteps(w.lines);
          v.cold.push(c.ms);
          v.warm.push(w.ms);
          // `#N exporting cache to registry` / `#N exporting to GitHub Actions Cache`, then `#N DONE 1.2s`.
          v.exported.push(
            vertexSeconds(c.lines, /^(?:exporting cache to registry|exporting to GitHub Actions Cache)$/)
          );
          v.served.push(served.cached);
          v.total = Math.max(v.total, served.total);
          note(
            `9. ${key} run ${i + 1}/${b.opts.runs}: cold ${sec(c.ms)}, warm ${sec(w.ms)}, ${served.cached}/${served.total} steps from the cache`
          );
        }
      }

  t.header(
    '9. Cache backends: registry and gha (the stack’s v2 stand-in), mode=max and mode=min; two-stage projects, linux/amd64 + linux/arm64'
  );
  for (const [key, v] of Object.entries(out)) {
    t.row(`${key}: cold build, wall`, v.cold, sec);
    t.row(`${key}: warm build after \`prune --all\`, changing.txt edited, wall`, v.warm, sec);
    t.row(
      `${key}: steps served from the cache on the wiped builder`,
      v.served,
      count,
      `of ${v.total} (both platforms; ${v.project === 'final stage changes' ? '6 at most: FROM is pulled, the last 2 of each follow changing.txt' : '4 at most: FROM is pulled, the last 3 of each follow changing.txt'})`
    );
    t.row(
      `${key}: cache export of the cold build, seconds`,
      v.exported,
      (x) => (Number.isFinite(x) ? `${x.toFixed(1)} s` : '-'),
      'the export vertex’s DONE time'
    );
  }
}

export const cacheBackends: Section = { id: '9', run: measure };
