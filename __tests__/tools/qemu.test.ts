import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createRunner, ExecError } from '../../src/tools/exec.js';
import type { RunOptions, RunResult, Runner } from '../../src/ports.js';
import { Masker } from '../../src/ports.js';
import { recordingLog } from '../support/log.js';
import { nativePlatform, parsePlatforms } from '../../src/plan/platforms.js';
import {
  binfmtImageCommand,
  DEFAULT_BINFMT_IMAGE,
  readHandler,
  setupQemu,
  writeRegister,
  type QemuOptions
} from '../../src/tools/qemu.js';

const AMD64_HOST = nativePlatform('x64', 'linux');
const AARCH64_RULE =
  ':qemu-aarch64:M::\\x7f\\x45\\x4c\\x46\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00:' +
  '\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff:INTERP:OPF';

/** What the kernel shows for a registered handler. */
function handlerFile(name: string, state = 'enabled', flags = 'PF'): string {
  return `${state}\ninterpreter /usr/bin/${name}-static\nflags: ${flags}\noffset 0\nmagic 7f454c46\nmask ffffffff\n`;
}

type DockerReply = (args: string[]) => Promise<RunResult> | RunResult;

/**
 * The one stub: no Docker engine runs here. It records every docker command and answers like
 * an engine would; `run` of the binfmt image writes the handler files the kernel would show.
 * Anything but docker is refused, so a test notices a process it did not expect.
 */
function dockerStub(
  binfmtDir: string,
  replies: Partial<Record<'info' | 'inspect' | 'pull' | 'run', DockerReply>> = {}
) {
  const calls: string[][] = [];
  const ok = (stdout = ''): RunResult => ({ code: 0, stdout, stderr: '' });
  const defaults: Record<'info' | 'inspect' | 'pull' | 'run', DockerReply> = {
    info: () => ok('28.0.4\n'),
    inspect: () => ({ code: 1, stdout: '', stderr: 'Error: No such image' }),
    pull: () => ok(),
    run: async (args) => {
      const installed = args[args.indexOf('--install') + 1].split(',');
      const names: Record<string, string> = {
        arm64: 'qemu-aarch64',
        arm: 'qemu-arm',
        riscv64: 'qemu-riscv64',
        amd64: 'qemu-x86_64'
      };
      for (const arch of installed)
        await writeFile(path.join(binfmtDir, names[arch]), handlerFile(names[arch], 'enabled', 'POCF'));
      return ok(JSON.stringify({ supported: [], emulators: installed.map((a) => names[a]) }));
    }
  };
  const run: Runner = async (command: string, args: string[], options?: RunOptions) => {
    calls.push([command, ...args]);
    if (command !== 'docker') throw new Error(`unexpected process in a unit test: ${command} ${args.join(' ')}`);
    const kind = args[0] === 'image' ? 'inspect' : (args[0] as 'info' | 'pull' | 'run');
    const result = await (replies[kind] ?? defaults[kind])(args);
    if (result.code !== 0 && !options?.allowFailure) throw new ExecError(`docker ${args.join(' ')}`, result);
    return result;
  };
  return { run, calls };
}

let tmp: string;
let binfmtDir: string;
let confDir: string;
let interpDir: string;

beforeEach(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'qemu-test-'));
  binfmtDir = path.join(tmp, 'binfmt_misc');
  confDir = path.join(tmp, 'binfmt.d');
  interpDir = path.join(tmp, 'bin');
  await mkdir(binfmtDir);
  await mkdir(confDir);
  await mkdir(interpDir);
  // A mounted binfmt_misc always has these two.
  await writeFile(path.join(binfmtDir, 'status'), 'enabled\n');
  await writeFile(path.join(binfmtDir, 'register'), '');
});

afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function present(...handlers: string[]): Promise<void> {
  for (const h of handlers) await writeFile(path.join(binfmtDir, h), handlerFile(h));
}

