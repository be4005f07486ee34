import { chmodSync, existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRunner, ExecError, neutraliseCommands } from '../../src/tools/exec.js';
import type { Runner } from '../../src/ports.js';
import { Masker } from '../../src/ports.js';
import { recordingLog } from '../support/log.js';

// Real processes throughout: sh, cat, sleep are on every machine this runs on.

const SECRET = 's3cr3t-Value_42';

function runner(secrets: string[] = []): { run: Runner; lines: string[] } {
  const log = recordingLog();
  const masker = new Masker();
  for (const s of secrets) masker.add(s);
  return { run: createRunner(log, masker), lines: log.lines };
}

async function rejection(promise: Promise<unknown>): Promise<ExecError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ExecError) return err;
    throw err;
  }
  throw new Error('expected the command to fail');
}

/** Running, not a zombie: an orphan killed here may stay a zombie when PID 1 does not reap it. */
function alive(pid: number): boolean {
  if (existsSync('/proc/self/stat')) {
    try {
      return (
        readFileSync(`/proc/${pid}/stat`, 'utf8')
          .replace(/^.*\) /s, '')
          .charAt(0) !== 'Z'
      );
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

let dir: string;
beforeAll(() => {
  dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'exec-test-')));
  writeFileSync(path.join(dir, 'tool'), '#!/bin/sh\necho "tool says no" >&2\nexit 2\n');
  chmodSync(path.join(dir, 'tool'), 0o755);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('createRunner: results', () => {
  test.each([
    {
      name: 'stdout and stderr apart',
      script: 'echo out; echo err >&2',
      expected: { code: 0, stdout: 'out\n', stderr: 'err\n' }
    },
    { name: 'no output', script: 'true', expected: { code: 0, stdout: '', stderr: '' } },
    {
      name: 'a last line without newline',
      script: 'printf "a\\nb"',
      expected: { code: 0, stdout: 'a\nb', stderr: '' }
    },
    {
      name: 'a non-zero exit with allowFailure is returned',
      script: 'echo partial; echo "no such image" >&2; exit 3',
      allowFailure: true,
      expected: { code: 3, stdout: 'partial\n', stderr: 'no such image\n' }
    },
    {
      name: 'stderr output with exit 0 is success',
      script: 'echo "WARNING: deprecated" >&2',
      expected: { code: 0, stdout: '', stderr: 'WARNING: deprecated\n' }
    }
  ])('$name', async ({ script, allowFailure, expected }) => {
    const { run } = runner();
    await expect(run('sh', ['-c', script], { allowFailure })).resolves.toEqual(expected);
  });

  test('cwd and env reach the child', async () => {
    const { run } = runner();
    const result = await run('sh', ['-c', 'pwd; echo "$GREETING"'], {
      cwd: dir,
      env: { PATH: process.env.PATH, GREETING: 'hello' }
    });
    expect(result.stdout).toBe(`${dir}\nhello\n`);
  });

  test('stdin input reaches the child', async () => {
    const { run } = runner();
    await expect(run('cat', [], { input: 'line one\nline two' })).resolves.toEqual({
      code: 0,
      stdout: 'line one\nline two',
      stderr: ''
    });
  });

  test('without input, stdin is closed (cat ends at once)', async () => {
    const { run } = runner();
    await expect(run('cat', [], { stallMs: 3000 })).resolves.toEqual({ code: 0, stdout: '', stderr: '' });
  });
});

describe('createRunner: failures', () => {
  test.each([
    {
      name: 'exit 3 with stderr',
      script: 'echo "ERROR: failed to solve" >&2; exit 3',
      code: 3,
      message: 'sh failed with exit code 3:\nERROR: failed to solve'
    },
    {
      name: 'exit 1 with stdout only',
      script: 'echo "only stdout"; exit 1',
      code: 1,
      message: 'sh failed with exit code 1:\nonly stdout'
    },
    { name: 'exit 1 silently', script: 'exit 1', code: 1, message: 'sh failed with exit code 1' },
    {
      name: 'a long stderr: its last 12 lines',
      script: 'for i in $(seq 1 20); do echo "line $i" >&2; done; exit 4',
      code: 4,
      message: `sh failed with exit code 4:\n${Array.from({ length: 12 }, (_, i) => `line ${i + 9}`).join('\n')}`
    },
    { name: 'killed by a signal', script: 'kill -9 $$', code: -1, message: 'sh failed with exit code -1' }
  ])('$name', async ({ script, code, message }) => {
    const { run } = runner();
    const error = await rejection(run('sh', ['-c', script]));
    expect(error.result.code).toBe(code);
    expect(error.stalled).toBe(false);
    expect(error.message).toBe(message);
    expect(error.command).toBe('sh');
  });

  test.each([
    {
      name: 'subcommands up to the first flag',
      args: ['buildx', 'imagetools', '--builder', 'b', 'create'],
      command: 'tool buildx imagetools'
    },
    { name: 'at most three words after the command', args: ['a', 'b', 'c', 'd', 'e'], command: 'tool a b c' },
    { name: 'a flag first', args: ['--version'], command: 'tool' }
  ])('the error names the command by its verbs: $name', async ({ args, command }) => {
    const { run } = runner();
    const error = await rejection(run(path.join(dir, 'tool'), args));
    expect(error.message).toBe(`${path.join(dir, command)} failed with exit code 2:\ntool says no`);
  });

  test('a missing command rejects', async () => {
    const { run } = runner();
    const error = await rejection(run('no-such-command-f3a9', ['--version']));
    expect(error.result.code).toBe(-1);
    expect(error.result.stderr).toContain('ENOENT');
    expect(error.message).toBe('no-such-command-f3a9 failed with exit code -1:\nspawn no-such-command-f3a9 ENOENT');
  });
});

describe('createRunner: the log', () => {
  test('the command line and each output line, in order', async () => {
    const { run, lines } = runner();
    await run('sh', ['-c', 'echo one; echo two'], {});
    expect(lines).toEqual(["[command] sh -c 'echo one; echo two'", 'one', 'two']);
  });

  test.each([
    {
      name: 'plain words unquoted',
      args: ['buildx', 'build', '--platform', 'linux/amd64,linux/arm64', '.'],
      shown: '[command] true buildx build --platform linux/amd64,linux/arm64 .'
    },
    { name: 'a space quoted', args: ['--label', 'a=b c'], shown: "[command] true --label 'a=b c'" },
    { name: 'a single quote escaped', args: ["it's"], shown: "[command] true 'it'\\''s'" },
    { name: 'an empty argument quoted', args: [''], shown: "[command] true ''" }
  ])('arguments shown as a shell would need them: $name', async ({ args, shown }) => {
    const { run, lines } = runner();
    await run('true', args);
    expect(lines).toEqual([shown]);
  });

  test('a secret is masked in the command line and in echoed output', async () => {
    const { run, lines } = runner([SECRET]);
    const result = await run('sh', ['-c', `echo "token: ${SECRET}"; echo "${SECRET}" >&2`]);
    expect(lines).toEqual(['[command] sh -c \'echo "token: ***"; echo "***" >&2\'', 'token: ***', '***']);
    // The result is data for the caller, not log output.
    expect(result.stdout).toBe(`token: ${SECRET}\n`);
  });

  test('a secret split across two writes is still masked', async () => {
    const { run, lines } = runner([SECRET]);
    await run('sh', ['-c', `printf '%s' "${SECRET.slice(0, 6)}"; sleep 0.2; printf '%s\\n' "${SECRET.slice(6)}"`]);
    expect(lines.slice(1)).toEqual(['***']);
  });

  test('a secret given on stdin never appears in the log', async () => {
    // No masker entry: the value must stay out of the log because it is never in argv.
    const { run, lines } = runner();
    const result = await run('sh', ['-c', 'read -r password; [ "$password" = "$EXPECTED" ] && echo accepted'], {
      input: `${SECRET}\n`,
      env: { PATH: process.env.PATH, EXPECTED: SECRET }
    });
    expect(result.stdout).toBe('accepted\n');
    expect(lines.join('\n')).not.toContain(SECRET);
    expect(lines).toEqual([
      `[command] sh -c 'read -r password; [ "$password" = "$EXPECTED" ] && echo accepted'`,
      'accepted'
    ]);
  });

  test('quiet: output returned, not echoed', async () => {
    const { run, lines } = runner();
    const result = await run('sh', ['-c', 'echo hidden; echo hidden-err >&2'], { quiet: true });
    expect(result).toEqual({ code: 0, stdout: 'hidden\n', stderr: 'hidden-err\n' });
    expect(lines).toEqual(["[command] sh -c 'echo hidden; echo hidden-err >&2'"]);
  });
});

describe('createRunner: stalls', () => {
  test('a child that prints nothing for stallMs is killed, stalled', async () => {
    const { run, lines } = runner();
    const start = Date.now();
    const error = await rejection(run('sleep', ['30'], { stallMs: 300 }));
    const elapsed = Date.now() - start;
    expect(error.stalled).toBe(true);
    expect(error.message).toBe('sleep 30 made no progress and was cancelled');
    expect(elapsed).toBeGreaterThanOrEqual(280);
    expect(elapsed).toBeLessThan(5000);
    expect(lines).toContain('warning: sleep printed nothing for 0 s; cancelling it');
  });

  test('a child that goes quiet after some output is killed, its output kept', async () => {
    const { run } = runner();
    const error = await rejection(run('sh', ['-c', 'echo "#9 pushing layers"; sleep 30'], { stallMs: 400 }));
    expect(error.stalled).toBe(true);
    expect(error.result.stdout).toBe('#9 pushing layers\n');
    expect(error.message).toBe('sh made no progress and was cancelled:\n#9 pushing layers');
  });

  test('the whole process group goes, grandchildren included', async () => {
    const { run } = runner();
    const error = await rejection(run('sh', ['-c', 'sleep 30 & echo $!; wait'], { stallMs: 300 }));
    const grandchild = Number(error.result.stdout.trim());
    expect(grandchild).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 200));
    expect(alive(grandchild)).toBe(false);
  });

  test('a child that ignores SIGTERM is killed with SIGKILL', async () => {
    const { run } = runner();
    const start = Date.now();
    const error = await rejection(run('sh', ['-c', 'trap "" TERM; sleep 30'], { stallMs: 300 }));
    expect(error.stalled).toBe(true);
    expect(Date.now() - start).toBeLessThan(8000);
  }, 15000);

  test.each([
    { name: 'on stdout', script: 'for i in 1 2 3 4 5 6 7 8 9 10; do echo "step $i"; sleep 0.1; done' },
    { name: 'on stderr', script: 'for i in 1 2 3 4 5 6 7 8 9 10; do echo "step $i" >&2; sleep 0.1; done' }
  ])('a child that keeps printing $name is not killed', async ({ script }) => {
    const { run } = runner();
    const start = Date.now();
    const result = await run('sh', ['-c', script], { stallMs: 500 });
    expect(result.code).toBe(0);
    expect(`${result.stdout}${result.stderr}`.trim().split('\n')).toHaveLength(10);
    // It ran for about 1 s: twice the stall time, so only its output kept it alive.
    expect(Date.now() - start).toBeGreaterThan(900);
  });

  test('stallMs 0 or unset never cancels', async () => {
    const { run } = runner();
    await expect(run('sleep', ['0.5'], { stallMs: 0 })).resolves.toEqual({ code: 0, stdout: '', stderr: '' });
  });
});

