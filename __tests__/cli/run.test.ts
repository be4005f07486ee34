import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { runCli } from '../../src/cli/run.js';
import { acceptedFlags, parseCliArgs, UsageError } from '../../src/cli/args.js';
import { usage } from '../../src/cli/help.js';
import {
  cliEdges,
  commandLineDirs,
  divertWorkflowCommands,
  formatOutputs,
  parseWorkflowCommand,
  resultTable
} from '../../src/cli/io.js';
import { recordingLog } from '../helpers/log.js';
import { INPUTS } from '../../src/inputs/specs.js';
import { DEFAULTS } from '../../src/inputs/read.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

describe('parseCliArgs', () => {
  test.each([
    { name: 'no flags: every input empty', argv: [], inputs: {} },
    {
      name: 'a value after the flag',
      argv: ['--platforms', 'linux/amd64,linux/arm64'],
      inputs: { platforms: 'linux/amd64,linux/arm64' }
    },
    {
      name: 'a value after =',
      argv: ['--images=127.0.0.1:5000/demo/hello'],
      inputs: { images: '127.0.0.1:5000/demo/hello' }
    },
    {
      name: 'a repeated list flag: one line each',
      argv: ['--tags', 'type=sha', '--tags', 'type=raw,value=latest'],
      inputs: { tags: 'type=sha\ntype=raw,value=latest' }
    },
    {
      name: 'build-args repeated',
      argv: ['--build-args', 'A=1', '--build-args=B=2'],
      inputs: { 'build-args': 'A=1\nB=2' }
    },
    { name: '--dry-run alone is true', argv: ['--dry-run'], inputs: { 'dry-run': 'true' } },
    { name: '--no-push is push false', argv: ['--no-push'], inputs: { push: 'false' } },
    { name: '--push=false', argv: ['--push=false'], inputs: { push: 'false' } },
    { name: '--no-cache is the no-cache input, true', argv: ['--no-cache'], inputs: { 'no-cache': 'true' } },
    { name: '--no-cache=false', argv: ['--no-cache=false'], inputs: { 'no-cache': 'false' } },
    { name: 'cache is a value, not a switch', argv: ['--cache', 'auto'], inputs: { cache: 'auto' } },
    { name: 'the same switch twice', argv: ['--push', '--push'], inputs: { push: 'true' } },
    { name: 'a value that starts with a dash, after =', argv: ['--target=--push'], inputs: { target: '--push' } },
    {
      name: 'remote driver',
      argv: [
        '--driver',
        'remote',
        '--endpoint',
        'unix:///run/buildkit/buildkitd.sock',
        '--builder=',
        '--mode',
        'build'
      ],
      inputs: { driver: 'remote', endpoint: 'unix:///run/buildkit/buildkitd.sock', builder: '', mode: 'build' }
    }
  ])('$name', ({ argv, inputs }) => {
    expect(Object.fromEntries(parseCliArgs(argv).inputs)).toEqual(inputs);
  });

  test('--mode platform with --run-id is accepted', () => {
    expect(Object.fromEntries(parseCliArgs(['--mode', 'platform', '--run-id', 'nightly-42']).inputs)).toEqual({
      mode: 'platform',
      'run-id': 'nightly-42'
    });
  });

  test.each([
    {
      name: 'nothing',
      argv: [],
      expected: {
        help: false,
        printOutputs: false,
        verbose: false,
        cleanUp: false,
        outputFile: undefined,
        stateFile: undefined
      }
    },
    { name: '-h', argv: ['-h'], expected: { help: true } },
    { name: '--help', argv: ['--help'], expected: { help: true } },
    {
      name: 'outputs to a file and printed',
      argv: ['--output-file', 'out.json', '--print-outputs'],
      expected: { outputFile: 'out.json', printOutputs: true }
    },
    {
      name: 'clean up from a state file',
      argv: ['--clean-up', '--state-file=s.json'],
      expected: { cleanUp: true, stateFile: 's.json' }
    }
  ])('own flags: $name', ({ argv, expected }) => {
    expect(parseCliArgs(argv)).toMatchObject(expected);
  });

  test.each([
    {
      name: 'an unknown flag lists the accepted ones',
      argv: ['--colour'],
      message:
        /^unknown flag --colour\. Accepted flags: --mode --images .*--no-push .*--output-file .*\(see --help\)\.$/
    },
    {
      name: 'a near miss is named',
      argv: ['--platform', 'linux/arm64'],
      message: /unknown flag --platform \(did you mean --platforms\?\)/
    },
    { name: 'a negated value input', argv: ['--no-mode'], message: /unknown flag --no-mode/ },
    { name: 'a word without a flag', argv: ['.'], message: /unexpected argument "\."/ },
    { name: 'a flag without its value', argv: ['--images'], message: /--images <value>' argument missing/ },
    {
      name: 'a flag whose value is missing before the next flag',
      argv: ['--images', '--push'],
      message: /'--images' argument is ambiguous/
    },
    {
      name: 'a one-value input given twice',
      argv: ['--driver', 'remote', '--driver', 'docker'],
      message: /--driver was given 2 times \("remote", "docker"\); it takes one value/
    },
    { name: 'a switch given both ways', argv: ['--push', '--no-push'], message: /--push was given 2 times/ },
    {
      name: '--output-file twice',
      argv: ['--output-file', 'a', '--output-file', 'b'],
      message: /--output-file was given 2 times/
    },
    { name: '--clean-up without a state file', argv: ['--clean-up'], message: /--clean-up needs --state-file/ },
    {
      name: '--mode platform without --run-id',
      argv: ['--mode', 'platform', '--images', 'r/app'],
      message:
        /^--mode platform needs --run-id ID: the merge \(--mode merge --run-id ID\) finds the legs by it; give every leg and the merge the same one$/
    },
    {
      name: '--mode platform with an empty --run-id',
      argv: ['--mode=platform', '--run-id='],
      message: /^--mode platform needs --run-id ID/
    }
  ])('rejects $name', ({ argv, message }) => {
    expect(() => parseCliArgs(argv)).toThrow(UsageError);
    expect(() => parseCliArgs(argv)).toThrow(message);
  });
});

describe('--help', () => {
  const help = usage();
  const flat = help.replace(/\s+/g, ' ');

  test.each(INPUTS.map((input) => ({ name: input.name, input })))('lists --$name with its description', ({ input }) => {
    expect(help).toMatch(new RegExp(`^  --${input.name}\\b`, 'm'));
    expect(flat).toContain(input.description.replace(/\s+/g, ' '));
  });

  test('says which flags repeat, how switches are negated, and the defaults', () => {
    const block = (flag: string) =>
      help
        .slice(help.indexOf(`\n  ${flag}`) + 1)
        .split(/\n {2}(?=-)/)[0]
        .replace(/\s+/g, ' ');
    expect(block('--tags VALUE')).toContain('Repeatable: each occurrence is one line.');
    expect(block('--mode VALUE')).not.toContain('Repeatable');
    expect(block('--platforms VALUE')).toContain('[default: linux/amd64,linux/arm64]');
    expect(block('--context VALUE')).toContain('[default: .]');
    expect(help).toContain('--push, --no-push');
    expect(help).toContain('--output-file FILE');
    expect(flat).toContain(
      'Exit status: 0 done, 1 the build or push failed (the reason on stderr), 2 bad flags or input values, ' +
        '130 interrupted (SIGINT or SIGTERM: what the run started is stopped and its builder removed first).'
    );
  });

  test('no line is wider than 100 columns', () => {
    const wide = help.split('\n').filter((line) => line.length > 100);
    expect(wide).toEqual([]);
  });
});

describe('action.yml and the command line', () => {
  const action = parse(readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as {
    inputs: Record<string, { description: string; default?: string }>;
  };

  test('every input of action.yml is a flag, and every input flag is in action.yml, in the same order', () => {
    expect(INPUTS.map((input) => input.name)).toEqual(Object.keys(action.inputs));
  });

  test.each(Object.entries(action.inputs).map(([name, spec]) => ({ name, spec })))(
    '$name: same description and default',
    ({ name, spec }) => {
      const input = INPUTS.find((i) => i.name === name);
      expect(input?.description).toBe(spec.description);
      expect(DEFAULTS[name] ?? '').toBe(spec.default ?? '');
    }
  );

  test('every input is accepted by the parser', () => {
    for (const input of INPUTS) expect(acceptedFlags()).toContain(`--${input.name}`);
    const argv = INPUTS.flatMap((input) =>
      input.kind === 'boolean' ? [`--${input.name}=false`] : [`--${input.name}`, 'x']
    );
    expect([...parseCliArgs(argv).inputs.keys()]).toEqual(INPUTS.map((i) => i.name));
  });
});

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

describe('runCli', () => {
  const io = (cwd = ROOT) => {
    const stdout = new Capture();
    const stderr = new Capture();
    return {
      stdout,
      stderr,
      io: { stdout, stderr, isTTY: false, env: { PATH: process.env.PATH, HOME: process.env.HOME }, cwd }
    };
  };

  test('--help: usage on stdout, exit 0', async () => {
    const { stdout, io: streams } = io();
    expect(await runCli(['--help'], streams)).toBe(0);
    expect(stdout.text).toBe(usage());
  });

  test('a bad flag: the reason on stderr, exit 2, nothing run', async () => {
    const { stdout, stderr, io: streams } = io();
    expect(await runCli(['--platform', 'linux/arm64'], streams)).toBe(2);
    expect(stderr.text).toMatch(/^multiarch-publish: unknown flag --platform \(did you mean --platforms\?\)/);
    expect(stdout.text).toBe('');
  });

  test('--mode platform without --run-id: exit 2, asking for it, nothing run', async () => {
    const { stdout, stderr, io: streams } = io();
    expect(await runCli(['--mode', 'platform', '--images', 'r/app'], streams)).toBe(2);
    expect(stderr.text).toMatch(/^multiarch-publish: --mode platform needs --run-id ID/);
    expect(stdout.text).toBe('');
  });

  test('a bad input value is named by its flag, exit 2', async () => {
    const { stderr, io: streams } = io();
    expect(await runCli(['--push=maybe', '--images', 'r/app'], streams)).toBe(2);
    expect(stderr.text).toBe('multiarch-publish: --push: "maybe" is not accepted; expected true or false\n');
  });

  test('a dry run in a git repository: the plan from git, the table, the outputs as JSON; exit 0', async () => {
    const repo = mkdtempSync(path.join(os.tmpdir(), 'cli-dry-'));
    try {
      cpSync(path.join(ROOT, '__tests__/fixtures/projects/arch'), repo, { recursive: true });
      const git = (...args: string[]) =>
        execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
          cwd: repo,
          stdio: 'pipe'
        })
          .toString()
          .trim();
      git('init', '-q', '-b', 'main');
      git('add', '.');
      git('commit', '-q', '-m', 'first');
      git('tag', 'v1.2.3');
      git('checkout', '-q', 'v1.2.3');
      const sha = git('rev-parse', 'HEAD');
      const { stdout, stderr, io: streams } = io(repo);
      const code = await runCli(
        [
          '--dry-run',
          '--images',
          '127.0.0.1:5000/dry/app',
          '--output-file',
          path.join(repo, 'out.json'),
          '--print-outputs'
        ],
        streams
      );
      expect({ code, stderr: stderr.text }).toEqual({ code: 0, stderr: '' });
      expect(stdout.text).toMatch(/^▶ Inputs$/m);
      expect(stdout.text).toMatch(/^✔ Plan \(dry run\) \(\d+\.\d s\)$/m);
      expect(stdout.text).toContain('  index    (nothing pushed)');
      const outputs = JSON.parse(readFileSync(path.join(repo, 'out.json'), 'utf8')) as Record<string, string>;
      expect(outputs.version).toBe('1.2.3');
      expect(outputs.tags.split('\n')).toEqual([
        '127.0.0.1:5000/dry/app:1.2.3',
        '127.0.0.1:5000/dry/app:1.2',
        '127.0.0.1:5000/dry/app:1',
        `127.0.0.1:5000/dry/app:sha-${sha.slice(0, 7)}`,
        '127.0.0.1:5000/dry/app:latest'
      ]);
      expect(stdout.text).toContain('version=1.2.3');
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });
});
