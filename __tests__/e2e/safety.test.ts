/**
 * What a build prints cannot steer the runner, and secrets given by name stay hidden: the bundled
 * action run the runner's way, with a Dockerfile that prints workflow commands (after a bare CR,
 * after CRLF, alone on a line) and the values of a secret-envs variable and a multi-line secret
 * file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { waitForStack } from './support/stack.js';
import { expectSucceeded, uniqueRepo, useHarness } from './support/harness.js';

const CASE_TIMEOUT_MS = 300_000;

const stack = await waitForStack();
if (!stack.ok) console.log(`skipping the safety end-to-end tests: ${stack.reason}`);
const describeStack = stack.ok ? describe : describe.skip;

/** Commands the action itself issues through @actions/core (outputs and state go to files). */
const OURS = new Set(['group', 'endgroup', 'add-mask', 'debug', 'warning', 'error', 'notice']);

/**
 * The lines the runner would read as workflow commands: it ends a line at LF, CRLF or a bare
 * CR, and takes a line whose first non-blank characters are `::` (or the older `##[`).
 */
function commandLines(stdout: string): string[] {
  return stdout.split(/\r\n|\r|\n/).filter((line) => /^\s*(::|##\[)/.test(line));
}

describeStack('safety', () => {
  const env = stack.ok ? stack.env : (undefined as never);
  const h = useHarness(env, 'safety');

  test(
    'a git context URL carrying a token: redacted in the command line, the log, the annotation and the summary',
    async () => {
      const token = `ghs_${randomBytes(12).toString('hex')}`;
      const result = await h.main('a git context with a token', {
        workspace: h.workspace('cache'),
        inputs: h.inputs(`${env.registry}/${uniqueRepo('safety-url')}`, {
          platforms: 'linux/amd64',
          push: 'false',
          retries: '0',
          // Nothing listens on port 9 here: the clone fails at once, and the URL is in every message.
          context: `https://x-access-token:${token}@127.0.0.1:9/acme/app.git#main`
        })
      });
      expect(result.code).not.toBe(0);
      const everything = [result.stdout, result.stderr, result.summary, ...Object.values(result.files)].join('\n');
      expect(everything.includes(token)).toBe(false);
      expect(result.stdout).toMatch(
        /^\[command\] .* build .*https:\/\/xxxxx:xxxxx@127\.0\.0\.1:9\/acme\/app\.git#main/m
      );
    },
    CASE_TIMEOUT_MS
  );

  test(
    'a RUN step that prints each kind of secret and fails: the failure annotation and the summary are masked too',
    async () => {
      const token = `tok-${randomBytes(12).toString('hex')}`;
      const envToken = `env-${randomBytes(12).toString('hex')}`;
      const fileValue = `file-${randomBytes(12).toString('hex')}`;
      const secretDir = mkdtempSync(path.join(os.tmpdir(), 'e2e-safety-failing-'));
      h.cleanup(() => rmSync(secretDir, { recursive: true, force: true }));
      const secretFile = path.join(secretDir, 'key');
      writeFileSync(secretFile, `${fileValue}\n`);
      const workspace = h.workspace('cache');
      writeFileSync(
        path.join(workspace, 'Dockerfile'),
        [
          `FROM ${env.baseImage}`,
          'RUN --mount=type=secret,id=tok --mount=type=secret,id=envtok --mount=type=secret,id=filetok for f in tok envtok filetok; do cat /run/secrets/$f; echo; done >&2; exit 3',
          ''
        ].join('\n')
      );
      const result = await h.main('a failing step that prints secrets', {
        workspace,
        inputs: h.inputs(`${env.registry}/${uniqueRepo('safety-failing')}`, {
          platforms: 'linux/amd64',
          push: 'false',
          'no-cache': 'true',
          secrets: `tok=${token}`,
          'secret-envs': 'envtok=MY_TOKEN',
          'secret-files': `filetok=${secretFile}`
        }),
        env: { MY_TOKEN: envToken }
      });
      expect(result.code).not.toBe(0);
      const errors = commandLines(result.stdout).filter((line) => line.startsWith('::error'));
      expect(errors.length).toBeGreaterThan(0);
      expect(errors.join('\n')).toContain('exit code: 3');
      const everything = [
        ...result.stdout.split('\n').filter((line) => !line.startsWith('::add-mask::')),
        result.stderr,
        result.summary,
        ...Object.values(result.files)
      ].join('\n');
      for (const value of [token, envToken, fileValue])
        expect({ value, found: everything.includes(value) }).toEqual({ value, found: false });
    },
    CASE_TIMEOUT_MS
  );

  test(
    'a RUN step printing workflow commands (after CR, after CRLF, alone) and secret values: nothing obeyed, nothing shown',
    async () => {
      const envToken = `env-${randomBytes(12).toString('hex')}`;
      const fileLines = [`file-one-${randomBytes(8).toString('hex')}`, `file-two-${randomBytes(8).toString('hex')}`];
      const secretDir = mkdtempSync(path.join(os.tmpdir(), 'e2e-safety-secret-'));
      h.cleanup(() => rmSync(secretDir, { recursive: true, force: true }));
      const secretFile = path.join(secretDir, 'key');
      writeFileSync(secretFile, `${fileLines.join('\n')}\n`);

      const workspace = h.workspace('cache');
      writeFileSync(
        path.join(workspace, 'Dockerfile'),
        [
          'ARG BASE',
          'FROM ${BASE}',
          `RUN printf 'progress 50%%\\r::error::injected-cr\\n'`,
          `RUN printf 'progress 60%%\\r\\n::error::injected-crlf\\r\\n'`,
          `RUN echo '::warning::injected-lone'`,
          `RUN echo '##[error]injected-old'`,
          'RUN --mount=type=secret,id=envtok --mount=type=secret,id=filetok cat /run/secrets/envtok /run/secrets/filetok',
          ''
        ].join('\n')
      );
      const image = `${env.registry}/${uniqueRepo('safety')}`;
      const result = await h.main('commands and secrets', {
        workspace,
        inputs: h.inputs(image, {
          platforms: 'linux/amd64',
          push: 'false',
          'no-cache': 'true',
          'secret-envs': 'envtok=MY_TOKEN',
          'secret-files': `filetok=${secretFile}`
        }),
        env: { MY_TOKEN: envToken }
      });
      expectSucceeded(result, 'the build that prints commands');

      const commands = commandLines(result.stdout);
      const foreign = commands.filter((line) => {
        const name = /^\s*::([a-z-]+)/.exec(line)?.[1] ?? line;
        return !OURS.has(name) || /injected/.test(line);
      });
      expect(foreign).toEqual([]);
      // The RUN steps did print: each attempt is in the log, shown and not obeyed.
      for (const marker of ['injected-cr', 'injected-crlf', 'injected-lone', 'injected-old'])
        expect({ marker, shown: result.stdout.includes(marker) }).toEqual({ marker, shown: true });

      // Each value was registered with the runner once per line, and is never printed otherwise.
      const masks = commands.filter((line) => line.startsWith('::add-mask::'));
      expect(masks).toEqual([
        `::add-mask::${envToken}`,
        `::add-mask::${fileLines.join('%0A')}`,
        ...fileLines.map((line) => `::add-mask::${line}`)
      ]);
      const shown = result.stdout
        .split('\n')
        .filter((line) => !line.startsWith('::add-mask::'))
        .join('\n');
      for (const value of [envToken, ...fileLines])
        expect({ value, found: `${shown}\n${result.stderr}`.includes(value) }).toEqual({ value, found: false });
      // The RUN step that printed them shows masks where the values were.
      expect(shown).toMatch(/#\d+ [\d.]+ \*\*\*\n/);
    },
    CASE_TIMEOUT_MS
  );

  test(
    'a RUN step silent for 20 s with stall-timeout 5: not a stall, the build completes in one attempt',
    async () => {
      const workspace = h.workspace('cache');
      writeFileSync(
        path.join(workspace, 'Dockerfile'),
        ['ARG BASE', 'FROM ${BASE}', 'RUN sleep 20 && echo built > /built.txt', ''].join('\n')
      );
      const image = `${env.registry}/${uniqueRepo('silent')}`;
      const started = Date.now();
      const result = await h.main('silent step', {
        workspace,
        inputs: h.inputs(image, { platforms: 'linux/amd64', 'stall-timeout': '5', 'no-cache': 'true' })
      });
      expectSucceeded(result, 'the build with a silent 20 s step');
      expect(Date.now() - started).toBeGreaterThan(20_000);
      // Neither cancelled nor retried (a cold registry cache warns too: not what this is about).
      const warnings = result.stdout
        .split('\n')
        .filter((line) => line.startsWith('::warning::') && /printed nothing|attempt \d+ of \d+ failed/.test(line));
      expect(warnings).toEqual([]);
      expect(result.outputs.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    },
    CASE_TIMEOUT_MS
  );
});
