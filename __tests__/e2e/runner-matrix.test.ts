/**
 * `--mode matrix` through the bundled command line: nothing is built, the matrix is printed and
 * written to both output files; a bad `--runners` line is refused naming the flag.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from './support/cli.js';
import { waitForStack } from './support/stack.js';

const stack = await waitForStack();
if (!stack.ok) console.log(`skipping the matrix mode tests: ${stack.reason}`);
const describeStack = stack.ok ? describe : describe.skip;

describeStack('--mode matrix', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'e2e-matrix-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('the default map, a user runner with a label list, and QEMU named for the platform with no runner', async () => {
    const run = await runCli(
      [
        '--mode',
        'matrix',
        '--platforms',
        'linux/amd64,linux/arm64,linux/riscv64,linux/s390x',
        '--runners',
        'linux/s390x=self-hosted,s390x',
        '--output-file',
        path.join(dir, 'outputs.json'),
        '--outputs-file',
        path.join(dir, 'outputs.env')
      ],
      dir
    );
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    const matrix =
      '{"include":[{"platform":"linux/amd64","runner":"ubuntu-24.04"},{"platform":"linux/arm64","runner":"ubuntu-24.04-arm"},' +
      '{"platform":"linux/riscv64","runner":"ubuntu-24.04"},{"platform":"linux/s390x","runner":["self-hosted","s390x"]}]}';
    expect(run.stdout).toContain('linux/riscv64 → ubuntu-24.04 (no native runner: built under QEMU)');
    expect(run.stdout).toContain('linux/s390x → [self-hosted, s390x] (from runners)');
    expect(run.stdout).toContain(`Result\n  matrix  ${matrix}\n`);
    // Nothing was built: no build phase, no builder.
    expect(run.stdout).not.toMatch(/^▶ (Build|Builder)/m);
    expect(JSON.parse(readFileSync(path.join(dir, 'outputs.json'), 'utf8'))).toEqual({ matrix });
    expect(readFileSync(path.join(dir, 'outputs.env'), 'utf8')).toBe(`MULTIARCH_MATRIX=${matrix}\n`);
  });

  test('a runners line without a runner is refused, naming the flag, before anything runs', async () => {
    const run = await runCli(['--mode', 'matrix', '--runners', 'linux/s390x'], dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^multiarch-publish: --runners: "linux\/s390x" is not accepted; expected one PLATFORM=RUNNER a line/
    );
    expect(run.stdout).not.toContain('Result');
  });
});
