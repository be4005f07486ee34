import { World } from './support/world.js';

// mode matrix through the whole pipeline: nothing built or pushed, the matrix output and the summary set.

let w: World;
beforeAll(async () => {
  w = await World.start();
});
afterAll(() => w.close());
beforeEach(() => w.reset());

test('mode matrix: builds nothing, sets matrix, and the summary names the platform QEMU builds', async () => {
  const { result, error, mem } = await w.run({
    mode: 'matrix',
    images: '',
    platforms: 'linux/amd64,linux/arm64,linux/riscv64'
  });
  expect(error).toBeUndefined();
  expect(result).toBeUndefined();
  expect(w.commands()).toEqual([]);
  expect(w.requests()).toEqual([]);
  expect(mem.outputs).toEqual({
    matrix:
      '{"include":[{"platform":"linux/amd64","runner":"ubuntu-24.04"},{"platform":"linux/arm64","runner":"ubuntu-24.04-arm"},{"platform":"linux/riscv64","runner":"ubuntu-24.04"}]}'
  });
  expect(mem.summaries).toEqual([
    [
      '## Multi-arch image: the legs (mode matrix, nothing built)',
      '',
      '| Platform | Runner |',
      '|---|---|',
      '| `linux/amd64` | ubuntu-24.04 (native) |',
      '| `linux/arm64` | ubuntu-24.04-arm (native) |',
      '| `linux/riscv64` | ubuntu-24.04 (no native runner: built under QEMU) |',
      '',
      'No native runner for `linux/riscv64`: built under QEMU. A `runners` line (`linux/riscv64=LABEL`) gives it a machine of its own.',
      ''
    ].join('\n')
  ]);
  expect(mem.state).toEqual({});
});

test('mode matrix: a bad runners line fails naming the input before anything runs', async () => {
  const { error, mem } = await w.run({ mode: 'matrix', runners: 'linux/s390x' });
  expect((error as Error).message).toContain('input "runners"');
  expect(mem.outputs).toEqual({});
});
