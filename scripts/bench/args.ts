/** The bench's command line. */
import path from 'node:path';
import type { Options } from './harness.js';

export function usage(ids: string[]): string {
  return `usage: npm run bench -- [--out FILE] [--runs N (default 5, at least 1)] [--only ${ids.join(',')}] [--logs DIR (keep every action log)] [--dist DIR (another bundle; default dist/)] [--docker-actions DIR (docker's actions, section 11)]\n`;
}

/** The options, or 'help'; throws naming the argument that is wrong. */
export function parseArgs(argv: string[], ids: string[], root: string, env = process.env): Options | 'help' {
  const opts: Options = {
    out: '',
    logs: '',
    dist: path.join(root, 'dist'),
    runs: 5,
    only: new Set(ids),
    dockerActions: env.BENCH_DOCKER_ACTIONS ?? '/work/.mirror'
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      if (v === undefined || v === '') throw new Error(`${arg.split('=')[0]} needs a value`);
      return v;
    };
    const is = (name: string): boolean => arg === name || arg.startsWith(`${name}=`);
    if (is('--out')) opts.out = value();
    else if (is('--dist')) opts.dist = path.resolve(value());
    else if (is('--logs')) opts.logs = path.resolve(value());
    else if (is('--docker-actions')) opts.dockerActions = path.resolve(value());
    else if (is('--runs')) opts.runs = Number(value());
    else if (is('--only')) {
      opts.only = new Set(
        value()
          .split(',')
          .map((s) => s.trim())
      );
      const unknown = [...opts.only].filter((s) => !ids.includes(s));
      if (unknown.length) throw new Error(`--only: no section ${unknown.join(', ')} (sections: ${ids.join(', ')})`);
    } else if (arg === '-h' || arg === '--help') return 'help';
    else throw new Error(`unknown argument ${arg} (see --help)`);
  }
  if (!Number.isInteger(opts.runs) || opts.runs < 1) throw new Error('--runs must be a whole number, at least 1');
  return opts;
}