/** A qemu-user-static rule in the temp conf dir, with its interpreter (or without, when `interpreter` is false). */
async function hostRule(interpreter = true): Promise<{ line: string; interp: string }> {
  const interp = path.join(interpDir, 'qemu-aarch64-static');
  if (interpreter) {
    await writeFile(interp, '#!/bin/sh\n');
    await chmod(interp, 0o755);
  }
  const line = AARCH64_RULE.replace('INTERP', interp);
  await writeFile(path.join(confDir, 'qemu-aarch64.conf'), `${line}\n`);
  return { line, interp };
}

function options(over: Partial<QemuOptions> & Pick<QemuOptions, 'run'>): QemuOptions {
  return {
    mode: 'binfmt-image',
    // What the plan emulates of linux/amd64,linux/arm64 on this amd64 host (QemuStep.platforms).
    platforms: parsePlatforms(['linux/arm64']),
    native: AMD64_HOST,
    binfmtDir,
    confDir,
    binDir: interpDir,
    log: recordingLog(),
    retries: 2,
    ...over
  };
}

describe('binfmtImageCommand', () => {
  test.each([
    {
      name: 'one platform',
      image: 'tonistiigi/binfmt:qemu-v9.2.2-52',
      platforms: ['linux/arm64'],
      argv: ['docker', 'run', '--privileged', '--rm', 'tonistiigi/binfmt:qemu-v9.2.2-52', '--install', 'arm64']
    },
    {
      name: 'arm/v6 and arm/v7 share one emulator',
      image: 'tonistiigi/binfmt:qemu-v9.2.2-52',
      platforms: ['linux/arm64', 'linux/arm/v6', 'linux/arm/v7', 'linux/riscv64'],
      argv: [
        'docker',
        'run',
        '--privileged',
        '--rm',
        'tonistiigi/binfmt:qemu-v9.2.2-52',
        '--install',
        'arm64,arm,riscv64'
      ]
    },
    {
      name: 'a mirror',
      image: 'mirror.gcr.io/tonistiigi/binfmt:qemu-v9.2.2-52',
      platforms: ['linux/amd64'],
      argv: [
        'docker',
        'run',
        '--privileged',
        '--rm',
        'mirror.gcr.io/tonistiigi/binfmt:qemu-v9.2.2-52',
        '--install',
        'amd64'
      ]
    }
  ])('$name', ({ image, platforms, argv }) => {
    expect(binfmtImageCommand(image, parsePlatforms(platforms))).toEqual(argv);
  });

  test('the default image is a pinned qemu-v tag, never latest', () => {
    expect(DEFAULT_BINFMT_IMAGE).toBe('tonistiigi/binfmt:qemu-v9.2.2-52');
  });
});

describe('setupQemu does no QEMU work when none is needed', () => {
  test('no platform to emulate: no process, no handler check', async () => {
    const { run, calls } = dockerStub(binfmtDir);
    const register = recordingRegister();
    const result = await setupQemu(
      options({
        run,
        platforms: [],
        binfmtDir: path.join(tmp, 'absent'),
        register: register.fn
      })
    );
    expect(result).toEqual({ installed: [], present: [], skipped: 'no platform to emulate' });
    expect(calls).toEqual([]);
    expect(register.calls).toEqual([]);
  });

  test('qemu: false does nothing, even for foreign platforms, and says why', async () => {
    const { run, calls } = dockerStub(binfmtDir);
    const log = recordingLog();
    const result = await setupQemu(options({ run, log, mode: 'false' }));
    expect(result).toEqual({ installed: [], present: [], skipped: 'qemu: false' });
    expect(calls).toEqual([]);
    expect(log.lines).toEqual([
      'qemu is false: linux/arm64 must run on builder nodes of that architecture (no emulation is set up)'
    ]);
  });

  test('a Mac host leaves emulation to Docker Desktop', async () => {
    const { run, calls } = dockerStub(binfmtDir);
    const result = await setupQemu(options({ run, native: nativePlatform('arm64', 'darwin') }));
    expect(result).toEqual({ installed: [], present: [], skipped: 'darwin host' });
    expect(calls).toEqual([]);
  });

  test('every foreign handler already enabled: nothing installed, nothing started', async () => {
    await present('qemu-aarch64', 'qemu-arm');
    const { run, calls } = dockerStub(binfmtDir);
    const result = await setupQemu(options({ run, platforms: parsePlatforms(['linux/arm64', 'linux/arm/v7']) }));
    expect(result).toEqual({ installed: [], present: ['qemu-aarch64', 'qemu-arm'] });
    expect(calls).toEqual([]);
  });
});