describe('neutraliseCommands', () => {
  test.each([
    { name: 'plain text is unchanged', text: 'step 1/3 : RUN make', expected: 'step 1/3 : RUN make' },
    { name: 'a :: inside a line is not a command', text: 'see ::error:: below', expected: 'see ::error:: below' },
    { name: 'a lone command line', text: '::warning::x', expected: '| ::warning::x' },
    { name: 'a command after blanks', text: '  \t::add-mask::abc', expected: '|   \t::add-mask::abc' },
    {
      name: 'a bare CR before a command',
      text: 'progress 50%\r::error::injected',
      expected: 'progress 50%\n| ::error::injected'
    },
    {
      name: 'CRLF before a command',
      text: 'progress 50%\r\n::error::injected',
      expected: 'progress 50%\n| ::error::injected'
    },
    { name: 'several CRs', text: '10%\r20%\r::stop-commands::t', expected: '10%\n20%\n| ::stop-commands::t' },
    { name: 'the older ##[ form', text: '##[error]injected', expected: '| ##[error]injected' },
    { name: 'already neutralised text stays as it is', text: '| ::error::x', expected: '| ::error::x' }
  ])('$name', ({ text, expected }) => {
    expect(neutraliseCommands(text)).toBe(expected);
  });
});

describe('createRunner: nothing a child prints can start a workflow command', () => {
  test.each([
    {
      name: 'a bare CR',
      script: `printf 'progress 50%%\\r::error::injected\\n'`,
      lines: ['progress 50%\n| ::error::injected']
    },
    {
      name: 'CRLF',
      script: `printf 'progress 50%%\\r\\n::error::injected\\r\\n'`,
      lines: ['progress 50%', '| ::error::injected']
    },
    { name: 'a lone command line on stderr', script: `printf '::warning::x\\n' >&2`, lines: ['| ::warning::x'] },
    {
      name: 'a last line without a line break',
      script: `printf 'ok\\n::error::last'`,
      lines: ['ok', '| ::error::last']
    }
  ])('$name', async ({ script, lines: expected }) => {
    const { run, lines } = runner();
    await run('sh', ['-c', script]);
    expect(lines.slice(1)).toEqual(expected);
  });

  test('the output quoted in a failure is neutralised too', async () => {
    const { run } = runner();
    const error = await rejection(run('sh', ['-c', `printf 'bad\\r::error::injected\\n' >&2; exit 3`]));
    expect(error.message).toBe('sh failed with exit code 3:\nbad\n| ::error::injected');
  });
});

