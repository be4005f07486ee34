import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { post } from '../../src/pipeline/post.js';
import { loadState, saveState, type SavedState } from '../../src/pipeline/state.js';
import { memoryEdges } from '../helpers/edges.js';

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
    expect(loadState(edges)).toEqual(saved);
  });

  test('saved as one JSON record under "cleanup"', () => {
    const edges = memoryEdges();
    saveState(edges, { builder: 'b1', buildx: undefined, tempDir: '/tmp/t' });
    expect([...edges.state.entries()]).toEqual([['cleanup', '{"builder":"b1","tempDir":"/tmp/t"}']]);
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
});

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
      buildx: { command: fakeBuildx, prefix: ['buildx'], version: '0.36.1' },
      tempDir: ''
    });
    await post(edges);
    expect(readFileSync(calls, 'utf8')).toBe('buildx rm --force multiarch-7001-1-a1b2c3\n');
    expect(edges.log.lines).toContain('removed builder multiarch-7001-1-a1b2c3');
  });

  test('garbage state: nothing run, nothing removed', async () => {
    const edges = memoryEdges({}, { cleanup: '{"builder":' });
    await post(edges);
    expect(existsSync(calls)).toBe(false);
    expect(edges.log.lines).toEqual(['nothing to clean up']);
  });
});
