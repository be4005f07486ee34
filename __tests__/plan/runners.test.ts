import { InputError } from '../../src/plan/errors.js';
import { parsePlatforms } from '../../src/plan/platforms.js';
import { matrixLines, parseRunners, runnerMatrix } from '../../src/plan/runners.js';
import { errorOf } from '../support/errors.js';

const platforms = (ids: string) => parsePlatforms(ids.split(','));

describe('parseRunners', () => {
  test.each([
    { name: 'none', lines: [], expected: {} },
    {
      name: 'one runner',
      lines: ['linux/s390x=ubuntu-24.04-s390x'],
      expected: { 'linux/s390x': ['ubuntu-24.04-s390x'] }
    },
    {
      name: 'a label list, spaces trimmed',
      lines: ['linux/riscv64 = self-hosted, riscv64'],
      expected: { 'linux/riscv64': ['self-hosted', 'riscv64'] }
    },
    {
      name: 'a platform in another spelling is normalised',
      lines: ['arm64=my-arm', 'linux/arm/7=pi'],
      expected: { 'linux/arm64': ['my-arm'], 'linux/arm/v7': ['pi'] }
    }
  ])('$name', ({ lines, expected }) => {
    expect(Object.fromEntries(parseRunners(lines))).toEqual(expected);
  });

  test.each([
    { name: 'no =', line: 'ubuntu-24.04', accepted: 'one PLATFORM=RUNNER a line' },
    { name: 'no runner', line: 'linux/s390x=', accepted: 'one PLATFORM=RUNNER a line' },
    { name: 'commas only', line: 'linux/s390x=,,', accepted: 'one PLATFORM=RUNNER a line' },
    { name: 'a quoted label', line: 'linux/s390x="ibm"', accepted: 'a label has no spaces or quotes' },
    { name: 'an unknown platform', line: 'linux/sparc=box', accepted: 'linux/amd64' }
  ])('refuses $name', ({ line, accepted }) => {
    const error = errorOf(InputError, () => parseRunners([line]));
    expect(error.input).toBe('runners');
    expect(error.message).toContain(accepted);
  });

  test('refuses a platform given twice, naming it', () => {
    const error = errorOf(InputError, () => parseRunners(['linux/arm64=a', 'arm64=b']));
    expect(error.input).toBe('runners');
    expect(error.value).toBe('arm64=b');
    expect(error.message).toContain('linux/arm64 is given twice');
  });
});

describe('runnerMatrix', () => {
  test.each([
    {
      name: 'the default map',
      platforms: 'linux/amd64,linux/arm64',
      runners: [],
      include: [
        { platform: 'linux/amd64', runner: 'ubuntu-24.04' },
        { platform: 'linux/arm64', runner: 'ubuntu-24.04-arm' }
      ],
      emulated: [],
      lines: ['linux/amd64 → ubuntu-24.04 (native)', 'linux/arm64 → ubuntu-24.04-arm (native)']
    },
    {
      name: 'no native runner: the amd64 runner under QEMU, except 386 which it runs itself',
      platforms: 'linux/amd64,linux/riscv64,linux/arm/v7,linux/386',
      runners: [],
      include: [
        { platform: 'linux/amd64', runner: 'ubuntu-24.04' },
        { platform: 'linux/riscv64', runner: 'ubuntu-24.04' },
        { platform: 'linux/arm/v7', runner: 'ubuntu-24.04' },
        { platform: 'linux/386', runner: 'ubuntu-24.04' }
      ],
      emulated: ['linux/riscv64', 'linux/arm/v7'],
      lines: [
        'linux/amd64 → ubuntu-24.04 (native)',
        'linux/riscv64 → ubuntu-24.04 (no native runner: built under QEMU)',
        'linux/arm/v7 → ubuntu-24.04 (no native runner: built under QEMU)',
        'linux/386 → ubuntu-24.04 (no runner of its own: runs natively there)'
      ]
    },
    {
      name: 'user lines override the default and name the others; a label list is an array; unused lines left out',
      platforms: 'linux/amd64,linux/s390x,linux/riscv64',
      runners: [
        'linux/amd64=big-x86',
        'linux/s390x=ubuntu-24.04-s390x',
        'linux/riscv64=self-hosted,riscv64',
        'linux/ppc64le=p9'
      ],
      include: [
        { platform: 'linux/amd64', runner: 'big-x86' },
        { platform: 'linux/s390x', runner: 'ubuntu-24.04-s390x' },
        { platform: 'linux/riscv64', runner: ['self-hosted', 'riscv64'] }
      ],
      emulated: [],
      lines: [
        'linux/amd64 → big-x86 (from runners)',
        'linux/s390x → ubuntu-24.04-s390x (from runners)',
        'linux/riscv64 → [self-hosted, riscv64] (from runners)'
      ]
    }
  ])('$name', ({ platforms: ids, runners, include, emulated, lines }) => {
    const result = runnerMatrix(platforms(ids), parseRunners(runners));
    expect(result.matrix).toEqual({ include });
    expect(result.emulated).toEqual(emulated);
    expect(matrixLines(result)).toEqual(lines);
  });

  test('the JSON a workflow reads with fromJSON', () => {
    const result = runnerMatrix(
      platforms('linux/amd64,linux/riscv64'),
      parseRunners(['linux/riscv64=self-hosted,riscv64'])
    );
    expect(JSON.stringify(result.matrix)).toBe(
      '{"include":[{"platform":"linux/amd64","runner":"ubuntu-24.04"},{"platform":"linux/riscv64","runner":["self-hosted","riscv64"]}]}'
    );
  });
});
