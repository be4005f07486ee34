/** 5. The merge step (mode merge) for 2 and 4 platforms, the legs built first by mode platform runs. */
import fs from 'node:fs';
import path from 'node:path';
import { copyDir, FIXTURES, type Bench } from '../harness.js';
import { groupTimes } from '../logs.js';
import { allOrFirstError, note } from '../process.js';
import { median, sec, times, type Table } from '../report.js';
import type { Section } from '../section.js';

async function measure(b: Bench, t: Table): Promise<void> {
  // linux/386: the base image has amd64, arm64 and arm/v7 only, so that leg builds a FROM scratch
  // fixture; our builder runs 386 natively (linux/arm/v6 under QEMU is the fall-back).
  const fourth = b.builderPlatforms.includes('linux/386') ? 'linux/386' : 'linux/arm/v6';
  const scratch = path.join(b.work, 'ws-merge-scratch');
  fs.mkdirSync(scratch, { recursive: true });
  fs.writeFileSync(
    path.join(scratch, 'Dockerfile'),
    '# No base image serves this platform: a FROM scratch leg.\nFROM scratch\nCOPY app.txt /app.txt\n'
  );
  fs.writeFileSync(path.join(scratch, 'app.txt'), `hello from ${fourth}\n`);
  const arch = copyDir(path.join(FIXTURES, 'arch'), path.join(b.work, 'ws-merge-arch'));
  const image = b.repo('merge');
  const sha = b.sha();
  const runId = '5001';
  const leg = (p: string) =>
    b.attempt(`merge: leg ${p}`, () =>
      b.action(
        { ...b.common, mode: 'platform', images: image, platforms: p },
        { workspace: p === fourth ? scratch : arch, sha, runId, label: `merge: leg ${p}` }
      )
    );
  note(`5. merge: building the legs linux/amd64, linux/arm64, linux/arm/v7, ${fourth}`);
  await allOrFirstError([leg('linux/amd64'), leg('linux/arm64')]);
  await allOrFirstError([leg('linux/arm/v7'), leg(fourth)]);
  const sets: Record<2 | 4, string> = {
    2: 'linux/amd64,linux/arm64',
    4: `linux/amd64,linux/arm64,linux/arm/v7,${fourth}`
  };
  const out: Record<2 | 4, { ms: number[]; phases: Array<Record<string, number>> }> = {
    2: { ms: [], phases: [] },
    4: { ms: [], phases: [] }
  };
  for (let i = 0; i < b.opts.runs; i++) {
    for (const n of i % 2 === 0 ? ([2, 4] as const) : ([4, 2] as const)) {
      // A merge job needs no builder: it is given none (with the builder input it would bootstrap it).
      const r = await b.attempt(`merge ${n} platforms run ${i + 1}`, () =>
        b.action(
          { mode: 'merge', images: image, platforms: sets[n] },
          { workspace: arch, sha, runId, label: `merge ${n} platforms run ${i + 1}` }
        )
      );
      const got = Object.keys(JSON.parse(r.outputs['platform-digests'] || '{}') as Record<string, string>);
      if (got.length !== n) throw new Error(`merge of ${n} platforms published ${got.join(', ') || 'nothing'}`);
      out[n].ms.push(r.ms);
      out[n].phases.push(groupTimes(r));
    }
    note(`5. merge run ${i + 1}/${b.opts.runs}: 2 platforms ${sec(out[2].ms[i])}, 4 platforms ${sec(out[4].ms[i])}`);
  }

  t.header(`5. Merge step (mode merge; legs built first by mode platform runs; ${fourth} from a FROM scratch fixture)`);
  t.row('merge of 2 platforms (linux/amd64, linux/arm64), wall', out[2].ms, sec);
  t.row(`merge of 4 platforms (+ linux/arm/v7, ${fourth}), wall`, out[4].ms, sec);
  t.single('ratio: 4 / 2 platforms (medians)', times(median(out[4].ms) / median(out[2].ms)));
  t.phaseRows(out[2].phases, '↳ merge 2, phase: ');
  t.phaseRows(out[4].phases, '↳ merge 4, phase: ');
}

export const merge: Section = { id: '5', run: measure };
