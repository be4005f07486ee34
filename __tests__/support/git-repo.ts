import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Masker, type Runner } from '../../src/ports.js';
import { recordingLog } from './log.js';
import { createRunner } from '../../src/tools/exec.js';

// Real repositories: git runs here, so the tests use it rather than a mock.
export function git(dir: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  return execFileSync('git', ['-C', dir, ...args], {
    encoding: 'utf8',
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: dir, ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  }).trim();
}

export function makeRepo(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'context-git-'));
  git(dir, ['init', '-q', '-b', 'main']);
  git(dir, ['config', 'user.name', 'Test']);
  git(dir, ['config', 'user.email', 'test@example.com']);
  git(dir, ['config', 'commit.gpgsign', 'false']);
  git(dir, ['config', 'tag.gpgsign', 'false']);
  return dir;
}

export function commit(dir: string, message: string, date: string): string {
  writeFileSync(path.join(dir, 'file.txt'), `${message}\n`);
  git(dir, ['add', 'file.txt']);
  git(dir, ['commit', '-q', '-m', message], { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date });
  return git(dir, ['rev-parse', 'HEAD']);
}

/** The real process seam, as the pipeline builds it; what it prints is kept for the test to read. */
export function gitRunner(): { run: Runner; lines: string[] } {
  const log = recordingLog();
  return { run: createRunner(log, new Masker()), lines: log.lines };
}
