/** 4. QEMU set-up time, all native against one emulated platform. */
import path from 'node:path';
import { copyDir, FIXTURES, type Bench } from '../harness.js';
import { groupText, groupTimes, summaryPhases } from '../logs.js';
import { note } from '../process.js';
import { msec, sec1, type Table } from '../report.js';
import type { Section } from '../section.js';

type Kind = 'native' | 'emulated';
const SETS: Record<Kind, string> = { native: 'linux/amd64', emulated: 'linux/amd64,linux/arm64' };

async function measure(b: Bench, t: Table): Promise<void> {
  const workspace = copyDir(path.join(FIXTURES, 'arch'), path.join(b.work, 'ws-qemu'));
  const sha = b.sha();
  const out: Record<Kind, { summary: number[]; group: number[]; said: string }> = {
    native: { summary: [], group: [], said: '' },
    emulated: { summary: [], group: [], said: '' }
  };
  const once = async (kind: Kind, label: string) => {
    const r = await b.attempt(label, () =>
      b.action(
        { ...b.common, images: b.repo(`qemu-${kind}`), platforms: SETS[kind] },
        { workspace, sha, runId: '1004', label }
      )
    );
    return { r, said: groupText(r.lines, 'QEMU').join(' / ') };
  };
  note('4. QEMU: warm-up');
  await once('native', 'qemu warm-up (native)');
  await once('emulated', 'qemu warm-up (emulated)');
  for (let i = 0; i < b.opts.runs; i++) {
    for (const kind of i % 2 === 0 ? (['native', 'emulated'] as const) : (['emulated', 'native'] as const)) {
      const { r, said } = await once(kind, `qemu ${kind} run ${i + 1}`);
      const s = summaryPhases(r.summary).QEMU;
      if (s === undefined) throw new Error(`no "| QEMU | … |" row in the job summary:\n${r.summary}`);
      out[kind].summary.push(s);
      out[kind].group.push(groupTimes(r).QEMU);
      out[kind].said = said;
    }
    note(`4. QEMU run ${i + 1}/${b.opts.runs}`);
  }

  t.header('4. QEMU set-up (qemu: host; handlers already registered on this machine, so this measures the check)');
  t.row(
    'all native (linux/amd64): `| QEMU |` from GITHUB_STEP_SUMMARY',
    out.native.summary,
    sec1,
    `aim: zero. Action said: “${out.native.said}”`
  );
  t.row(
    'all native (linux/amd64): QEMU log group, ms timing',
    out.native.group,
    msec,
    'from ::group::QEMU to ::endgroup:: as they reached the bench'
  );
  t.row(
    'one emulated (linux/amd64 + linux/arm64): `| QEMU |` from GITHUB_STEP_SUMMARY',
    out.emulated.summary,
    sec1,
    `Action said: “${out.emulated.said}”`
  );
  t.row('one emulated (linux/amd64 + linux/arm64): QEMU log group, ms timing', out.emulated.group, msec);
}

export const qemu: Section = { id: '4', run: measure };
