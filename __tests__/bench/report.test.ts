import { describe, expect, it } from '@jest/globals';
import { parseArgs } from '../../scripts/bench/args.js';
import { median, msec, Table, times, writeReport } from '../../scripts/bench/report.js';

describe('the bench report', () => {
  it('takes medians of the finite values only', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([NaN, 5])).toBe(5);
    expect(median([])).toBeNaN();
  });

  it('writes one Markdown table of every section, escaping | inside cells', () => {
    const t = new Table();
    t.header('1. Overhead');
    t.row('overhead of `a | b`', [300, 100, 200], msec, 'goal: at most 250 ms');
    t.single('ratio', times(0.5));
    const text = writeReport(
      { date: 'D', machine: 'M', versions: 'V', action: 'A', load: 'L', where: 'W' },
      [t],
      ['- no run failed.'],
      'Benchmark wall time: 1.00 s (sections 1).'
    );
    expect(text).toContain('| **1. Overhead** | | | | | |');
    expect(text).toContain('| overhead of `a \\| b` | 200 ms | 100 ms | 300 ms | 3 | goal: at most 250 ms |');
    expect(text).toContain('| ratio | 0.50× |  |  |  |  |');
    expect(text.trimEnd().split('\n').slice(-2)).toEqual([
      '- no run failed.',
      'Benchmark wall time: 1.00 s (sections 1).'
    ]);
  });

  it('takes --only, --runs and --out, and names a wrong argument', () => {
    const ids = ['1', '2', '10'];
    const opts = parseArgs(['--only', '1,10', '--runs=3', '--out', 'r.md'], ids, '/repo', {});
    expect(opts).toMatchObject({ runs: 3, out: 'r.md', dist: '/repo/dist' });
    expect(opts !== 'help' && [...opts.only]).toEqual(['1', '10']);
    expect(parseArgs(['--help'], ids, '/repo', {})).toBe('help');
    expect(() => parseArgs(['--only', '12'], ids, '/repo', {})).toThrow('--only: no section 12 (sections: 1, 2, 10)');
    expect(() => parseArgs(['--runs', '0'], ids, '/repo', {})).toThrow('--runs must be a whole number, at least 1');
    expect(() => parseArgs(['--fast'], ids, '/repo', {})).toThrow('unknown argument --fast');
  });
});
