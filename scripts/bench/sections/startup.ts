/** 6. The bundle's size and node's start-up time to the first input error. */
import fs from 'node:fs';
import path from 'node:path';
import { actionDefaults, type Bench } from '../harness.js';
import { note, run } from '../process.js';
import { bytes, median, msec, type Table } from '../report.js';
import type { Section } from '../section.js';

function size(dir: string): number {
  let total = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const f = path.join(dir, e.name);
    total += e.isDirectory() ? size(f) : fs.statSync(f).size;
  }
  return total;
}

async function measure(b: Bench, t: Table): Promise<void> {
  note('6. dist size and start-up');
  const dir = fs.mkdtempSync(path.join(b.work, 'startup-'));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/root',
    GITHUB_ACTIONS: 'true',
    GITHUB_STATE: path.join(dir, 'state'),
    GITHUB_OUTPUT: path.join(dir, 'output'),
    GITHUB_STEP_SUMMARY: path.join(dir, 'summary'),
    RUNNER_TEMP: path.join(dir, 'temp'),
    GITHUB_WORKSPACE: dir
  };
  for (const [name, value] of Object.entries({
    ...actionDefaults(),
    images: b.repo('startup'),
    platforms: 'linux/amd46'
  }))
    env[`INPUT_${name.toUpperCase()}`] = value;
  const n = Math.max(b.opts.runs, 10);
  const toExit: number[] = [];
  const toError: number[] = [];
  const bareNode: number[] = [];
  let message = '';
  for (let i = 0; i < n + 1; i++) {
    for (const f of ['state', 'output', 'summary']) fs.writeFileSync(path.join(dir, f), '');
    const r = await run(process.execPath, [b.dist], { cwd: dir, env, check: false });
    const err = r.lines.find((l) => l.text.startsWith('::error'));
    if (r.code !== 1 || !err || !/amd46/.test(err.text))
      throw new Error(
        `start-up probe: expected exit 1 with an error naming linux/amd46, got exit ${r.code}:\n${r.stdout}${r.stderr}`
      );
    message = err.text;
    const nodeOnly = await run(process.execPath, ['-e', ''], { cwd: dir });
    if (i === 0) continue; // the first of each warms the page cache
    toExit.push(r.ms);
    toError.push(err.t);
    bareNode.push(nodeOnly.ms);
  }

  t.header('6. The bundle');
  t.single('dist/index.js', bytes(fs.statSync(b.dist).size));
  t.single('dist/ (all files)', bytes(size(b.distCopy)));
  t.row(
    '`node dist/index.js` to exit, INPUT_PLATFORMS=linux/amd46 (fails in input validation)',
    toExit,
    msec,
    `the first run (page cache) left out; error: ${message.length > 100 ? `${message.slice(0, 100)}…` : message}`
  );
  t.row('… to the `::error::` line reaching the bench', toError, msec);
  t.row('`node -e ""` (node itself, for comparison)', bareNode, msec);
  t.single('bundle load to first error: median(dist) − median(node -e "")', msec(median(toExit) - median(bareNode)));
}

export const startup: Section = { id: '6', run: measure };
