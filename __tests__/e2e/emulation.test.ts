/**
 * The emulation report on the real stack: a RUN step that keeps the CPU busy runs under QEMU for
 * linux/arm64 on this amd64 machine. The job summary then charts every platform's steps (a
 * Mermaid gantt, a section per platform), lists that step with its Dockerfile line, seconds and
 * share of the wall time, and hints at cross-compiling; the log and the command line print the
 * same table. A native-only build gets the chart and no hint.
 */
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { waitForStack, type StackEnv } from './support/stack.js';
import { expectSucceeded, FIXTURES, log, pushEvent, randomSha, uniqueRepo, useHarness } from './support/harness.js';
import { BUILD_TIMEOUT_MS, CLI, gitIn, runCli, stackFlags } from './support/cli.js';

const CASE_TIMEOUT_MS = 300_000;
const stack = await waitForStack();
if (!stack.ok) console.log(`skipping the emulation report end-to-end tests: ${stack.reason}`);
const describeStack = stack.ok ? describe : describe.skip;

/** The fixture's busy step (Dockerfile:6, in the stage whose FROM is Dockerfile:4), as BuildKit names it. */
const BUSY = /RUN echo "[0-9a-f]+" > \/nonce && i=0 && while \[ \$i -lt 60000 \]; do i=\$\(\(i\+1\)\); done/;

/** The lines of the summary's gantt chart under `section PLATFORM`, up to the next section or the fence. */
function section(summary: string, platform: string): string[] {
  const lines = summary.split('\n');
  const start = lines.indexOf(`  section ${platform}`);
  if (start < 0) return [];
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((l) => l.startsWith('  section ') || l === '```');
  return rest.slice(0, end < 0 ? rest.length : end);
}

/** The Dockerfile lines the chart's bars name (`  L6 RUN …`), sorted. */
function lineNumbers(bars: string[]): string[] {
  return bars.map((l) => l.trim().split(' ')[0]).sort();
}

