import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../src/cli/run.js';
import { usage } from '../../src/cli/help.js';
import { Capture } from '../support/capture.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

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
        // HEAD is main's tip too: a local run publishes what both pushes would have.
        '127.0.0.1:5000/dry/app:main',
        '127.0.0.1:5000/dry/app:v1.2.3',
        `127.0.0.1:5000/dry/app:sha-${sha.slice(0, 7)}`,
        '127.0.0.1:5000/dry/app:latest'
      ]);
      expect(stdout.text).toContain('version=1.2.3');
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });
});
