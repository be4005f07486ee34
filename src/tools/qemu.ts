import { access, constants, lstat, readdir, readFile, readlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Runner } from '../ports.js';
import type { Log } from '../ports.js';
import { binfmtName, emulatorFor, type Platform } from '../plan/platforms.js';
import { withRetry } from './retry.js';

import type { QemuMode } from '../plan/inputs.js';
export type { QemuMode };
export type QemuMethod = 'binfmt-image' | 'host';

/**
 * Pinned, never `latest`: `latest` moved to QEMU 9.2.0 (deploy/v9.2.0-51) in February 2025 and
 * emulated arm64 builds segfaulted in libc-bin/ldconfig (docker/setup-qemu-action#198, #201,
 * tonistiigi/binfmt#240). QEMU 9.2.2 carries the upstream fix (tonistiigi/binfmt#243) and is what
 * BuildKit itself bundles (moby/buildkit#5808); the 10.1.3 image has an open libc-bin segfault
 * report (tonistiigi/binfmt#298). Override with the `qemu-image` input, e.g. for a mirror.
 */
export const DEFAULT_BINFMT_IMAGE = 'tonistiigi/binfmt:qemu-v9.2.2-52';
export const BINFMT_MISC_DIR = '/proc/sys/fs/binfmt_misc';
/** Where qemu-user-static (Debian, Ubuntu, Fedora) puts its handler definitions. */
export const BINFMT_CONF_DIR = '/usr/lib/binfmt.d';

export interface QemuOptions {
  /** Input `qemu` ('true' is read as auto by the inputs). */
  mode: QemuMode;
  /** The platforms to emulate, as the plan decided them: none of them runs natively here. */
  platforms: Platform[];
  /** This host: only its OS is read (on a Mac, Docker Desktop's VM brings its own emulators). */
  native: Platform;
  /** Input `qemu-image`. */
  binfmtImage?: string;
  binfmtDir?: string;
  run: Runner;
  log: Log;
  /** Attempts after the first for pulling the binfmt image. */
  retries: number;
  /** qemu-user-static's handler definitions (host method). */
  confDir?: string;
  /** Where qemu-user-static's interpreters live; only looked at by auto to tell whether the host has QEMU. */
  binDir?: string;
  /** Hands one binfmt_misc rule to the kernel; defaults to writing it to `<binfmtDir>/register`. */
  register?: (binfmtDir: string, line: string) => Promise<void>;
  /** Whether a Docker engine answers; defaults to one `docker info` call through `run`. */
  dockerEngine?: () => Promise<boolean>;
}

export interface QemuResult {
  /** Handlers this run registered. */
  installed: string[];
  /** Handlers that were already registered and enabled. */
  present: string[];
  /** How the missing ones were installed; absent when nothing was. */
  method?: QemuMethod;
  /** Why no QEMU work was done at all. */
  skipped?: string;
}

/** What the kernel says about one handler: `<binfmtDir>/<name>`. */
export interface HandlerState {
  enabled: boolean;
  interpreter?: string;
  flags: string;
}

/**
 * Makes sure every platform given (the plan's emulated ones, QemuStep.platforms) has an enabled
 * binfmt_misc handler, installing only the missing ones, then checks the kernel really has them.
 * Does nothing at all (no process, no file read) when no platform is given or `mode` is false.
 */
