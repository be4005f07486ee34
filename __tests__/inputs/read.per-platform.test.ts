import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readInputs } from '../../src/inputs/read.js';
import { nativePlatform } from '../../src/plan/platforms.js';
import type { Inputs } from '../../src/plan/inputs.js';
import { InputError } from '../../src/plan/errors.js';

let workspace: string;
beforeAll(() => {
  workspace = mkdtempSync(path.join(os.tmpdir(), 'inputs-per-platform-'));
  writeFileSync(path.join(workspace, 'Dockerfile'), 'FROM scratch\n');
  writeFileSync(path.join(workspace, 'Dockerfile.armv6'), 'FROM scratch\n');
});
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

function read(given: Record<string, string | undefined>): Inputs {
  return readInputs((name) => given[name] ?? '', workspace, nativePlatform('x64', 'linux'));
}

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof InputError) return err.message;
    throw new Error(`expected an InputError, got ${String(err)}`);
  }
  throw new Error('expected an InputError, nothing was thrown');
}

const BASE = { images: 'ghcr.io/octo/app', platforms: 'linux/amd64,linux/arm64,linux/arm/v6' };

describe('file, target and build-args may name a platform', () => {
  test.each([
    {
      name: 'nothing per platform',
      given: { 'build-args': 'A=1' },
      expected: { file: '', target: '', buildArgs: ['A=1'], perPlatform: {} }
    },
    {
      name: 'a Dockerfile for arm/v6, the default for the rest',
      given: { file: 'linux/arm/v6=Dockerfile.armv6' },
      expected: {
        file: '',
        target: '',
        buildArgs: [],
        perPlatform: { 'linux/arm/v6': { file: 'Dockerfile.armv6', buildArgs: [] } }
      }
    },
    {
      name: 'a common Dockerfile and one of arm/v6, spelt armv6',
      given: { file: 'Dockerfile\nlinux/armv6=Dockerfile.armv6' },
      expected: {
        file: 'Dockerfile',
        target: '',
        buildArgs: [],
        perPlatform: { 'linux/arm/v6': { file: 'Dockerfile.armv6', buildArgs: [] } }
      }
    },
    {
      name: 'build-args: common, and a KEY=value for arm64 only (its own = kept)',
      given: { 'build-args': 'A=1\nlinux/arm64=B=x=y\nlinux/arm64=C=2' },
      expected: {
        file: '',
        target: '',
        buildArgs: ['A=1'],
        perPlatform: { 'linux/arm64': { buildArgs: ['B=x=y', 'C=2'] } }
      }
    },
    {
      name: 'a target for arm64',
      given: { target: 'final\nlinux/arm64=runtime' },
      expected: {
        file: '',
        target: 'final',
        buildArgs: [],
        perPlatform: { 'linux/arm64': { target: 'runtime', buildArgs: [] } }
      }
    },
    {
      name: 'a build-arg whose key has a slash but is no platform stays common',
      given: { 'build-args': 'docker/x=1' },
      expected: { file: '', target: '', buildArgs: ['docker/x=1'], perPlatform: {} }
    }
  ])('$name', ({ given, expected }) => {
    const got = read({ ...BASE, ...given });
    expect({
      file: got.build.file,
      target: got.build.target,
      buildArgs: got.build.buildArgs,
      perPlatform: got.perPlatform
    }).toEqual(expected);
  });

  test.each([
    {
      name: 'a platform not built',
      given: { file: 'linux/riscv64=Dockerfile.armv6' },
      message:
        'input "file": "linux/riscv64=Dockerfile.armv6" is not accepted; expected a platform among the ones built (linux/amd64, linux/arm64, linux/arm/v6) before the first ='
    },
    {
      name: 'a misspelt platform',
      given: { 'build-args': 'linux/amd46=A=1' },
      message:
        'input "build-args": "linux/amd46" is not accepted; expected one of linux/amd64, linux/amd64/v2, linux/amd64/v3, linux/amd64/v4, linux/arm64, linux/arm/v5, linux/arm/v6, linux/arm/v7, linux/arm/v8, linux/386, linux/ppc64le, linux/s390x, linux/riscv64, linux/mips64le, linux/loong64; did you mean linux/amd64?'
    },
    {
      name: 'a platform Dockerfile that does not exist',
      given: { file: 'linux/arm64=Dockerfile.nope' },
      message: 'input "file": "linux/arm64=Dockerfile.nope" is not accepted; expected an existing Dockerfile'
    },
    {
      name: 'two targets for one platform',
      given: { target: 'linux/arm64=a\nlinux/arm64=b' },
      message: 'input "target": "linux/arm64=a\\nlinux/arm64=b" is not accepted; expected one linux/arm64= line'
    },
    {
      name: 'two common Dockerfiles',
      given: { file: 'Dockerfile\nDockerfile.armv6' },
      message:
        'input "file": "Dockerfile\\nDockerfile.armv6" is not accepted; expected one value, plus at most one PLATFORM=value line per platform (e.g. linux/arm/v6=Dockerfile.armv6)'
    },
    {
      name: 'a platform with no value',
      given: { target: 'linux/arm64=' },
      message: 'input "target": "linux/arm64=" is not accepted; expected linux/arm64=a value'
    }
  ])('refused: $name', ({ given, message }) => {
    expect(messageOf(() => read({ ...BASE, ...given }))).toBe(message);
  });
});
