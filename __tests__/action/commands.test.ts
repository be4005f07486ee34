import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as core from '../../src/action/commands.js';
import { parseCommandFile } from '../e2e/support/step-env.js';

describe('the runner protocol, written by the action itself', () => {
  let dir: string;
  let out: string[];
  const saved = { ...process.env };

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'commands-'));
    out = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
  });
  afterEach(() => {
    jest.restoreAllMocks();
    process.env = { ...saved };
    process.exitCode = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads an input as the runner passes it: INPUT_ upper case, spaces as _, trimmed', () => {
    process.env.INPUT_BUILD_ARGS = '  BASE=x\n';
    process.env['INPUT_MY_INPUT'] = 'y';
    expect(core.getInput('build-args')).toBe('');
    process.env['INPUT_BUILD-ARGS'] = '  BASE=x\n';
    expect(core.getInput('build-args')).toBe('BASE=x');
    expect(core.getInput('my input')).toBe('y');
    expect(core.getInput('absent')).toBe('');
  });

  it('appends outputs and state as delimited blocks the runner (and the e2e harness) read back', () => {
    const output = path.join(dir, 'output');
    const state = path.join(dir, 'state');
    writeFileSync(output, '');
    writeFileSync(state, '');
    process.env.GITHUB_OUTPUT = output;
    process.env.GITHUB_STATE = state;
    core.setOutput('tags', 'a:1\na:2');
    core.setOutput('digest', 'sha256:abc');
    core.saveState('builder', 'b1');
    expect(parseCommandFile(readFileSync(output, 'utf8'))).toEqual({ tags: 'a:1\na:2', digest: 'sha256:abc' });
    expect(readFileSync(state, 'utf8')).toMatch(/^builder<<ghadelimiter_[0-9a-f-]{36}\nb1\nghadelimiter_/);
    process.env.STATE_builder = 'b1';
    expect(core.getState('builder')).toBe('b1');
    expect(core.getState('other')).toBe('');
  });

  it('refuses a runner file that does not exist, and falls back to the command without one', () => {
    process.env.GITHUB_OUTPUT = path.join(dir, 'missing');
    expect(() => core.setOutput('x', '1')).toThrow(/GITHUB_OUTPUT names .*missing, which does not exist/);
    delete process.env.GITHUB_OUTPUT;
    core.setOutput('x', '1');
    expect(out.join('')).toBe(`${os.EOL}::set-output name=x::1${os.EOL}`);
  });

  it('escapes messages and properties so one command stays one line', () => {
    core.warning('50% done\r\nnext');
    core.error('bad: a, b', { file: 'Dockerfile,v2', startLine: 3 });
    core.debug('d');
    core.setSecret('s3cr3t');
    core.info('plain %0A stays');
    expect(out).toEqual([
      `::warning::50%25 done%0D%0Anext${os.EOL}`,
      `::error file=Dockerfile%2Cv2,line=3::bad: a, b${os.EOL}`,
      `::debug::d${os.EOL}`,
      `::add-mask::s3cr3t${os.EOL}`,
      `plain %0A stays${os.EOL}`
    ]);
  });

  it('closes a group however its work ends, and fails the step with an error annotation', async () => {
    await expect(
      core.group('Build', async () => {
        throw new Error('boom');
      })
    ).rejects.toThrow('boom');
    expect(await core.group('Ok', async () => 7)).toBe(7);
    core.setFailed('it failed');
    expect(out).toEqual([
      `::group::Build${os.EOL}`,
      `::endgroup::${os.EOL}`,
      `::group::Ok${os.EOL}`,
      `::endgroup::${os.EOL}`,
      `::error::it failed${os.EOL}`
    ]);
    expect(process.exitCode).toBe(1);
  });

  it('appends to the job summary when the runner gives one, and writes nothing without', async () => {
    const summary = path.join(dir, 'summary');
    writeFileSync(summary, '# one\n');
    process.env.GITHUB_STEP_SUMMARY = summary;
    await core.appendSummary('## two\n');
    expect(readFileSync(summary, 'utf8')).toBe('# one\n## two\n');
    delete process.env.GITHUB_STEP_SUMMARY;
    await expect(core.appendSummary('## three\n')).resolves.toBeUndefined();
  });
});
