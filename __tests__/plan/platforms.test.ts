import { describe, expect, test } from '@jest/globals';
import { InputError } from '../../src/plan/errors.js';
import {
  binfmtName,
  emulatorFor,
  nativePlatform,
  parsePlatforms,
  runsNatively,
  type Platform
} from '../../src/plan/platforms.js';

function only(text: string): Platform {
  return parsePlatforms([text])[0];
}

describe('parsePlatforms normalises the way containerd does', () => {
  test.each([
    { name: 'canonical amd64', given: ['linux/amd64'], ids: ['linux/amd64'] },
    { name: 'x86_64 is amd64', given: ['linux/x86_64'], ids: ['linux/amd64'] },
    { name: 'x86-64 is amd64', given: ['linux/x86-64'], ids: ['linux/amd64'] },
    { name: 'amd64/v1 is the baseline amd64', given: ['linux/amd64/v1'], ids: ['linux/amd64'] },
    { name: 'amd64/v3 keeps its variant', given: ['linux/amd64/v3'], ids: ['linux/amd64/v3'] },
    { name: 'aarch64 is arm64', given: ['linux/aarch64'], ids: ['linux/arm64'] },
    { name: 'arm64/v8 drops the variant', given: ['linux/arm64/v8'], ids: ['linux/arm64'] },
    { name: 'arm64/8 drops the variant', given: ['linux/arm64/8'], ids: ['linux/arm64'] },
    { name: 'bare arm is arm/v7', given: ['linux/arm'], ids: ['linux/arm/v7'] },
    { name: 'armhf is arm/v7', given: ['linux/armhf'], ids: ['linux/arm/v7'] },
    { name: 'armv7 is arm/v7', given: ['linux/armv7'], ids: ['linux/arm/v7'] },
    { name: 'armel is arm/v6', given: ['linux/armel'], ids: ['linux/arm/v6'] },
    { name: 'arm/6 is arm/v6', given: ['linux/arm/6'], ids: ['linux/arm/v6'] },
    {
      name: 'arm/v8 is accepted and kept, as buildx v0.36.1 builds it (platform arm/v8, not arm64; issue 21)',
      given: ['linux/arm/v8', 'linux/arm64'],
      ids: ['linux/arm/v8', 'linux/arm64']
    },
    { name: 'arm/8 is arm/v8', given: ['linux/arm/8'], ids: ['linux/arm/v8'] },
    { name: 'arm/v5 kept', given: ['linux/arm/v5'], ids: ['linux/arm/v5'] },
    { name: 'i386 is 386', given: ['linux/i386'], ids: ['linux/386'] },
    { name: 'ppc64le', given: ['linux/ppc64le'], ids: ['linux/ppc64le'] },
    { name: 'Debian ppc64el is ppc64le', given: ['linux/ppc64el'], ids: ['linux/ppc64le'] },
    { name: 's390x', given: ['linux/s390x'], ids: ['linux/s390x'] },
    { name: 'riscv64', given: ['linux/riscv64'], ids: ['linux/riscv64'] },
    { name: 'mips64el is mips64le', given: ['linux/mips64el'], ids: ['linux/mips64le'] },
    { name: 'loongarch64 is loong64', given: ['linux/loongarch64'], ids: ['linux/loong64'] },
    { name: 'upper case is lowered', given: ['Linux/ARM64'], ids: ['linux/arm64'] },
    { name: 'a bare architecture means linux', given: ['arm64'], ids: ['linux/arm64'] },
    {
      name: 'spaces around items are trimmed',
      given: [' linux/amd64 ', 'linux/arm64'],
      ids: ['linux/amd64', 'linux/arm64']
    },
    {
      name: 'order is kept',
      given: ['linux/riscv64', 'linux/amd64', 'linux/arm/v7'],
      ids: ['linux/riscv64', 'linux/amd64', 'linux/arm/v7']
    }
  ])('$name', ({ given, ids }) => {
    expect(parsePlatforms(given).map((p) => p.id)).toEqual(ids);
  });

  test.each([
    {
      name: 'arm/v7 has every field',
      given: 'linux/armhf',
      platform: { os: 'linux', arch: 'arm', variant: 'v7', id: 'linux/arm/v7' }
    },
    {
      name: 'arm64 has no variant',
      given: 'linux/arm64/v8',
      platform: { os: 'linux', arch: 'arm64', variant: undefined, id: 'linux/arm64' }
    }
  ])('$name', ({ given, platform }) => {
    expect(only(given)).toEqual(platform);
  });
});