export async function setupQemu(options: QemuOptions): Promise<QemuResult> {
  const { log } = options;
  const dir = options.binfmtDir ?? BINFMT_MISC_DIR;
  const foreign = options.platforms;
  if (options.mode === 'false') {
    if (foreign.length > 0) {
      log.info(
        `qemu is false: ${ids(foreign)} must run on builder nodes of that architecture (no emulation is set up)`
      );
    }
    return { installed: [], present: [], skipped: 'qemu: false' };
  }
  if (foreign.length === 0) return { installed: [], present: [], skipped: 'no platform to emulate' };
  if (options.native.os !== 'linux') {
    // Docker Desktop's Linux VM registers its own emulators; there is no binfmt_misc to touch here.
    log.info(`${options.native.os} host: emulation for ${ids(foreign)} is left to the Docker engine's VM`);
    return { installed: [], present: [], skipped: `${options.native.os} host` };
  }

  // One representative platform per handler: arm/v6 and arm/v7 both need qemu-arm.
  const needed = new Map<string, Platform>();
  for (const platform of foreign) if (!needed.has(emulatorFor(platform))) needed.set(emulatorFor(platform), platform);

  const present: string[] = [];
  const missing: string[] = [];
  for (const handler of needed.keys()) {
    const state = await readHandler(dir, handler);
    if (state?.enabled) {
      present.push(handler);
      if (!state.flags.includes('F')) {
        log.warning(
          `${handler} is registered without the F flag (interpreter ${state.interpreter ?? '?'}): builds in containers may fail ` +
            `with "exec format error". Remove it (echo -1 > ${path.join(dir, handler)}) to let this action register a fixed one.`
        );
      }
    } else {
      missing.push(handler);
    }
  }
  if (present.length > 0) log.info(`QEMU handlers already registered: ${present.join(', ')}`);
  if (missing.length === 0) return { installed: [], present };

  const method = options.mode === 'auto' ? await chooseMethod(options) : options.mode;
  log.info(`registering ${missing.join(', ')} for ${ids(missing.map((h) => needed.get(h)!))} (${method})`);
  let reported: string[] | undefined;
  if (method === 'binfmt-image') {
    reported = await installWithImage(
      options,
      missing.map((h) => needed.get(h)!)
    );
  } else {
    await installFromHost(options, dir, missing);
  }

  // tonistiigi/binfmt exits 0 even when a registration failed, so only the kernel's word counts.
  const failed = await stillMissing(dir, missing, reported);
  if (failed.length > 0) {
    throw new Error(
      `QEMU handlers ${failed.join(', ')} are still not enabled in ${dir} after installing them with ${method}; ` +
        `the build of ${ids(failed.map((h) => needed.get(h)!))} would fail with "exec format error". ` +
        (method === 'binfmt-image'
          ? 'Check that the job may run privileged containers, or use qemu: host with qemu-user-static installed.'
          : 'Check that the job runs as root, or use qemu: binfmt-image on a host with Docker.')
    );
  }
  log.info(`installed QEMU handlers: ${missing.join(', ')}`);
  return { installed: missing, present, method };
}

/** The exact command that installs emulators for `platforms` from the binfmt image. */
export function binfmtImageCommand(image: string, platforms: Platform[]): string[] {
  const names = [...new Set(platforms.map(binfmtName))];
  return ['docker', 'run', '--privileged', '--rm', image, '--install', names.join(',')];
}

/** The handler's state, or undefined when the kernel has no such handler (or binfmt_misc is not mounted). */
export async function readHandler(binfmtDir: string, handler: string): Promise<HandlerState | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(binfmtDir, handler), 'utf8');
  } catch {
    return undefined;
  }
  const lines = text.split('\n').map((line) => line.trim());
  const field = (key: string): string | undefined =>
    lines.find((line) => line.startsWith(`${key} `) || line.startsWith(`${key}:`))?.replace(/^[^ :]+:? */, '');
  // The first line is the state itself: "enabled" or "disabled".
  return { enabled: lines[0] === 'enabled', interpreter: field('interpreter'), flags: field('flags') ?? '' };
}

/** Registers one rule the way the kernel takes it: the whole line in one write to `register`. */
export async function writeRegister(binfmtDir: string, line: string): Promise<void> {
  const register = path.join(binfmtDir, 'register');
  try {
    await writeFile(register, line);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Someone registered the same name meanwhile; the check afterwards says whether it is usable.
    if (code === 'EEXIST') return;
    const hint =
      code === 'EACCES' || code === 'EPERM'
        ? ': registering handlers needs root; run the job as root or use qemu: binfmt-image'
        : '';
    throw new Error(`cannot write ${register} (${code ?? String(error)})${hint}`);
  }
}

/** A handler definition from qemu-user-static: `:name:type:offset:magic:mask:interpreter:flags`. */
interface HostRule {
  file: string;
  line: string;
  name: string;
  interpreter: string;
}

async function chooseMethod(options: QemuOptions): Promise<QemuMethod> {
  const engine = options.dockerEngine ?? (() => dockerEngineAnswers(options.run));
  if (await engine()) return 'binfmt-image';
  const confDir = options.confDir ?? BINFMT_CONF_DIR;
  const binDir = options.binDir ?? '/usr/bin';
  if (await hostHasQemu(confDir, binDir)) return 'host';
  throw new Error(
    `qemu: auto found no way to install emulators: no Docker engine answers \`docker info\` (for the binfmt image), ` +
      `and the host has no qemu-user-static (no ${confDir}/qemu-*.conf, no ${binDir}/qemu-*-static). ` +
      'Install qemu-user-static, run on a host with Docker, or set qemu: false when every platform has a native builder node.'
  );
}

async function dockerEngineAnswers(run: Runner): Promise<boolean> {
  try {
    const result = await run('docker', ['info', '--format', '{{.ServerVersion}}'], {
      quiet: true,
      allowFailure: true,
      stallMs: 20_000
    });
    return result.code === 0 && result.stdout.trim() !== '';
  } catch {
    // No docker CLI, or a DOCKER_HOST that never answers.
    return false;
  }
}

async function hostHasQemu(confDir: string, binDir: string): Promise<boolean> {
  const list = async (dir: string): Promise<string[]> => readdir(dir).catch(() => []);
  if ((await list(confDir)).some((name) => /^qemu-.+\.conf$/.test(name))) return true;
  return (await list(binDir)).some((name) => /^qemu-.+-static$/.test(name));
}

