import { readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Edges, Log } from '../ports.js';
import { Masker } from '../ports.js';
import { createRunner } from '../tools/exec.js';
import { loadState, processIdentity, type ProcessRecord } from './state.js';
import { removeBuilder } from '../tools/buildx/builder.js';

/** Removes what main recorded it created, and nothing else. Never fails the job; safe to run twice. */
export async function post(edges: Edges, proc = '/proc'): Promise<void> {
  const log = edges.log;
  const state = loadState(edges);
  if (!state) {
    log.info('nothing to clean up');
    return;
  }
  await log.group('Clean up', async () => {
    // First the processes: a build still running would go on pushing, and holds the builder.
    for (const record of state.processes) await stopGroup(record, log, proc);
    for (const builder of [state.builder, ...(state.fallbackBuilders ?? [])]) {
      if (!builder || !state.buildx) continue;
      try {
        const outcome = await removeBuilder(
          { bin: state.buildx, run: createRunner(log, new Masker()), log, retries: 0 },
          builder
        );
        log.info(outcome === 'removed' ? `removed builder ${builder}` : `builder ${builder} was already gone`);
      } catch (error) {
        log.warning(`could not remove builder ${builder}: ${(error as Error).message}`);
      }
    }
    if (state.tempDir)
      await rm(state.tempDir, { recursive: true, force: true }).catch((e: Error) =>
        log.warning(`could not remove ${state.tempDir}: ${e.message}`)
      );
  });
}

/**
 * Stops a process group main started, if it is still that group. Its leader must be the very
 * process recorded (same start time, same boot): a pid reused by another program is never
 * signalled. A group whose leader has exited is still ours while any member lives, because the
 * kernel hands out no pid that is in use as a process group id.
 */
async function stopGroup(record: ProcessRecord, log: Log, proc: string): Promise<void> {
  const { pid, command } = record;
  const leader = processIdentity(pid, proc);
  if (leader && (leader.startTicks !== record.startTicks || leader.bootId !== record.bootId)) {
    log.info(`process ${pid} (${command}) has ended; pid ${pid} now belongs to another process, left alone`);
    return;
  }
  // A leader nobody reaped (its parent was killed) is a zombie: a group of zombies has ended too.
  if (groupMembers(pid, proc).length === 0) {
    log.info(`process group ${pid} (${command}) had already ended`);
    return;
  }
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + 10_000;
  while (groupMembers(pid, proc).length > 0 && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 100));
  if (groupMembers(pid, proc).length > 0) {
    signalGroup(pid, 'SIGKILL');
    log.info(`stopped process group ${pid} (${command}) with SIGKILL: it outlived SIGTERM by 10 s`);
  } else {
    log.info(`stopped process group ${pid} (${command}), left running by a run that was killed`);
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // gone meanwhile
  }
}

/** Live processes (zombies excluded) whose process group is `pgid`. */
function groupMembers(pgid: number, proc: string): number[] {
  const members: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync(proc);
  } catch {
    return members;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(path.join(proc, entry, 'stat'), 'utf8');
      // Fields after the command name: state, ppid, pgrp, …
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z') members.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return members;
}
