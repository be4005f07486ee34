import { spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { post } from '../../src/pipeline/post.js';
import {
  loadState,
  processIdentity,
  saveState,
  trackProcesses,
  type ProcessRecord,
  type SavedState
} from '../../src/pipeline/state.js';
import { Masker } from '../../src/ports.js';
import { createRunner } from '../../src/tools/exec.js';
import { recordingLog } from '../support/log.js';
import { memoryEdges } from '../support/edges.js';

describe('saveState / loadState', () => {
  test.each<{ name: string; saved: SavedState }>([
    {
      name: 'a builder main created, with the buildx plugin',
      saved: {
        builder: 'multiarch-7001-1-a1b2c3',
        buildx: { command: 'docker', prefix: ['buildx'], version: '0.36.1' },
        tempDir: '/home/runner/work/_temp/multiarch-Xy12'
      }
    },
    {
      name: 'a standalone buildx of unknown version',
      saved: {
        builder: 'multiarch-local-1-ffffff',
        buildx: { command: '/opt/hostedtoolcache/buildx/0.36.1/x64/buildx', prefix: [], version: 'unknown' },
        tempDir: '/tmp/multiarch-1'
      }
    },
    {
      name: 'an existing builder (nothing to remove), before buildx was found',
      saved: { builder: '', buildx: undefined, tempDir: '/tmp/multiarch-2' }
    }
  ])('round trip: $name', ({ saved }) => {
    const edges = memoryEdges();
    saveState(edges, saved);
    expect(loadState(edges)).toEqual({ ...saved, processes: [] });
  });

  test('saved as one JSON record under "cleanup"', () => {
    const edges = memoryEdges();
    saveState(edges, { builder: 'b1', buildx: undefined, tempDir: '/tmp/t' });
    expect(Object.entries(edges.state)).toEqual([['cleanup', '{"builder":"b1","tempDir":"/tmp/t"}']]);
  });

  test('the last save wins (main saves again once the builder exists)', () => {
    const edges = memoryEdges();
    saveState(edges, { builder: '', buildx: undefined, tempDir: '/tmp/t' });
    saveState(edges, {
      builder: 'b2',
      buildx: { command: 'docker', prefix: ['buildx'], version: '0.36.1' },
      tempDir: '/tmp/t'
    });
    expect(loadState(edges)?.builder).toBe('b2');
  });

  test.each([
    { name: 'nothing saved', raw: undefined },
    { name: 'an empty record', raw: '' },
    { name: 'not JSON', raw: '{"builder":"b1",' },
    { name: 'plain text', raw: 'multiarch-7001-1-a1b2c3' },
    { name: 'JSON null', raw: 'null' }
  ])('garbage is nothing to clean: $name', ({ raw }) => {
    const edges = memoryEdges({}, raw === undefined ? {} : { cleanup: raw });
    expect(loadState(edges)).toBeUndefined();
  });

  test.each([
    { name: 'wrong types', raw: '{"builder":5,"tempDir":["/tmp"]}' },
    { name: 'an empty object', raw: '{}' },
    { name: 'an array', raw: '[]' },
    { name: 'a number', raw: '42' }
  ])('a record of the wrong shape names no builder and no directory: $name', ({ raw }) => {
    const edges = memoryEdges({}, { cleanup: raw });
    const state = loadState(edges);
    expect([state?.builder ?? '', state?.tempDir ?? '']).toEqual(['', '']);
  });

  const GOOD = { builder: 'multiarch-7001-1-a1b2c3', tempDir: '/tmp/multiarch-Xy12ab' };
  test.each([
    { name: 'buildx that is another program', buildx: { command: '/bin/rm', prefix: ['-rf', '/'], version: '0.36.1' } },
    { name: 'docker with another subcommand', buildx: { command: 'docker', prefix: ['run'], version: '0.36.1' } },
    { name: 'a relative path', buildx: { command: 'bin/buildx', prefix: [], version: '0.36.1' } },
    {
      name: 'a buildx binary with extra words',
      buildx: { command: '/usr/bin/buildx', prefix: ['--debug'], version: '1' }
    },
    { name: 'a version that is not one', buildx: { command: 'docker', prefix: ['buildx'], version: '$(id)' } },
    { name: 'prefix not a list', buildx: { command: 'docker', prefix: 'buildx', version: '0.36.1' } },
    { name: 'a string', buildx: 'docker buildx' }
  ])('a buildx record main never writes is dropped: $name', ({ buildx }) => {
    const edges = memoryEdges({}, { cleanup: JSON.stringify({ ...GOOD, buildx }) });
    expect(loadState(edges)).toEqual({ ...GOOD, buildx: undefined, processes: [] });
  });

  test.each([
    { name: 'the plugin', buildx: { command: 'docker', prefix: ['buildx'], version: '0.36.1' } },
    { name: 'buildx on PATH', buildx: { command: 'buildx', prefix: [], version: 'unknown' } },
    {
      name: 'the installed binary',
      buildx: { command: '/opt/hostedtoolcache/buildx/0.36.1/x64/docker-buildx', prefix: [], version: '0.36.1-rc1' }
    }
  ])('a buildx record main writes is kept: $name', ({ buildx }) => {
    const edges = memoryEdges({}, { cleanup: JSON.stringify({ ...GOOD, buildx }) });
    expect(loadState(edges)?.buildx).toEqual(buildx);
  });

  test.each([
    {
      name: 'a flag',
      builder: '--all-inactive',
      tempDir: '/tmp/multiarch-1',
      expected: { builder: '', tempDir: '/tmp/multiarch-1' }
    },
    {
      name: 'a space',
      builder: 'a b',
      tempDir: '/tmp/multiarch-1',
      expected: { builder: '', tempDir: '/tmp/multiarch-1' }
    },
    { name: 'the root directory', builder: 'b1', tempDir: '/', expected: { builder: 'b1', tempDir: '' } },
    { name: 'a home directory', builder: 'b1', tempDir: '/home/runner', expected: { builder: 'b1', tempDir: '' } },
    { name: 'a relative directory', builder: 'b1', tempDir: 'multiarch-1', expected: { builder: 'b1', tempDir: '' } },
    { name: 'a way out', builder: 'b1', tempDir: '/tmp/multiarch-1/../..', expected: { builder: 'b1', tempDir: '' } }
  ])('a builder or directory main never makes is dropped: $name', ({ builder, tempDir, expected }) => {
    const edges = memoryEdges({}, { cleanup: JSON.stringify({ builder, tempDir }) });
    const state = loadState(edges);
    expect({ builder: state?.builder, tempDir: state?.tempDir }).toEqual(expected);
  });

  const RECORD = { pid: 4242, startTicks: '123456', bootId: '6a1c0e4e-8d7f-4c1b-9a55-0f3b2d9e7c11', command: 'docker' };
  test.each([
    { name: 'a good record', raw: JSON.stringify([RECORD]), expected: [RECORD] },
    { name: 'extra fields are not carried', raw: JSON.stringify([{ ...RECORD, argv: ['x'] }]), expected: [RECORD] },
    { name: 'pid 1', raw: JSON.stringify([{ ...RECORD, pid: 1 }]), expected: [] },
    { name: 'a negative pid (a signal to every process)', raw: JSON.stringify([{ ...RECORD, pid: -1 }]), expected: [] },
    { name: 'a pid as text', raw: JSON.stringify([{ ...RECORD, pid: '4242' }]), expected: [] },
    { name: 'no start time', raw: JSON.stringify([{ ...RECORD, startTicks: '' }]), expected: [] },
    { name: 'a command with a path', raw: JSON.stringify([{ ...RECORD, command: '/bin/sh -c' }]), expected: [] },
    { name: 'not a list', raw: JSON.stringify(RECORD), expected: [] },
    { name: 'not JSON', raw: '[{"pid":', expected: [] }
  ])('process records are checked one by one: $name', ({ raw, expected }) => {
    const edges = memoryEdges({}, { cleanup: JSON.stringify(GOOD), processes: raw });
    expect(loadState(edges)?.processes).toEqual(expected);
  });

  test('processes alone (main killed before its first save) are still something to clean', () => {
    const edges = memoryEdges({}, { processes: JSON.stringify([RECORD]) });
    expect(loadState(edges)).toEqual({ builder: '', tempDir: '', processes: [RECORD] });
  });
});

/** A detached `sleep` in a process group of its own, with a child of its own, as buildx runs. */
function startGroup(): ChildProcess {
  const child = spawn('sh', ['-c', 'sleep 300 & sleep 300; wait'], { detached: true, stdio: 'ignore' });
  child.unref();
  return child;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(check: () => boolean, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  return check();
}

describe("trackProcesses: the runner's children in the state", () => {
  test('a child is saved while it runs, with its start time, and dropped when it ends', async () => {
    const edges = memoryEdges();
    const runner = createRunner(recordingLog(), new Masker(), trackProcesses(edges));
    const seen: string[] = [];
    const done = runner('sh', ['-c', 'echo started; sleep 0.5'], { quiet: true });
    await until(() => 'processes' in edges.state);
    seen.push(edges.state.processes ?? '');
    await done;
    const [record] = JSON.parse(seen[0]) as ProcessRecord[];
    expect(record.command).toBe('sh');
    expect(processIdentity(record.pid)).toBeUndefined();
    expect(record.startTicks).toMatch(/^\d+$/);
    expect(edges.state.processes).toBe('[]');
  });

  test('without /proc nothing is recorded (nothing could be verified later)', async () => {
    const edges = memoryEdges();
    const runner = createRunner(recordingLog(), new Masker(), trackProcesses(edges, '/nonexistent-proc'));
    await runner('true', [], { quiet: true });
    expect('processes' in edges.state).toBe(false);
  });
});

describe('post: stops the process groups a killed main left running', () => {
  const started: number[] = [];
  afterEach(() => {
    for (const pid of started.splice(0)) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already stopped by the test
      }
    }
  });

  test('the recorded group is stopped, its children too', async () => {
    const child = startGroup();
    const pid = child.pid!;
    started.push(pid);
    const identity = processIdentity(pid)!;
    const edges = memoryEdges({}, { processes: JSON.stringify([{ pid, ...identity, command: 'sh' }]) });
    await until(() => groupSize(pid) === 3);
    expect(groupSize(pid)).toBe(3);
    await post(edges);
    expect(await until(() => groupSize(pid) === 0)).toBe(true);
    expect(edges.log.lines).toEqual([`stopped process group ${pid} (sh), left running by a run that was killed`]);
  });

  test('a pid that now belongs to another process (other start time) is left alone', async () => {
    const child = startGroup();
    const pid = child.pid!;
    started.push(pid);
    const identity = processIdentity(pid)!;
    const recycled = {
      pid,
      startTicks: String(Number(identity.startTicks) - 1),
      bootId: identity.bootId,
      command: 'docker'
    };
    const edges = memoryEdges({}, { processes: JSON.stringify([recycled]) });
    await post(edges);
    expect(alive(pid)).toBe(true);
    expect(edges.log.lines).toEqual([
      `process ${pid} (docker) has ended; pid ${pid} now belongs to another process, left alone`
    ]);
  });

  test('a record from before a reboot (other boot id) is left alone', async () => {
    const child = startGroup();
    const pid = child.pid!;
    started.push(pid);
    const identity = processIdentity(pid)!;
    const edges = memoryEdges(
      {},
      { processes: JSON.stringify([{ pid, startTicks: identity.startTicks, bootId: '0-0', command: 'sh' }]) }
    );
    await post(edges);
    expect(alive(pid)).toBe(true);
  });

  test('a group that has ended: nothing signalled, said once', async () => {
    const child = spawn('true', [], { detached: true, stdio: 'ignore' });
    const pid = child.pid!;
    const identity = processIdentity(pid) ?? { startTicks: '1', bootId: '0-0' };
    await new Promise((resolve) => child.on('exit', resolve));
    const edges = memoryEdges({}, { processes: JSON.stringify([{ pid, ...identity, command: 'true' }]) });
    await post(edges);
    expect(edges.log.lines).toEqual([`process group ${pid} (true) had already ended`]);
  });
});