describe('setupQemu with the binfmt image', () => {
  test('installs only the missing arm64 when arm is present, with the exact argv', async () => {
    await present('qemu-arm');
    const { run, calls } = dockerStub(binfmtDir);
    const log = recordingLog();
    const result = await setupQemu(options({ run, log, platforms: parsePlatforms(['linux/arm64', 'linux/arm/v7']) }));
    expect(result).toEqual({ installed: ['qemu-aarch64'], present: ['qemu-arm'], method: 'binfmt-image' });
    expect(calls).toEqual([
      ['docker', 'image', 'inspect', '--format', '{{.Id}}', 'tonistiigi/binfmt:qemu-v9.2.2-52'],
      ['docker', 'pull', 'tonistiigi/binfmt:qemu-v9.2.2-52'],
      ['docker', 'run', '--privileged', '--rm', 'tonistiigi/binfmt:qemu-v9.2.2-52', '--install', 'arm64']
    ]);
    expect(log.infos).toContain('installed QEMU handlers: qemu-aarch64');
    expect(log.infos).toContain('QEMU handlers already registered: qemu-arm');
  });

  test('a mirror image is pulled and run instead of Docker Hub', async () => {
    const { run, calls } = dockerStub(binfmtDir);
    const image = '127.0.0.1:5000/mirror/binfmt:qemu-v9.2.2-52';
    await setupQemu(options({ run, binfmtImage: image }));
    expect(calls.slice(1)).toEqual([
      ['docker', 'pull', image],
      ['docker', 'run', '--privileged', '--rm', image, '--install', 'arm64']
    ]);
  });

  test('an image already on the machine is not pulled again', async () => {
    const { run, calls } = dockerStub(binfmtDir, { inspect: () => ({ code: 0, stdout: 'sha256:abc\n', stderr: '' }) });
    await setupQemu(options({ run }));
    expect(calls.map((c) => c[1])).toEqual(['image', 'run']);
  });

  test('a pull that meets a 503 is tried again', async () => {
    let pulls = 0;
    const { run, calls } = dockerStub(binfmtDir, {
      pull: () =>
        ++pulls === 1
          ? { code: 1, stdout: '', stderr: 'received unexpected HTTP status: 503 Service Unavailable' }
          : { code: 0, stdout: '', stderr: '' }
    });
    const log = recordingLog();
    const result = await setupQemu(options({ run, log }));
    expect(result.installed).toEqual(['qemu-aarch64']);
    expect(calls.filter((c) => c[1] === 'pull')).toHaveLength(2);
    expect(
      log.warnings.some((l) => l.startsWith('docker pull tonistiigi/binfmt:qemu-v9.2.2-52: attempt 1 of 3 failed'))
    ).toBe(true);
  });

  test('a pull that is denied is not retried and fails the setup', async () => {
    const { run, calls } = dockerStub(binfmtDir, {
      pull: () => ({ code: 1, stdout: '', stderr: 'Error response from daemon: pull access denied for nope/binfmt' })
    });
    await expect(setupQemu(options({ run, binfmtImage: 'nope/binfmt:x' }))).rejects.toThrow(/pull access denied/);
    expect(calls.filter((c) => c[1] === 'pull')).toHaveLength(1);
    expect(calls.filter((c) => c[1] === 'run')).toHaveLength(0);
  });

  test('binfmt exiting 0 without registering is caught by the check afterwards', async () => {
    // tonistiigi/binfmt logs "installing: arm64 cannot register ..." and still exits 0.
    const { run } = dockerStub(binfmtDir, {
      run: () => ({ code: 0, stdout: '{"supported":[],"emulators":[]}', stderr: '' })
    });
    await expect(setupQemu(options({ run }))).rejects.toThrow(
      /^QEMU handlers qemu-aarch64 are still not enabled in .* after installing them with binfmt-image; the build of linux\/arm64 would fail/
    );
  });

  test('when binfmt_misc is not mounted here, the binfmt report is the witness', async () => {
    const unmounted = path.join(tmp, 'unmounted');
    await mkdir(unmounted);
    const { run } = dockerStub(unmounted, {
      run: () => ({
        code: 0,
        stdout: '{"supported":["linux/amd64","linux/arm64"],"emulators":["qemu-aarch64"]}',
        stderr: ''
      })
    });
    const result = await setupQemu(options({ run, binfmtDir: unmounted }));
    expect(result).toEqual({ installed: ['qemu-aarch64'], present: [], method: 'binfmt-image' });
  });

  test('a disabled handler counts as missing and is installed again', async () => {
    await writeFile(path.join(binfmtDir, 'qemu-aarch64'), handlerFile('qemu-aarch64', 'disabled'));
    const { run, calls } = dockerStub(binfmtDir);
    const result = await setupQemu(options({ run }));
    expect(result.installed).toEqual(['qemu-aarch64']);
    expect(calls.at(-1)).toEqual(['docker', 'run', '--privileged', '--rm', DEFAULT_BINFMT_IMAGE, '--install', 'arm64']);
  });

  test('a handler without the F flag is kept but warned about', async () => {
    await writeFile(path.join(binfmtDir, 'qemu-aarch64'), handlerFile('qemu-aarch64', 'enabled', 'P'));
    const { run, calls } = dockerStub(binfmtDir);
    const log = recordingLog();
    const result = await setupQemu(options({ run, log }));
    expect(result).toEqual({ installed: [], present: ['qemu-aarch64'] });
    expect(calls).toEqual([]);
    expect(log.warnings).toEqual([
      `qemu-aarch64 is registered without the F flag (interpreter /usr/bin/qemu-aarch64-static): builds in containers may fail ` +
        `with "exec format error". Remove it (echo -1 > ${path.join(binfmtDir, 'qemu-aarch64')}) to let this action register a fixed one.`
    ]);
  });
});

