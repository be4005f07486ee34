import {
  bootstrapArgv,
  getRequest,
  imagetoolsCreateArgv,
  inspectConfigArgv,
  inspectRawArgv,
  commitRefs,
  deleteRequest,
  headRequest,
  movedRefs,
  platformTagName,
  putRequest,
  removeBuilderArgv,
  withDigest,
  type CommitStep
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

  test('imagetools create --dry-run: the index a stage step PUTs by digest, with no tag', () => {
    expect(imagetoolsCreateArgv('b1', [], [SOURCE], ['index:a=b'], true)).toEqual([
      'imagetools',
      'create',
      '--builder',
      'b1',
      '--dry-run',
      '--annotation',
      'index:a=b',
      SOURCE
    ]);
  });

  test('the registry requests as the log shows them', () => {
    expect(getRequest(SOURCE)).toBe(`GET ${SOURCE}`);
    expect(putRequest(`${IMAGE}:1`, SOURCE)).toBe(`PUT ${IMAGE}:1 (the bytes of ${SOURCE})`);
    expect(headRequest(`${IMAGE}:1`)).toBe(`HEAD ${IMAGE}:1`);
    expect(deleteRequest(SOURCE)).toBe(`DELETE ${SOURCE}`);
  });

  test('withDigest: a sign command’s INDEX_DIGEST replaced, every occurrence', () => {
    expect(withDigest(['sign', `${IMAGE}@INDEX_DIGEST`, 'x=INDEX_DIGEST'], 'INDEX_DIGEST', 'sha256:f')).toEqual([
      'sign',
      `${IMAGE}@sha256:f`,
      'x=sha256:f'
    ]);
  });
});

describe('commitRefs and movedRefs: the floating tags held back leave every repository', () => {
  const step: CommitStep = {
    kind: 'commit',
    builder: 'b1',
    refs: [
      ...['1.1.9', '1.1', '1', 'latest'].map((t) => `${IMAGE}:${t}`),
      ...['1.1.9', '1', 'latest'].map((t) => `quay.io/octo/app:${t}`)
    ],
    platformTags: ['1.1.9', 'latest'].map((tag) => ({
      platform: 'linux/arm64',
      ref: `${IMAGE}:${tag}-arm64`,
      of: `${IMAGE}:${tag}`
    })),
    held: [],
    handOff: false
  };

  test('tags the registry holds back leave every repository; the rest keep their order', () => {
    const kept = commitRefs(step, ['1', 'latest']);
    expect(kept.refs).toEqual([`${IMAGE}:1.1.9`, `${IMAGE}:1.1`, 'quay.io/octo/app:1.1.9']);
    expect(kept.platformTags.map((p) => p.ref)).toEqual([`${IMAGE}:1.1.9-arm64`]);
    expect(movedRefs(step, ['1', 'latest'])).toEqual([
      `${IMAGE}:1.1.9`,
      `${IMAGE}:1.1`,
      'quay.io/octo/app:1.1.9',
      `${IMAGE}:1.1.9-arm64`
    ]);
  });

  test('a tag the plan holds (a pre-release’s latest) stays with nothing read from the registry', () => {
    const planHeld: CommitStep = {
      ...step,
      held: [{ tag: 'latest', current: undefined, ours: '1.1.9-rc.1', reason: 'prerelease' }]
    };
    expect(movedRefs(planHeld)).toEqual([
      `${IMAGE}:1.1.9`,
      `${IMAGE}:1.1`,
      `${IMAGE}:1`,
      'quay.io/octo/app:1.1.9',
      'quay.io/octo/app:1',
      `${IMAGE}:1.1.9-arm64`
    ]);
  });

  test('nothing held: the step as planned, platform tags last', () => {
    expect(commitRefs(step)).toEqual({ refs: step.refs, platformTags: step.platformTags });
    expect(movedRefs(step)).toEqual([...step.refs, `${IMAGE}:1.1.9-arm64`, `${IMAGE}:latest-arm64`]);
  });
});

test.each([
  { platform: 'linux/amd64', expected: 'amd64' },
  { platform: 'linux/arm/v7', expected: 'arm-v7' },
  { platform: 'windows/amd64', expected: 'windows-amd64' }
])('platformTagName: $platform → $expected', ({ platform, expected }) => {
  expect(platformTagName(platform)).toBe(expected);
});