async function installWithImage(options: QemuOptions, platforms: Platform[]): Promise<string[] | undefined> {
  const image = options.binfmtImage ?? DEFAULT_BINFMT_IMAGE;
  const { run, log } = options;
  // Pull only what is not here yet: every pull counts against Docker Hub's anonymous limit.
  const local = await run('docker', ['image', 'inspect', '--format', '{{.Id}}', image], {
    quiet: true,
    allowFailure: true
  });
  if (local.code !== 0) {
    await withRetry(() => run('docker', ['pull', image]), {
      retries: options.retries,
      what: `docker pull ${image}`,
      log
    });
  }
  const [command, ...args] = binfmtImageCommand(image, platforms);
  const result = await run(command, args);
  return emulatorsReported(result.stdout);
}

async function installFromHost(options: QemuOptions, dir: string, handlers: string[]): Promise<void> {
  const confDir = options.confDir ?? BINFMT_CONF_DIR;
  // Every rule and interpreter is checked before the kernel is touched, so a failure changes nothing.
  const rules: HostRule[] = [];
  for (const handler of handlers) rules.push(await hostRule(confDir, handler));
  if (!(await exists(path.join(dir, 'register')))) {
    try {
      await options.run('mount', ['-t', 'binfmt_misc', 'binfmt_misc', dir]);
    } catch (error) {
      throw new Error(
        `binfmt_misc is not mounted at ${dir} and mounting it failed (it needs root): ${(error as Error).message}`
      );
    }
  }
  const register = options.register ?? writeRegister;
  for (const rule of rules) {
    options.log.info(`registering ${rule.name} from ${rule.file} (interpreter ${rule.interpreter})`);
    await register(dir, rule.line);
  }
}

async function hostRule(confDir: string, handler: string): Promise<HostRule> {
  // Debian and Ubuntu name the file after the handler; Fedora adds -static.
  const candidates = [`${handler}.conf`, `${handler}-static.conf`].map((name) => path.join(confDir, name));
  for (const file of candidates) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      continue;
    }
    const line = text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '' && !l.startsWith('#'));
    // The first character is the field separator, `:` in practice.
    const fields = line ? line.slice(1).split(line[0]) : [];
    if (!line || fields.length < 7 || !fields[5])
      throw new Error(`${file} is not a binfmt_misc rule (":name:type:offset:magic:mask:interpreter:flags")`);
    const rule = { file, line, name: fields[0], interpreter: fields[5] };
    if (rule.name !== handler) throw new Error(`${file} registers ${rule.name}, not ${handler}`);
    await checkInterpreter(rule);
    return rule;
  }
  throw new Error(
    `${handler} is needed but the host has no rule for it (looked for ${candidates.join(', ')}): install qemu-user-static or use qemu: binfmt-image`
  );
}

async function checkInterpreter(rule: HostRule): Promise<void> {
  try {
    await access(rule.interpreter, constants.X_OK);
  } catch {
    // Debian's rules point at /usr/libexec/qemu-binfmt/*-binfmt-P, a link to /usr/bin/qemu-*-static.
    const target = await lstat(rule.interpreter)
      .then((s) => (s.isSymbolicLink() ? readlink(rule.interpreter) : undefined))
      .catch(() => undefined);
    throw new Error(
      `${rule.name}: interpreter ${rule.interpreter}${target ? ` (-> ${target})` : ''} named in ${rule.file} is missing or not executable: ` +
        'install qemu-user-static or use qemu: binfmt-image'
    );
  }
}

async function stillMissing(dir: string, handlers: string[], reported: string[] | undefined): Promise<string[]> {
  // When binfmt_misc is not mounted on this side, the binfmt container mounted its own view of
  // the same kernel table; its status report is then the only witness.
  if (!(await exists(path.join(dir, 'status'))) && !(await exists(path.join(dir, 'register'))) && reported) {
    return handlers.filter((h) => !reported.includes(h));
  }
  const out: string[] = [];
  for (const handler of handlers) if (!(await readHandler(dir, handler))?.enabled) out.push(handler);
  return out;
}

/** The `emulators` list tonistiigi/binfmt prints as JSON on stdout after installing. */
function emulatorsReported(stdout: string): string[] | undefined {
  const start = stdout.indexOf('{');
  if (start < 0) return undefined;
  try {
    const status = JSON.parse(stdout.slice(start)) as { emulators?: unknown };
    return Array.isArray(status.emulators)
      ? status.emulators.filter((e): e is string => typeof e === 'string')
      : undefined;
  } catch {
    return undefined;
  }
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false
  );
}

function ids(platforms: Platform[]): string {
  return platforms.map((p) => p.id).join(', ');
}