describe('setupQemu with the host qemu-user-static', () => {
  test('registers the rule line from binfmt.d and starts no process', async () => {
    const { line } = await hostRule();
    const { run, calls } = dockerStub(binfmtDir);
    const register = kernelRegister();
    const result = await setupQemu(options({ run, mode: 'host', register: register.fn }));
    expect(result).toEqual({ installed: ['qemu-aarch64'], present: [], method: 'host' });
    expect(register.calls).toEqual([[binfmtDir, line]]);
    expect(calls).toEqual([]);
  });

  test('the default register writes the whole line to <dir>/register', async () => {
    const { line } = await hostRule();
    await writeRegister(binfmtDir, line);
    expect(await readFile(path.join(binfmtDir, 'register'), 'utf8')).toBe(line);
  });

  test('the default register is what host mode uses (the file alone cannot enable a handler, so the check fails)', async () => {
    const { line } = await hostRule();
    const { run } = dockerStub(binfmtDir);
    await expect(setupQemu(options({ run, mode: 'host' }))).rejects.toThrow(
      /qemu-aarch64 are still not enabled .* use qemu: binfmt-image on a host with Docker/
    );
    expect(await readFile(path.join(binfmtDir, 'register'), 'utf8')).toBe(line);
  });

  test('no rule for the handler: a clear error and nothing registered', async () => {
    const { run } = dockerStub(binfmtDir);
    const register = kernelRegister();
    await expect(setupQemu(options({ run, mode: 'host', register: register.fn }))).rejects.toThrow(
      `qemu-aarch64 is needed but the host has no rule for it (looked for ${path.join(confDir, 'qemu-aarch64.conf')}, ` +
        `${path.join(confDir, 'qemu-aarch64-static.conf')}): install qemu-user-static or use qemu: binfmt-image`
    );
    expect(register.calls).toEqual([]);
  });

  test('the rule names an interpreter that is gone: a clear error and nothing registered', async () => {
    const { interp } = await hostRule(false);
    const { run } = dockerStub(binfmtDir);
    const register = kernelRegister();
    await expect(setupQemu(options({ run, mode: 'host', register: register.fn }))).rejects.toThrow(
      `qemu-aarch64: interpreter ${interp} named in ${path.join(confDir, 'qemu-aarch64.conf')} is missing or not executable: ` +
        'install qemu-user-static or use qemu: binfmt-image'
    );
    expect(register.calls).toEqual([]);
  });

  test('a dangling Debian-style link names its target', async () => {
    const { interp } = await hostRule(false);
    await symlink('/nonexistent/qemu-aarch64-static', interp);
    const { run } = dockerStub(binfmtDir);
    await expect(setupQemu(options({ run, mode: 'host', register: kernelRegister().fn }))).rejects.toThrow(
      `interpreter ${interp} (-> /nonexistent/qemu-aarch64-static)`
    );
  });

  test('a Fedora-style -static.conf is found too', async () => {
    const { line } = await hostRule();
    await rm(path.join(confDir, 'qemu-aarch64.conf'));
    await writeFile(path.join(confDir, 'qemu-aarch64-static.conf'), `# from qemu-user-static-aarch64\n${line}\n`);
    const { run } = dockerStub(binfmtDir);
    const register = kernelRegister();
    await setupQemu(options({ run, mode: 'host', register: register.fn }));
    expect(register.calls).toEqual([[binfmtDir, line]]);
  });
});

