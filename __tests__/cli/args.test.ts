import { acceptedFlags, parseCliArgs, UsageError } from '../../src/cli/args.js';
import { INPUTS } from '../../src/inputs/specs.js';

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

  test('--mode platform without --run-id is accepted where the CI gives the pipeline id', () => {
    expect(parseCliArgs(['--mode', 'platform'], { GITLAB_CI: 'true', CI_PIPELINE_ID: '9001' }).inputs.get('mode')).toBe(
      'platform'
    );
    expect(() => parseCliArgs(['--mode', 'platform'], { GITLAB_CI: 'true' })).toThrow(/needs --run-id/);
  });

  test('--outputs-file names the dotenv file', () => {
    expect(parseCliArgs(['--outputs-file', 'build.env']).outputsFile).toBe('build.env');
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
    {
      name: 'two swapped pairs of letters are two edits, still a near miss',
      argv: ['--paltfroms', 'linux/arm64'],
      message: /unknown flag --paltfroms \(did you mean --platforms\?\)/
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

// The flags are the spec table's inputs; __tests__/inputs/specs.test.ts holds the table to action.yml.
describe('the spec table and the command line', () => {
  test('every input is accepted by the parser', () => {
    for (const input of INPUTS) expect(acceptedFlags()).toContain(`--${input.name}`);
    const argv = INPUTS.flatMap((input) =>
      input.kind === 'boolean' ? [`--${input.name}=false`] : [`--${input.name}`, 'x']
    );
    expect([...parseCliArgs(argv).inputs.keys()]).toEqual(INPUTS.map((i) => i.name));
  });
});
