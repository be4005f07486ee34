/** 2. The ephemeral-runner rebuild: a cold build against a rebuild after `prune --all`, one source line changed. */
import fs from 'node:fs';
import path from 'node:path';
import { copyDir, FIXTURES, type Bench } from '../harness.js';
import { cachedSteps, type CachedSteps } from '../logs.js';
import { note } from '../process.js';
import { max, median, sec, times, type Table } from '../report.js';
import type { Section } from '../section.js';

async function measure(b: Bench, t: Table): Promise<void> {
  const cold: number[] = [];
  const warm: number[] = [];
  const warmCached: CachedSteps[] = [];
  for (let i = 0; i < b.opts.runs; i++) {
    // A failed cold build or rebuild starts the pair again from a fresh repository and workspace.
    const [c, r] = await b.attempt(`cold build + rebuild ${i + 1}`, async (k) => {
      const workspace = copyDir(path.join(FIXTURES, 'cache'), path.join(b.work, `ws-rebuild-${i}-${k}`));
      const inputs = { ...b.common, images: b.repo(`rebuild-${i}-${k}`), platforms: 'linux/amd64,linux/arm64' };
      const again = k ? ` (attempt ${k + 1})` : '';
      await b.prune();
      const coldRun = await b.action(inputs, {
        workspace,
        sha: b.sha(),
        runId: `2${i}${k}1`,
        label: `cold build ${i + 1}${again}`
      });
      fs.writeFileSync(path.join(workspace, 'changing.txt'), `version 2 (bench run ${i + 1})\n`);
      await b.prune();
      const rebuilt = await b.action(inputs, {
        workspace,
        sha: b.sha(),
        runId: `2${i}${k}2`,
        label: `rebuild ${i + 1}${again}`
      });
      return [coldRun, rebuilt];
    });
    cold.push(c.ms);
    warm.push(r.ms);
    const cached = cachedSteps(r.lines);
    warmCached.push(cached);
    note(
      `2. rebuild run ${i + 1}/${b.opts.runs}: cold ${sec(c.ms)}, rebuild ${sec(r.ms)} (${cached.cached}/${cached.total} steps CACHED)`
    );
  }
  t.header('2. Ephemeral-runner rebuild (cache fixture, linux/amd64 + linux/arm64)');
  t.row('cold build: fresh repo, empty BuildKit state', cold, sec);
  t.row(
    'rebuild: `buildctl prune --all`, registry cache, changing.txt edited',
    warm,
    sec,
    `cached steps ${median(warmCached.map((c) => c.cached))} of ${max(warmCached.map((c) => c.total))} (median; both platforms; 6 at most: FROM is pulled, the last 2 of each follow changing.txt); marked CACHED in the log: ${median(warmCached.map((c) => c.marked))}`
  );
  t.single('ratio: rebuild / cold (medians)', times(median(warm) / median(cold)));
}

export const rebuild: Section = { id: '2', run: measure };