describe('setupQemu auto', () => {
  test('with a Docker engine: one docker info, then the binfmt image', async () => {
    await hostRule();
    const { run, calls } = dockerStub(binfmtDir);
    const result = await setupQemu(options({ run, mode: 'auto' }));
    expect(result.method).toBe('binfmt-image');
    expect(calls[0]).toEqual(['docker', 'info', '--format', '{{.ServerVersion}}']);
    expect(calls.filter((c) => c[1] === 'info')).toHaveLength(1);
  });

  test('without a Docker engine but with qemu-user-static: the host', async () => {
    const { line } = await hostRule();
    const { run, calls } = dockerStub(binfmtDir, {
      info: () => ({
        code: 1,
        stdout: '\n',
        stderr: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock.'
      })
    });
    const register = kernelRegister();
    const result = await setupQemu(options({ run, mode: 'auto', register: register.fn }));
    expect(result).toEqual({ installed: ['qemu-aarch64'], present: [], method: 'host' });
    expect(calls).toEqual([['docker', 'info', '--format', '{{.ServerVersion}}']]);
    expect(register.calls).toEqual([[binfmtDir, line]]);
  });

  test('the engine check is injectable', async () => {
    await hostRule();
    const { run, calls } = dockerStub(binfmtDir);
    const register = kernelRegister();
    const result = await setupQemu(
      options({ run, mode: 'auto', dockerEngine: async () => false, register: register.fn })
    );
    expect(result.method).toBe('host');
    expect(calls).toEqual([]);
  });

  test('neither: fails naming both', async () => {
    const { run } = dockerStub(binfmtDir, { info: () => ({ code: 1, stdout: '', stderr: 'Cannot connect' }) });
    await expect(setupQemu(options({ run, mode: 'auto' }))).rejects.toThrow(
      `qemu: auto found no way to install emulators: no Docker engine answers \`docker info\` (for the binfmt image), ` +
        `and the host has no qemu-user-static (no ${confDir}/qemu-*.conf, no ${interpDir}/qemu-*-static). ` +
        'Install qemu-user-static, run on a host with Docker, or set qemu: false when every platform has a native builder node.'
    );
  });
});