describeStack('the emulation report', () => {
  const env = stack.ok ? stack.env : ({} as StackEnv);
  const h = useHarness(env, 'emulation');
  // A fresh nonce a run: the busy step is never served from BuildKit's cache.
  const nonce = () => randomBytes(6).toString('hex');

  test(
    'linux/arm64 under QEMU: the summary charts both platforms, lists the busy step and hints at cross-compiling',
    async () => {
      const image = `${env.registry}/${uniqueRepo('emulation')}`;
      const result = await h.main('two platforms, arm64 emulated', {
        workspace: h.workspace('emulated'),
        inputs: h.inputs(image, {
          platforms: 'linux/amd64,linux/arm64',
          'build-args': `BASE=${env.baseImage}\nNONCE=${nonce()}`
        }),
        event: pushEvent('refs/heads/main', randomSha()),
        env: { GITHUB_ACTION_REPOSITORY: 'acme/multiarch-publish', GITHUB_ACTION_REF: 'v1' }
      });
      expectSucceeded(result, 'the two-platform build');
      const summary = result.summary;

      expect(summary).toContain('### Where the build time went\n\n```mermaid\ngantt\n  dateFormat x\n');
      const amd64 = section(summary, 'linux/amd64');
      const arm64 = section(summary, 'linux/arm64');
      // FROM, RUN and COPY of each platform, each with its Dockerfile line; only arm64's RUN is red.
      // (In the order they started: a FROM resolved from BuildKit's store may start after the RUN.)
      expect(lineNumbers(amd64)).toEqual(['L4', 'L6', 'L7']);
      expect(lineNumbers(arm64)).toEqual(['L4', 'L6', 'L7']);
      expect(amd64.filter((l) => l.includes(':crit'))).toEqual([]);
      expect(arm64.filter((l) => l.includes(':crit'))).toEqual([
        expect.stringMatching(/^ {2}L6 RUN echo .* :crit, \d+, \d+$/)
      ]);

      const row = summary.split('\n').filter((l) => l.startsWith('| `linux/arm64` | Dockerfile:6 |'));
      expect(row).toEqual([
        expect.stringMatching(/^\| `linux\/arm64` \| Dockerfile:6 \| `RUN echo .*` \| \d+\.\d \| \d+ % \|$/)
      ]);
      expect(summary).not.toContain('| `linux/amd64` | Dockerfile:6 |');

      const hints = summary.split('\n').filter((l) => l.startsWith('> **Hint:**'));
      expect(hints).toHaveLength(1);
      expect(hints[0]).toMatch(
        /^> \*\*Hint:\*\* Dockerfile:6 `RUN echo .*` ran under QEMU for linux\/arm64: \d+\.\d s, \d+ % of the wall time\. /
      );
      expect(hints[0]).toContain('Its stage (FROM at Dockerfile:4) has no `--platform=$BUILDPLATFORM`');
      expect(hints[0]).toContain(
        '[Cross-compile instead of emulating](https://github.com/acme/multiarch-publish/blob/v1/README.md#cross-compile-instead-of-emulating)'
      );

      // The log carries the same table.
      const text = log(result);
      expect(text).toMatch(/build steps: 6 on 2 platform\(s\), \d+\.\d s wall; 1 RUN step\(s\) under emulation/);
      expect(text).toMatch(/ {2}linux\/arm64 +Dockerfile:6 +\d+\.\d +\d+ % +RUN echo /);
      expect(text).toMatch(/hint: Dockerfile:6 `RUN echo .*` ran under QEMU for linux\/arm64/);
      expect(text).toMatch(BUSY);
    },
    CASE_TIMEOUT_MS
  );

  test(
    'native only (linux/amd64): the chart, no emulated step and no hint',
    async () => {
      const image = `${env.registry}/${uniqueRepo('emulation-native')}`;
      const result = await h.main('native only', {
        workspace: h.workspace('emulated'),
        inputs: h.inputs(image, { platforms: 'linux/amd64', 'build-args': `BASE=${env.baseImage}\nNONCE=${nonce()}` }),
        event: pushEvent('refs/heads/main', randomSha())
      });
      expectSucceeded(result, 'the native build');
      expect(lineNumbers(section(result.summary, 'linux/amd64'))).toEqual(['L4', 'L6', 'L7']);
      expect(result.summary).not.toContain('section linux/arm64');
      expect(result.summary).toMatch(/^No RUN step ran under emulation \(\d+\.\d s wall\)\.$/m);
      expect(result.summary).not.toContain(':crit');
      expect(result.summary).not.toContain('Hint');
      expect(log(result)).toMatch(/build steps: 3 on 1 platform\(s\), \d+\.\d s wall; no RUN step ran under emulation/);
      expect(log(result)).not.toContain('hint:');
    },
    CASE_TIMEOUT_MS
  );

  test(
    'the command line prints the same table and hint',
    async () => {
      expect(existsSync(CLI)).toBe(true);
      const dir = mkdtempSync(path.join(os.tmpdir(), 'e2e-emulation-cli-'));
      h.cleanup(() => rmSync(dir, { recursive: true, force: true }));
      cpSync(path.join(FIXTURES, 'projects', 'emulated'), dir, { recursive: true });
      // A checkout, as users run it: the context (commit, branch) comes from git.
      const git = gitIn(dir);
      git('init', '-q');
      git('add', '.');
      git('commit', '-q', '-m', 'fixture');
      const run = await runCli(
        [
          '--images',
          `${env.registry}/${uniqueRepo('emulation-cli')}`,
          '--platforms',
          'linux/amd64,linux/arm64',
          ...stackFlags(env),
          '--build-args',
          `NONCE=${nonce()}`
        ],
        dir
      );
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
      const lines = run.stdout.split('\n');
      const at = lines.findIndex((l) => l.endsWith('slowest emulated steps:'));
      expect(at).toBeGreaterThan(0);
      expect(lines[at + 1]).toMatch(/ {2}Platform +Dockerfile line +Seconds +Share +Step$/);
      expect(lines[at + 2]).toMatch(/ {2}linux\/arm64 +Dockerfile:6 +\d+\.\d +\d+ % +RUN echo /);
      expect(lines[at + 3]).toMatch(
        /hint: Dockerfile:6 `RUN echo .*` ran under QEMU for linux\/arm64: .*Its stage \(FROM at Dockerfile:4\) has no `--platform=\$BUILDPLATFORM`.*\(README: "Cross-compile instead of emulating"\)$/
      );
    },
    BUILD_TIMEOUT_MS
  );
});