describe('parsePlatforms rejects what cannot be built', () => {
  test.each([
    {
      name: 'swapped digits suggest amd64',
      given: ['linux/amd46'],
      message:
        /^input "platforms": "linux\/amd46" is not accepted; expected one of linux\/amd64, .*; did you mean linux\/amd64\?$/
    },
    {
      name: 'a misspelt alias suggests its platform',
      given: ['linux/aarch46'],
      message: /did you mean linux\/arm64\?$/
    },
    { name: 'a misspelt os suggests linux', given: ['linx/arm64'], message: /did you mean linux\/arm64\?$/ },
    { name: 'a dropped letter suggests riscv64', given: ['linux/riscv4'], message: /did you mean linux\/riscv64\?$/ },
    {
      name: 'arm64/v9 is no variant we build',
      given: ['linux/arm64/v9'],
      message: /"linux\/arm64\/v9" is not accepted; .*did you mean linux\/arm64\?$/
    },
    {
      name: 'windows is not built with emulation',
      given: ['windows/amd64'],
      message: /"windows\/amd64" is not accepted; expected one of linux\/amd64/
    },
    {
      name: 'an unknown architecture far from any',
      given: ['linux/sparc64'],
      message: /"linux\/sparc64" is not accepted; expected one of [^;]*$/
    },
    {
      name: 'an alias cannot take a second variant',
      given: ['linux/armhf/v6'],
      message: /"linux\/armhf\/v6" is not accepted/
    },
    { name: 'too many parts', given: ['linux/arm/v7/x'], message: /"linux\/arm\/v7\/x" is not accepted/ },
    { name: 'an empty part', given: ['linux//arm64'], message: /"linux\/\/arm64" is not accepted/ },
    {
      name: 'an empty list',
      given: [],
      message: /^input "platforms": "" is not accepted; expected at least one platform/
    },
    { name: 'a list of blanks', given: [' ', ''], message: /expected at least one platform/ },
    {
      name: 'the same platform twice',
      given: ['linux/amd64', 'linux/amd64'],
      message:
        /"linux\/amd64" is not accepted; expected each platform once, but this is linux\/amd64, already given as "linux\/amd64"$/
    },
    {
      name: 'the same platform under two spellings',
      given: ['linux/arm64', 'linux/aarch64'],
      message:
        /"linux\/aarch64" is not accepted; expected each platform once, but this is linux\/arm64, already given as "linux\/arm64"$/
    },
    {
      name: 'arm and arm/v7 are the same',
      given: ['linux/arm/v7', 'linux/arm'],
      message: /this is linux\/arm\/v7, already given as "linux\/arm\/v7"$/
    }
  ])('$name', ({ given, message }) => {
    expect(() => parsePlatforms(given)).toThrow(InputError);
    expect(() => parsePlatforms(given)).toThrow(message);
  });

  test('the error names the input it was given', () => {
    expect(() => parsePlatforms(['linux/amd46'], 'runners')).toThrow(/^input "runners": "linux\/amd46"/);
  });

  test('the accepted list is complete and in a stable order', () => {
    let message = '';
    try {
      parsePlatforms(['linux/sparc64']);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe(
      'input "platforms": "linux/sparc64" is not accepted; expected one of linux/amd64, linux/amd64/v2, linux/amd64/v3, ' +
        'linux/amd64/v4, linux/arm64, linux/arm/v5, linux/arm/v6, linux/arm/v7, linux/arm/v8, linux/386, linux/ppc64le, linux/s390x, ' +
        'linux/riscv64, linux/mips64le, linux/loong64'
    );
  });
});

describe('nativePlatform', () => {
  test.each([
    { name: 'x64 linux', arch: 'x64', os: 'linux', id: 'linux/amd64' },
    { name: 'arm64 linux', arch: 'arm64', os: 'linux', id: 'linux/arm64' },
    { name: '32-bit arm linux', arch: 'arm', os: 'linux', id: 'linux/arm/v7' },
    { name: 'ia32 linux', arch: 'ia32', os: 'linux', id: 'linux/386' },
    { name: 'ppc64 linux is little-endian', arch: 'ppc64', os: 'linux', id: 'linux/ppc64le' },
    { name: 'riscv64 linux', arch: 'riscv64', os: 'linux', id: 'linux/riscv64' },
    { name: 'an M1 Mac', arch: 'arm64', os: 'darwin', id: 'darwin/arm64' },
    { name: 'Windows', arch: 'x64', os: 'win32', id: 'windows/amd64' }
  ])('$name', ({ arch, os, id }) => {
    expect(nativePlatform(arch, os).id).toBe(id);
  });

  test('an architecture Node runs on but we do not build for is refused by name', () => {
    expect(() => nativePlatform('mips', 'linux')).toThrow(/unsupported host architecture "mips"/);
  });

  test('defaults to this machine', () => {
    expect(nativePlatform()).toEqual(nativePlatform(process.arch, process.platform));
  });
});

describe('emulatorFor and binfmtName', () => {
  test.each([
    { id: 'linux/arm64', emulator: 'qemu-aarch64', binfmt: 'arm64' },
    { id: 'linux/arm/v7', emulator: 'qemu-arm', binfmt: 'arm' },
    { id: 'linux/arm/v6', emulator: 'qemu-arm', binfmt: 'arm' },
    { id: 'linux/riscv64', emulator: 'qemu-riscv64', binfmt: 'riscv64' },
    { id: 'linux/ppc64le', emulator: 'qemu-ppc64le', binfmt: 'ppc64le' },
    { id: 'linux/s390x', emulator: 'qemu-s390x', binfmt: 's390x' },
    { id: 'linux/386', emulator: 'qemu-i386', binfmt: '386' },
    { id: 'linux/amd64', emulator: 'qemu-x86_64', binfmt: 'amd64' },
    { id: 'linux/amd64/v2', emulator: 'qemu-x86_64', binfmt: 'amd64' },
    { id: 'linux/mips64le', emulator: 'qemu-mips64el', binfmt: 'mips64le' },
    { id: 'linux/loong64', emulator: 'qemu-loongarch64', binfmt: 'loong64' }
  ])('$id needs $emulator, installed as $binfmt', ({ id, emulator, binfmt }) => {
    expect(emulatorFor(only(id))).toBe(emulator);
    expect(binfmtName(only(id))).toBe(binfmt);
  });
});

describe('runsNatively', () => {
  const amd64Host = nativePlatform('x64', 'linux');
  const arm64Host = nativePlatform('arm64', 'linux');
  const armHost = nativePlatform('arm', 'linux');
  test.each([
    { name: 'amd64 on amd64', id: 'linux/amd64', host: amd64Host, native: true },
    { name: 'amd64/v3 on amd64', id: 'linux/amd64/v3', host: amd64Host, native: true },
    { name: '386 on amd64', id: 'linux/386', host: amd64Host, native: true },
    { name: 'arm64 on amd64', id: 'linux/arm64', host: amd64Host, native: false },
    { name: 'arm/v7 on amd64', id: 'linux/arm/v7', host: amd64Host, native: false },
    { name: 'riscv64 on amd64', id: 'linux/riscv64', host: amd64Host, native: false },
    { name: 'arm64 on arm64', id: 'linux/arm64', host: arm64Host, native: true },
    { name: 'amd64 on arm64', id: 'linux/amd64', host: arm64Host, native: false },
    { name: '386 on arm64', id: 'linux/386', host: arm64Host, native: false },
    { name: 'arm/v7 on arm64 is not trusted to run natively', id: 'linux/arm/v7', host: arm64Host, native: false },
    { name: 'arm/v6 on an arm/v7 host', id: 'linux/arm/v6', host: armHost, native: true },
    {
      name: 'arm64 on a Mac is not this host running it',
      id: 'linux/arm64',
      host: nativePlatform('arm64', 'darwin'),
      native: false
    }
  ])('$name: $native', ({ id, host, native }) => {
    expect(runsNatively(only(id), host)).toBe(native);
  });
});
