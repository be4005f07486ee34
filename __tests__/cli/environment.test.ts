import { dotenv, environmentInputs } from '../../src/cli/environment.js';

describe('environmentInputs', () => {
  test.each([
    {
      name: 'GitLab: images from CI_REGISTRY_IMAGE',
      flags: {},
      env: { GITLAB_CI: 'true', CI_REGISTRY_IMAGE: 'registry.gitlab.com/acme/app' },
      inputs: { images: 'registry.gitlab.com/acme/app' },
      notes: ['images: registry.gitlab.com/acme/app (from CI_REGISTRY_IMAGE)']
    },
    {
      name: 'GitLab: --images wins',
      flags: { images: 'ghcr.io/acme/app' },
      env: { GITLAB_CI: 'true', CI_REGISTRY_IMAGE: 'registry.gitlab.com/acme/app' },
      inputs: { images: 'ghcr.io/acme/app' },
      notes: []
    },
    {
      name: 'CI_REGISTRY_IMAGE outside GitLab is not read',
      flags: {},
      env: { CI_REGISTRY_IMAGE: 'registry.gitlab.com/acme/app' },
      inputs: {},
      notes: []
    },
    {
      name: 'BUILDX_BUILDER becomes the builder',
      flags: { images: 'a/b' },
      env: { BUILDX_BUILDER: 'fleet' },
      inputs: { images: 'a/b', builder: 'fleet' },
      notes: ['builder: fleet (from BUILDX_BUILDER; it is used as it is and not removed)']
    },
    ...['builder', 'driver', 'endpoint', 'nodes'].map((flag) => ({
      name: `BUILDX_BUILDER is not used with --${flag}`,
      flags: { [flag]: 'x' },
      env: { BUILDX_BUILDER: 'fleet' },
      inputs: { [flag]: 'x' },
      notes: []
    }))
  ])('$name', ({ flags, env, inputs, notes }) => {
    const result = environmentInputs(new Map(Object.entries(flags)), env);
    expect({ inputs: Object.fromEntries(result.inputs), notes: result.notes }).toEqual({ inputs, notes });
  });
});

describe('dotenv', () => {
  test('the short outputs, upper-cased with MULTIARCH_, lists comma-joined, in a fixed order', () => {
    const outputs = new Map([
      ['tags', '127.0.0.1:5000/app:1.2.3\n127.0.0.1:5000/app:latest'],
      ['digest', 'sha256:abc'],
      ['metadata', '{"big": "document"}'],
      ['platform-digests', '{"linux/amd64":"sha256:1"}'],
      ['version', '1.2.3'],
      ['labels', 'org.opencontainers.image.title=app'],
      ['signature', '']
    ]);
    expect(dotenv(outputs)).toBe(
      [
        'MULTIARCH_DIGEST=sha256:abc',
        'MULTIARCH_TAGS=127.0.0.1:5000/app:1.2.3,127.0.0.1:5000/app:latest',
        'MULTIARCH_VERSION=1.2.3',
        'MULTIARCH_PLATFORM_DIGESTS={"linux/amd64":"sha256:1"}',
        'MULTIARCH_SIGNATURE=',
        ''
      ].join('\n')
    );
  });
});
