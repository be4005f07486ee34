import { parseCliArgs } from '../../src/cli/args.js';
import { usage } from '../../src/cli/help.js';

describe('the command line takes nodes like the action', () => {
  test('--nodes repeats, one node a line; --no-emulate and --node-fallback', () => {
    const parsed = parseCliArgs([
      '--nodes',
      'linux/amd64=ssh://me@xeon',
      '--nodes=linux/arm64=unix:///run/arm64.sock',
      '--no-emulate',
      '--node-fallback',
      'emulate'
    ]);
    expect(Object.fromEntries(parsed.inputs)).toEqual({
      nodes: 'linux/amd64=ssh://me@xeon\nlinux/arm64=unix:///run/arm64.sock',
      emulate: 'false',
      'node-fallback': 'emulate'
    });
  });

  test('--help lists --nodes as repeatable, and emulate as a switch', () => {
    const help = usage();
    const block = help
      .slice(help.indexOf('\n  --nodes VALUE') + 1)
      .split(/\n {2}(?=-)/)[0]
      .replace(/\s+/g, ' ');
    expect(block).toContain('Repeatable: each occurrence is one line.');
    expect(help).toContain('--emulate, --no-emulate');
    expect(help).toMatch(/^ {2}--node-fallback VALUE/m);
  });
});
