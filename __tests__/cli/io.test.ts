import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  cliEdges,
  commandLineDirs,
  divertWorkflowCommands,
  formatOutputs,
  parseWorkflowCommand,
  resultTable
} from '../../src/cli/io.js';
import { Capture } from '../support/capture.js';
import { recordingLog } from '../support/log.js';

describe('cliEdges', () => {
  const make = (options: { verbose?: boolean; isTTY?: boolean; stateFile?: string } = {}) => {
    const out = new Capture();
    let clock = 1000;
    const edges = cliEdges({
      flags: new Map([['platforms', 'linux/arm64']]),
      out,
      isTTY: options.isTTY ?? false,
      now: () => clock,
      ...options
    });
    return { edges, out, tick: (ms: number) => (clock += ms) };
  };

  test('inputs read the flags; a flag not given reads as empty', () => {
    const { edges } = make();
    expect(edges.input('platforms')).toBe('linux/arm64');
    expect(edges.input('tags')).toBe('');
  });

  test('a phase is headed, its lines stamped with seconds since it began, and closed with its time', async () => {
    const { edges, out, tick } = make();
    await edges.log.group('Build linux/amd64, linux/arm64', async () => {
      tick(1500);
      edges.log.info('#5 [linux/arm64 2/2] RUN uname -m\n#5 DONE 0.3s');
      tick(10800);
      edges.log.warning('cache export failed');
    });
    expect(out.text).toBe(
      [
        '▶ Build linux/amd64, linux/arm64',
        '[   1.5s] #5 [linux/arm64 2/2] RUN uname -m',
        '[   1.5s] #5 DONE 0.3s',
        '[  12.3s] warning: cache export failed',
        '✔ Build linux/amd64, linux/arm64 (12.3 s)',
        ''
      ].join('\n')
    );
  });

  test('a failed phase says so and the error goes on', async () => {
    const { edges, out, tick } = make();
    await expect(
      edges.log.group('Builder', async () => {
        tick(2000);
        throw new Error('no buildkitd');
      })
    ).rejects.toThrow('no buildkitd');
    expect(out.text).toBe('▶ Builder\n✖ Builder failed after 2.0 s\n');
  });

  test('colour only on a terminal', async () => {
    const tty = make({ isTTY: true });
    await tty.edges.log.group('QEMU', async () => undefined);
    expect(tty.out.text).toContain('\u001b[');
    const plain = make();
    await plain.edges.log.group('QEMU', async () => undefined);
    expect(plain.out.text).not.toContain('\u001b[');
  });

  test('debug lines only when verbose', () => {
    const quiet = make();
    quiet.edges.log.debug('hidden');
    expect(quiet.out.text).toBe('');
    const verbose = make({ verbose: true });
    verbose.edges.log.debug('shown');
    expect(verbose.out.text).toContain('debug: shown');
  });

  test('setSecret masks the value in everything printed afterwards', () => {
    const { edges, out } = make();
    edges.log.setSecret('s3cr3t-token');
    edges.log.info('password=s3cr3t-token');
    edges.log.warning('s3cr3t-token leaked?');
    edges.print('table s3cr3t-token');
    expect(out.text).not.toContain('s3cr3t-token');
    expect(out.text).toContain('password=***');
    expect(edges.masker.mask('s3cr3t-token')).toBe('***');
  });

  test('state is kept in memory, and in the state file when one is named', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cli-state-'));
    try {
      const file = path.join(dir, 'state.json');
      const { edges } = make({ stateFile: file });
      expect(edges.getState('cleanup')).toBe('');
      edges.saveState('cleanup', '{"builder":"b1"}');
      expect(edges.getState('cleanup')).toBe('{"builder":"b1"}');
      const later = cliEdges({ flags: new Map(), out: new Capture(), isTTY: false, stateFile: file });
      expect(later.getState('cleanup')).toBe('{"builder":"b1"}');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('commandLineDirs: the tool cache and temporary directory outside Actions', () => {
  test.each([
    {
      name: 'neither set: under ~/.cache',
      env: {},
      expected: {
        RUNNER_TOOL_CACHE: '/home/ann/.cache/multiarch-publish/tool-cache',
        RUNNER_TEMP: '/home/ann/.cache/multiarch-publish/tmp'
      }
    },
    {
      name: 'XDG_CACHE_HOME is honoured',
      env: { XDG_CACHE_HOME: '/var/cache/ann' },
      expected: {
        RUNNER_TOOL_CACHE: '/var/cache/ann/multiarch-publish/tool-cache',
        RUNNER_TEMP: '/var/cache/ann/multiarch-publish/tmp'
      }
    },
    {
      name: 'a relative XDG_CACHE_HOME is ignored, as the spec says',
      env: { XDG_CACHE_HOME: 'cache' },
      expected: {
        RUNNER_TOOL_CACHE: '/home/ann/.cache/multiarch-publish/tool-cache',
        RUNNER_TEMP: '/home/ann/.cache/multiarch-publish/tmp'
      }
    },
    {
      name: 'on a runner: both kept',
      env: { RUNNER_TOOL_CACHE: '/opt/hostedtoolcache', RUNNER_TEMP: '/home/runner/work/_temp' },
      expected: {}
    },
    {
      name: 'only the temp dir set',
      env: { RUNNER_TEMP: '/tmp/r' },
      expected: { RUNNER_TOOL_CACHE: '/home/ann/.cache/multiarch-publish/tool-cache' }
    }
  ])('$name', ({ env, expected }) => {
    expect(commandLineDirs(env, '/home/ann')).toEqual(expected);
  });
});

describe('workflow commands printed by the @actions libraries', () => {
  test.each([
    {
      name: 'debug',
      line: '::debug::checking cache: /x',
      expected: { command: 'debug', message: 'checking cache: /x' }
    },
    {
      name: 'a warning with parameters',
      line: '::warning file=a.ts,line=3::cache service down',
      expected: { command: 'warning', message: 'cache service down' }
    },
    {
      name: 'escaped newline and percent',
      line: '::error::two%0Alines 100%25',
      expected: { command: 'error', message: 'two\nlines 100%' }
    },
    { name: 'not a command', line: ':: not one', expected: undefined },
    { name: 'build output', line: '#5 [linux/arm64 2/2] RUN make', expected: undefined }
  ])('parseWorkflowCommand: $name', ({ line, expected }) => {
    expect(parseWorkflowCommand(line)).toEqual(expected);
  });

  test('on the terminal stream: debug to the log, warnings as warnings, masks added, other text untouched', () => {
    const out = new Capture();
    const log = recordingLog();
    const debugs: string[] = [];
    log.debug = (message) => void debugs.push(message);
    const restore = divertWorkflowCommands(out, log);
    out.write('::debug::downloading http://127.0.0.1/x\n');
    out.write(Buffer.from('::warning::slow mirror\n'));
    out.write('::add-mask::t0ken-value\n');
    out.write('::group::Caching\n');
    out.write('plain line\n');
    out.write('::debug::one\nthen text\n');
    restore();
    out.write('::debug::after restore\n');
    expect(out.text).toBe('plain line\nthen text\n::debug::after restore\n');
    expect(debugs).toEqual(['downloading http://127.0.0.1/x', '::group::Caching', 'one']);
    expect(log.warnings).toEqual(['slow mirror']);
    expect(log.secrets).toEqual(['t0ken-value']);
  });

  test("through the command line's edges: debug lines only with --verbose", () => {
    for (const verbose of [false, true]) {
      const out = new Capture();
      const edges = cliEdges({ flags: new Map(), out, isTTY: false, verbose, now: () => 0 });
      const restore = divertWorkflowCommands(out, edges.log);
      out.write('::debug::isExplicit: 0.36.1\n');
      restore();
      expect({ verbose, text: out.text }).toEqual({
        verbose,
        text: verbose ? '[   0.0s] debug: isExplicit: 0.36.1\n' : ''
      });
    }
  });
});

describe('the result', () => {
  const amd = `sha256:${'a'.repeat(64)}`;
  const arm = `sha256:${'b'.repeat(64)}`;
  const index = `sha256:${'c'.repeat(64)}`;

  test('a table of platform digests, the index digest and the tags', () => {
    const outputs = new Map([
      ['digest', index],
      ['tags', 'r/app:1.2.3\nr/app:latest'],
      ['version', '1.2.3'],
      ['platform-digests', JSON.stringify({ 'linux/amd64': amd, 'linux/arm64': arm })]
    ]);
    expect(resultTable(outputs)).toBe(
      [
        'Result',
        `  linux/amd64  ${amd}`,
        `  linux/arm64  ${arm}`,
        `  index        ${index}`,
        '  tags         r/app:1.2.3',
        '               r/app:latest',
        '  version      1.2.3'
      ].join('\n')
    );
  });

  test('a dry run: nothing pushed', () => {
    const table = resultTable(
      new Map([
        ['digest', ''],
        ['tags', ''],
        ['platform-digests', '{}']
      ])
    );
    expect(table).toBe(['Result', '  index  (nothing pushed)', '  tags   (none)'].join('\n'));
  });

  test('outputs as name=value, multi-line values in the $GITHUB_OUTPUT form', () => {
    const outputs = new Map([
      ['digest', index],
      ['tags', 'r/app:1\nEOF'],
      ['version', '']
    ]);
    expect(formatOutputs(outputs)).toBe(
      [`digest=${index}`, 'tags<<EOF_', 'r/app:1', 'EOF', 'EOF_', 'version='].join('\n')
    );
  });
});
