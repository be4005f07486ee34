import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Edges } from '../ports.js';
import type { BuildxBin } from '../tools/buildx/find.js';
import type { ChildWatcher } from '../tools/exec.js';

/** What the post step must clean up: only what main itself created. */
export interface SavedState {
  /** Name of a builder main created, or '' when it used one that already existed. */
  builder: string;
  /** One-node builders main made for node-fallback: emulate, removed by post too. */
  fallbackBuilders?: string[];
  buildx?: BuildxBin;
  /** A temporary directory main made (secret files, metadata), removed by post if main could not. */
  tempDir: string;
}

/**
 * A child process main started, still running when the record was last saved. Every child runs in
 * a process group of its own (led by it), so a main killed outright leaves the group running: the
 * build goes on and pushes. The start time and boot id tell the group apart from a later process
 * that got the same pid.
 */
export interface ProcessRecord {
  /** The child's pid, which is also its process group's id. */
  pid: number;
  /** Field 22 of /proc/<pid>/stat: clock ticks after boot when the process started. */
  startTicks: string;
  /** /proc/sys/kernel/random/boot_id when it started: ticks after boot mean nothing after a reboot. */
  bootId: string;
  /** The program's file name (e.g. `docker`, `buildx`), for the log. */
  command: string;
}

/** Everything post reads back: the clean-up record and the children that were running. */
export interface LoadedState extends SavedState {
  processes: ProcessRecord[];
}

export function saveState(edges: Edges, state: SavedState): void {
  edges.saveState('cleanup', JSON.stringify(state));
}

/**
 * The runner's child watcher for the pipeline: keeps the children that are running in the state
 * (key `processes`), saved as each one starts and ends, so a post step or `--clean-up` after a
 * SIGKILL can stop them. Where /proc is missing nothing is recorded: nothing could be verified.
 */
export function trackProcesses(edges: Edges, proc = '/proc'): ChildWatcher {
  const live = new Map<number, ProcessRecord>();
  return (pid, command, running) => {
    if (running) {
      const identity = processIdentity(pid, proc);
      if (!identity) return;
      live.set(pid, { pid, ...identity, command: path.basename(command) });
    } else if (!live.delete(pid)) {
      return;
    }
    edges.saveState('processes', JSON.stringify([...live.values()]));
  };
}

/** The start time and boot id of a live process, or undefined when it is gone (or there is no /proc). */
export function processIdentity(pid: number, proc = '/proc'): { startTicks: string; bootId: string } | undefined {
  try {
    const stat = readFileSync(path.join(proc, String(pid), 'stat'), 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
    const startTicks = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    const bootId = readFileSync(path.join(proc, 'sys/kernel/random/boot_id'), 'utf8').trim();
    return startTicks && /^\d+$/.test(startTicks) ? { startTicks, bootId } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads what main saved, every field checked: the record comes from a file or an environment
 * variable, and what it names is run (buildx) or removed (a builder, a directory, a process group).
 * A field that is not what main writes is dropped; a record that is not JSON is nothing to clean.
 */
export function loadState(edges: Edges): LoadedState | undefined {
  const raw = edges.getState('cleanup');
  const processes = loadProcesses(edges.getState('processes'));
  const nothing = processes.length > 0 ? { builder: '', tempDir: '', processes } : undefined;
  if (!raw) return nothing;
  let record: unknown;
  try {
    record = JSON.parse(raw);
  } catch {
    return nothing;
  }
  if (!isObject(record)) return nothing;
  return {
    builder: typeof record.builder === 'string' && BUILDER_NAME.test(record.builder) ? record.builder : '',
    ...(Array.isArray(record.fallbackBuilders)
      ? {
          fallbackBuilders: record.fallbackBuilders.filter(
            (b): b is string => typeof b === 'string' && BUILDER_NAME.test(b)
          )
        }
      : {}),
    buildx: buildxBin(record.buildx),
    tempDir: tempDirectory(record.tempDir),
    processes
  };
}

// The names docker accepts for a builder; never one that buildx would read as a flag.
const BUILDER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Only the two shapes findBuildx and installBuildx give: `docker buildx`, or a buildx binary itself. */
function buildxBin(value: unknown): BuildxBin | undefined {
  if (!isObject(value)) return undefined;
  const { command, prefix, version } = value;
  if (typeof command !== 'string' || typeof version !== 'string' || !Array.isArray(prefix)) return undefined;
  if (!/^(unknown|\d+\.\d+\.\d+[-+0-9A-Za-z.]*)$/.test(version)) return undefined;
  const plugin = command === 'docker' && prefix.length === 1 && prefix[0] === 'buildx';
  const standalone =
    prefix.length === 0 &&
    (command === 'buildx' || (path.isAbsolute(command) && /^(docker-)?buildx(\.exe)?$/.test(path.basename(command))));
  if (!plugin && !standalone) return undefined;
  return { command, prefix: prefix as string[], version };
}

/** Main's temporary directories are made by mkdtemp as <temp>/multiarch-XXXXXX. */
function tempDirectory(value: unknown): string {
  if (typeof value !== 'string' || !path.isAbsolute(value)) return '';
  const normal = path.normalize(value);
  return normal === value && /^multiarch-[A-Za-z0-9]+$/.test(path.basename(normal)) ? value : '';
}

function loadProcesses(raw: string): ProcessRecord[] {
  let parsed: unknown;
  try {
    parsed = raw ? JSON.parse(raw) : [];
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  return parsed
    .filter(
      (p): p is ProcessRecord =>
        isObject(p) &&
        Number.isSafeInteger(p.pid) &&
        (p.pid as number) > 1 &&
        typeof p.startTicks === 'string' &&
        /^\d+$/.test(p.startTicks) &&
        typeof p.bootId === 'string' &&
        /^[0-9a-f-]{1,64}$/.test(p.bootId) &&
        typeof p.command === 'string' &&
        /^[\w.+-]{1,64}$/.test(p.command)
    )
    .map(({ pid, startTicks, bootId, command }) => ({ pid, startTicks, bootId, command }));
}