describe('readHandler', () => {
  test('reads the state, interpreter and flags the kernel shows', async () => {
    await writeFile(
      path.join(binfmtDir, 'qemu-aarch64'),
      'enabled\ninterpreter /usr/bin/qemu-aarch64-static\nflags: PF\noffset 0\n'
    );
    expect(await readHandler(binfmtDir, 'qemu-aarch64')).toEqual({
      enabled: true,
      interpreter: '/usr/bin/qemu-aarch64-static',
      flags: 'PF'
    });
  });

  test('no file, no handler', async () => {
    expect(await readHandler(binfmtDir, 'qemu-riscv64')).toBeUndefined();
  });
});

// The real kernel table, when this machine has one: what the host method relies on, unstubbed.
const REAL_DIR = '/proc/sys/fs/binfmt_misc';
const realSkip = realSkipReason();

function realSkipReason(): string | undefined {
  if (!existsSync(REAL_DIR)) return `${REAL_DIR} does not exist (no binfmt_misc in this kernel or container)`;
  const registered = (() => {
    try {
      return readFileSync(path.join(REAL_DIR, 'qemu-aarch64'), 'utf8').startsWith('enabled\n');
    } catch {
      return false;
    }
  })();
  if (registered) return undefined;
  // Not registered yet: the host method can do it for real, given root and qemu-user-static.
  if (process.getuid?.() !== 0) return 'qemu-aarch64 is not registered and registering it needs root';
  if (!existsSync('/usr/lib/binfmt.d/qemu-aarch64.conf'))
    return 'qemu-aarch64 is not registered and qemu-user-static is not installed';
  return undefined;
}

describe('the real binfmt_misc', () => {
  if (realSkip) console.log(`skipping the real binfmt_misc test: ${realSkip}`);
  (realSkip ? test.skip : test)(
    'qemu-aarch64 is detected as present (registered from qemu-user-static first if needed)',
    async () => {
      const log = recordingLog();
      const run = createRunner(log, new Masker());
      const result = await setupQemu({
        mode: 'host',
        platforms: parsePlatforms(['linux/arm64']),
        native: AMD64_HOST,
        run,
        log,
        retries: 0
      });
      expect([...result.present, ...result.installed]).toEqual(['qemu-aarch64']);
      const state = await readHandler(REAL_DIR, 'qemu-aarch64');
      expect(state?.enabled).toBe(true);
      expect(state?.flags).toContain('F');
      // Nothing else is claimed: a name the kernel does not have reads as absent.
      expect(await readHandler(REAL_DIR, 'qemu-no-such-handler')).toBeUndefined();
      if (result.installed.length > 0) console.log(`registered qemu-aarch64 on this machine:\n${log.lines.join('\n')}`);
    }
  );
});

/** Records calls without touching anything. */
function recordingRegister() {
  const calls: Array<[string, string]> = [];
  return { calls, fn: async (dir: string, line: string) => void calls.push([dir, line]) };
}

/** Records the rule and does what the kernel does with it: the handler appears, enabled. */
function kernelRegister() {
  const calls: Array<[string, string]> = [];
  const fn = async (dir: string, line: string): Promise<void> => {
    calls.push([dir, line]);
    const name = line.split(':')[1];
    await writeFile(path.join(dir, name), handlerFile(name, 'enabled', 'POF'));
  };
  return { calls, fn };
}
