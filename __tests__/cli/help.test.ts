import { usage } from '../../src/cli/help.js';
import { INPUTS } from '../../src/inputs/specs.js';

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
    expect(block('--platforms VALUE')).toContain(
      "Empty: linux/amd64,linux/arm64; with load, the runner's own platform."
    );
    expect(block('--context VALUE')).toContain('[default: .]');
    // github-token's default is a runner expression: no default on the command line.
    expect(block('--github-token VALUE')).not.toContain('[default:');
    expect(block('--github-token VALUE')).toContain('prefer --secret-envs GIT_AUTH_TOKEN=VARIABLE');
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