describe('createRunner: a watch decides when silence is a stall', () => {
  test('while the watch says a step works, silence longer than stallMs is not a stall', async () => {
    const { run } = runner();
    const seen: string[] = [];
    const watch = (line: string) => {
      seen.push(line);
      return line !== 'working';
    };
    const result = await run('sh', ['-c', 'echo working; sleep 1; echo done'], { stallMs: 300, watch });
    expect(result.code).toBe(0);
    expect(seen).toEqual(['working', 'done']);
  });

  test('once the watch says the timer runs again, silence is a stall', async () => {
    const { run } = runner();
    const watch = (line: string) => line !== 'working';
    const error = await rejection(
      run('sh', ['-c', 'echo working; sleep 0.6; echo transfer; sleep 30'], { stallMs: 300, watch })
    );
    expect(error.stalled).toBe(true);
    expect(error.result.stdout).toBe('working\ntransfer\n');
  });

  test('quiet output is still watched', async () => {
    const { run, lines } = runner();
    const seen: string[] = [];
    await run('sh', ['-c', 'printf "a\\nb\\n"'], { quiet: true, stallMs: 1000, watch: (l) => (seen.push(l), true) });
    expect(seen).toEqual(['a', 'b']);
    expect(lines.slice(1)).toEqual([]);
  });
});