/** Live members of a process group, read from /proc as post reads them. */
function groupSize(pgid: number): number {
  let count = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z') count++;
    } catch {
      // gone meanwhile
    }
  }
  return count;
}

describe('post: cleans only what the state names', () => {
  let dir: string;
  let fakeBuildx: string;
  let calls: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'state-test-'));
    calls = path.join(dir, 'calls');
    // A stand-in buildx that records how it was called: this machine's buildx would need a builder to remove.
    fakeBuildx = path.join(dir, 'buildx');
    writeFileSync(fakeBuildx, `#!/bin/sh\necho "$*" >> "${calls}"\n`);
    chmodSync(fakeBuildx, 0o755);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test("builder '' means nothing to remove; the temp dir still goes", async () => {
    const temp = path.join(dir, 'multiarch-t');
    mkdirSync(temp);
    writeFileSync(path.join(temp, 'secret-npm'), 'value');
    const edges = memoryEdges();
    saveState(edges, { builder: '', buildx: { command: fakeBuildx, prefix: [], version: '0.36.1' }, tempDir: temp });
    await post(edges);
    expect(existsSync(calls)).toBe(false);
    expect(existsSync(temp)).toBe(false);
    expect(edges.log.lines.filter((l) => l.startsWith('[command]'))).toEqual([]);
  });

  test('a builder main created is removed with the buildx it used', async () => {
    const edges = memoryEdges();
    saveState(edges, {
      builder: 'multiarch-7001-1-a1b2c3',
      buildx: { command: fakeBuildx, prefix: [], version: '0.36.1' },
      tempDir: ''
    });
    await post(edges);
    expect(readFileSync(calls, 'utf8')).toBe('rm --force multiarch-7001-1-a1b2c3\n');
    expect(edges.log.lines).toContain('removed builder multiarch-7001-1-a1b2c3');
  });

  test('garbage state: nothing run, nothing removed', async () => {
    const edges = memoryEdges({}, { cleanup: '{"builder":' });
    await post(edges);
    expect(existsSync(calls)).toBe(false);
    expect(edges.log.lines).toEqual(['nothing to clean up']);
  });
});
