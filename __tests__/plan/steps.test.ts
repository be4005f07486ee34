import {
  bootstrapArgv,
  getRequest,
  imagetoolsCreateArgv,
  inspectConfigArgv,
  inspectRawArgv,
  platformTagName,
  publishedRefs,
  putRequest,
  removeBuilderArgv,
  withoutHeld,
  type PublishStep
} from '../../src/plan/steps.js';

const IMAGE = 'ghcr.io/octo/app';
const SOURCE = `${IMAGE}@sha256:${'a'.repeat(64)}`;

describe('the argv every step runs (the dry run prints the same)', () => {
  test.each([
    { name: 'bootstrap', argv: bootstrapArgv('b1'), expected: ['inspect', '--bootstrap', '--builder', 'b1'] },
    { name: 'remove', argv: removeBuilderArgv('b1'), expected: ['rm', '--force', 'b1'] },
    {
      name: 'inspect raw, with a builder',
      argv: inspectRawArgv('b1', `${IMAGE}:latest`),
      expected: ['imagetools', 'inspect', '--builder', 'b1', '--raw', `${IMAGE}:latest`]
    },
    {
      name: 'inspect raw, without a builder (a merge given none)',
      argv: inspectRawArgv('', `${IMAGE}:latest`),
      expected: ['imagetools', 'inspect', '--raw', `${IMAGE}:latest`]
    },
    {
      name: 'inspect the image config',
      argv: inspectConfigArgv('b1', SOURCE),
      expected: ['imagetools', 'inspect', '--builder', 'b1', '--format', '{{json .Image}}', SOURCE]
    },
    {
      name: 'imagetools create: annotations, then tags, then sources',
      argv: imagetoolsCreateArgv(
        '',
        [`${IMAGE}:1`, `${IMAGE}:latest`],
        [SOURCE, `${IMAGE}@sha256:${'b'.repeat(64)}`],
        ['index:org.opencontainers.image.version=1.0.0']
      ),
      expected: [
        'imagetools',
        'create',
        '--annotation',
        'index:org.opencontainers.image.version=1.0.0',
        '--tag',
        `${IMAGE}:1`,
        '--tag',
        `${IMAGE}:latest`,
        SOURCE,
        `${IMAGE}@sha256:${'b'.repeat(64)}`
      ]
    }
  ])('$name', ({ argv, expected }) => {
    expect(argv).toEqual(expected);
  });

  test('the registry requests as the log shows them', () => {
    expect(getRequest(SOURCE)).toBe(`GET ${SOURCE}`);
    expect(putRequest(`${IMAGE}:1`, SOURCE)).toBe(`PUT ${IMAGE}:1 (the bytes of ${SOURCE})`);
  });
});

describe('withoutHeld: floating tags that would move backwards stay where they are', () => {
  const step: PublishStep = {
    kind: 'publish',
    builder: 'b1',
    image: IMAGE,
    source: 'build',
    put: ['1.1.9', '1.1', '1', 'latest'].map((t) => `${IMAGE}:${t}`),
    imagetools: { refs: ['1.1.9', '1', 'latest'].map((t) => `quay.io/octo/app:${t}`), annotations: [] },
    floating: ['1.1', '1', 'latest'].map((tag) => ({ tag, ref: `${IMAGE}:${tag}` })),
    platformTags: ['1.1.9', 'latest'].map((tag) => ({
      platform: 'linux/arm64',
      ref: `${IMAGE}:${tag}-arm64`,
      of: `${IMAGE}:${tag}`
    })),
    handOff: false
  };

  test('held tags leave every image; the rest keep their order', () => {
    const kept = withoutHeld(step, ['1', 'latest']);
    expect(kept.put).toEqual([`${IMAGE}:1.1.9`, `${IMAGE}:1.1`]);
    expect(kept.imagetools.refs).toEqual(['quay.io/octo/app:1.1.9']);
    expect(kept.platformTags.map((p) => p.ref)).toEqual([`${IMAGE}:1.1.9-arm64`]);
    expect(publishedRefs(kept)).toEqual([
      `${IMAGE}:1.1.9`,
      `${IMAGE}:1.1`,
      'quay.io/octo/app:1.1.9',
      `${IMAGE}:1.1.9-arm64`
    ]);
  });

  test('nothing held: the step as planned', () => {
    expect(withoutHeld(step, [])).toEqual(step);
    expect(publishedRefs(step)).toEqual([...step.put, ...step.imagetools.refs, ...step.platformTags.map((p) => p.ref)]);
  });
});

test.each([
  { platform: 'linux/amd64', expected: 'amd64' },
  { platform: 'linux/arm/v7', expected: 'arm-v7' },
  { platform: 'windows/amd64', expected: 'windows-amd64' }
])('platformTagName: $platform → $expected', ({ platform, expected }) => {
  expect(platformTagName(platform)).toBe(expected);
});
