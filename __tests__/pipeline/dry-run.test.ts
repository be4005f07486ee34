import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { printPlan, stepLines } from '../../src/pipeline/dry-run.js';
import type { Step } from '../../src/plan/steps.js';
import { recordingLog } from '../helpers/log.js';
import { planFor } from './support/plans.js';

// The dry run prints each step's commands from the plan's own argv functions: literal lines per step kind.

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'dry-run-'));
  writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const IMAGE = 'registry.test/acme/app';
const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;

/** Every step's lines, by kind. */
function lines(given: Record<string, string>, ref?: string): Array<[Step['kind'], string[]]> {
  const plan = planFor(dir, { images: IMAGE, ...given }, ref);
  return plan.steps.map((step) => [step.kind, stepLines(step, plan.steps)]);
}

test.each<{ name: string; inputs: Record<string, string>; expected: unknown[] }>([
  {
    name: 'build and push, a builder it creates, QEMU for arm64',
    inputs: {
      platforms: 'linux/amd64,linux/arm64',
      qemu: 'auto',
      tags: 'type=semver,pattern={{version}}\ntype=semver,pattern={{major}}',
      labels: 'org.opencontainers.image.title=app',
      provenance: 'false'
    },
    expected: [
      ['qemu', ['# QEMU (auto): register the missing handlers for linux/arm64']],
      ['buildx', ['# the installed buildx']],
      [
        'builder',
        [
          'docker buildx create --name multiarch-7001-1-a1b2c3 --driver docker-container --driver-opt image=moby/buildkit:v0.32.2',
          'docker buildx inspect --bootstrap --builder multiarch-7001-1-a1b2c3',
          '# clean-up, in the post step: docker buildx rm --force multiarch-7001-1-a1b2c3'
        ]
      ],
      [
        'build',
        [
          expect.stringMatching(
            /^docker buildx build --builder multiarch-7001-1-a1b2c3 --progress plain --metadata-file \/tmp\/multiarch-x\/metadata.json --platform linux\/amd64,linux\/arm64 .* --provenance=false --sbom=false --cache-from type=registry,ref=registry.test\/acme\/app:buildcache --cache-to type=registry,ref=registry.test\/acme\/app:buildcache,mode=max,image-manifest=true,oci-mediatypes=true,ignore-error=true --output type=image,name=registry.test\/acme\/app,push-by-digest=true,name-canonical=true,push=true,oci-mediatypes=true \.$/
          )
        ]
      ],
      [
        'publish',
        [
          '[request] GET registry.test/acme/app@<digest of the build>',
          'docker buildx imagetools inspect --builder multiarch-7001-1-a1b2c3 --raw registry.test/acme/app:1',
          'docker buildx imagetools inspect --builder multiarch-7001-1-a1b2c3 --raw registry.test/acme/app:latest',
          '[request] PUT registry.test/acme/app:1.2.3 (the bytes of registry.test/acme/app@<digest of the build>)',
          '[request] PUT registry.test/acme/app:1 (the bytes of registry.test/acme/app@<digest of the build>)',
          '[request] PUT registry.test/acme/app:latest (the bytes of registry.test/acme/app@<digest of the build>)'
        ]
      ],
      [
        'verify',
        [
          '[request] GET registry.test/acme/app@<digest of the index>',
          '[request] GET registry.test/acme/app@<digest of each manifest the index lists>',
          '[request] HEAD registry.test/acme/app:1.2.3',
          '[request] HEAD registry.test/acme/app:1',
          '[request] HEAD registry.test/acme/app:latest'
        ]
      ]
    ]
  },
  {
    name: 'a second image: its tags through imagetools create, from the first image’s push',
    inputs: {
      images: `${IMAGE}\nmirror.test/app`,
      platforms: 'linux/amd64',
      tags: 'type=sha',
      'buildx-version': 'v0.36.1',
      builder: 'shared'
    },
    expected: [
      ['buildx', ['# buildx v0.36.1, verified against its release checksums']],
      ['builder', ['docker buildx inspect --bootstrap --builder shared']],
      [
        'build',
        [
          expect.stringMatching(
            /^docker buildx build --builder shared .* --output type=image,name=registry.test\/acme\/app,push-by-digest=true,name-canonical=true,push=true,oci-mediatypes=true \.$/
          )
        ]
      ],
      [
        'publish',
        [
          '[request] GET registry.test/acme/app@<digest of the build>',
          '[request] PUT registry.test/acme/app:sha-860c190 (the bytes of registry.test/acme/app@<digest of the build>)',
          "docker buildx imagetools create --builder shared --tag mirror.test/app:sha-860c190 'registry.test/acme/app@<digest of the build>'"
        ]
      ],
      [
        'verify',
        [
          '[request] GET registry.test/acme/app@<digest of the index>',
          '[request] GET registry.test/acme/app@<digest of each manifest the index lists>',
          '[request] HEAD registry.test/acme/app:sha-860c190',
          '[request] HEAD mirror.test/app:sha-860c190'
        ]
      ]
    ]
  },
  {
    name: 'a platform leg: the hand-off tag by a PUT, then read back',
    inputs: { mode: 'platform', platforms: 'linux/arm64', builder: 'shared' },
    expected: [
      ['buildx', ['# the installed buildx']],
      ['builder', ['docker buildx inspect --bootstrap --builder shared']],
      [
        'build',
        [
          expect.stringMatching(
            /^docker buildx build --builder shared .* --platform linux\/arm64 .*push=true,oci-mediatypes=true \.$/
          )
        ]
      ],
      [
        'publish',
        [
          '[request] GET registry.test/acme/app@<digest of the build>',
          '[request] PUT registry.test/acme/app:leg-860c190-7001-linux-arm64 (the bytes of registry.test/acme/app@<digest of the build>)'
        ]
      ],
      [
        'verify',
        [
          '[request] GET registry.test/acme/app@<digest of the index>',
          '[request] GET registry.test/acme/app@<digest of each manifest the index lists>',
          '[request] HEAD registry.test/acme/app:leg-860c190-7001-linux-arm64'
        ]
      ]
    ]
  },
  {
    name: 'merge by legs: each leg read, one annotated index made and read back',
    inputs: {
      mode: 'merge',
      platforms: 'linux/amd64,linux/arm64',
      tags: 'type=sha',
      labels: 'org.opencontainers.image.title=app'
    },
    expected: [
      ['buildx', ['# the installed buildx']],
      [
        'find-legs',
        [
          'docker buildx imagetools inspect --raw registry.test/acme/app:leg-860c190-7001-linux-amd64',
          'docker buildx imagetools inspect --raw registry.test/acme/app:leg-860c190-7001-linux-arm64'
        ]
      ],
      [
        'publish',
        [
          "docker buildx imagetools create --annotation index:org.opencontainers.image.created=2024-02-01T10:00:00.000Z --annotation 'index:org.opencontainers.image.description=An app' --annotation index:org.opencontainers.image.revision=860c1904a1ce19322e91ac35af1ab07466440c37 --annotation index:org.opencontainers.image.source=https://github.com/octo/app --annotation index:org.opencontainers.image.title=app --annotation index:org.opencontainers.image.url=https://github.com/octo/app --annotation index:org.opencontainers.image.version=sha-860c190 --tag registry.test/acme/app:sha-860c190 'registry.test/acme/app@<digest of registry.test/acme/app:leg-860c190-7001-linux-amd64>' 'registry.test/acme/app@<digest of registry.test/acme/app:leg-860c190-7001-linux-arm64>'",
          'docker buildx imagetools inspect --raw registry.test/acme/app:sha-860c190'
        ]
      ],
      [
        'verify',
        [
          '[request] GET registry.test/acme/app@<digest of the index>',
          '[request] GET registry.test/acme/app@<digest of each manifest the index lists>',
          '[request] HEAD registry.test/acme/app:sha-860c190'
        ]
      ],
      [
        'remove-legs',
        [
          '[request] DELETE registry.test/acme/app@<digest of registry.test/acme/app:leg-860c190-7001-linux-amd64>',
          '[request] DELETE registry.test/acme/app@<digest of registry.test/acme/app:leg-860c190-7001-linux-arm64>'
        ]
      ]
    ]
  },
  {
    name: 'merge by digests: each digest read, the given builder named',
    inputs: {
      mode: 'merge',
      platforms: 'linux/amd64,linux/arm64',
      tags: 'type=sha',
      digests: `${D1}\nother.test/app@${D2}`,
      builder: 'shared',
      annotations: 'index:org.opencontainers.image.title='
    },
    expected: [
      ['buildx', ['# the installed buildx']],
      [
        'check-digests',
        [
          `docker buildx imagetools inspect --builder shared --raw registry.test/acme/app@${D1}`,
          `docker buildx imagetools inspect --builder shared --raw other.test/app@${D2}`
        ]
      ],
      [
        'publish',
        [
          expect.stringMatching(
            new RegExp(
              `^docker buildx imagetools create --builder shared --annotation index:org.opencontainers.image.created=.* --tag registry.test/acme/app:sha-860c190 registry.test/acme/app@${D1} other.test/app@${D2}$`
            )
          ),
          'docker buildx imagetools inspect --builder shared --raw registry.test/acme/app:sha-860c190'
        ]
      ],
      [
        'verify',
        [
          '[request] GET registry.test/acme/app@<digest of the index>',
          '[request] GET registry.test/acme/app@<digest of each manifest the index lists>',
          '[request] HEAD registry.test/acme/app:sha-860c190'
        ]
      ]
    ]
  },
  {
    name: 'push false: a build and nothing after it',
    inputs: { push: 'false', platforms: 'linux/amd64', driver: 'docker' },
    expected: [
      ['buildx', ['# the installed buildx']],
      ['builder', ['docker buildx inspect --bootstrap --builder default']],
      // cache: auto reads the registry cache whenever there is an image, and writes only when pushing.
      [
        'build',
        [
          expect.stringMatching(
            /^docker buildx build --builder default .* --sbom=false --cache-from type=registry,ref=registry\.test\/acme\/app:buildcache \.$/
          )
        ]
      ]
    ]
  }
])('$name', ({ inputs, expected }) => {
  expect(lines(inputs)).toEqual(expected);
});

test('printPlan: the plan’s values, then every step’s lines', () => {
  const plan = planFor(dir, {
    images: IMAGE,
    mode: 'merge',
    platforms: 'linux/amd64,linux/arm64',
    tags: 'type=sha',
    digests: `${D1}\n${D2}`,
    cache: 'false'
  });
  const rec = recordingLog();

  printPlan(plan, rec);

  expect(rec.infos).toEqual([
    'mode: merge',
    'platforms: linux/amd64, linux/arm64 (emulated: none)',
    'version: sha-860c190',
    'tags:\n  registry.test/acme/app:sha-860c190',
    'cache: off',
    '# the installed buildx',
    `docker buildx imagetools inspect --raw registry.test/acme/app@${D1}`,
    `docker buildx imagetools inspect --raw registry.test/acme/app@${D2}`,
    expect.stringMatching(
      new RegExp(
        `^docker buildx imagetools create --annotation .* --tag registry.test/acme/app:sha-860c190 registry.test/acme/app@${D1} registry.test/acme/app@${D2}$`
      )
    ),
    'docker buildx imagetools inspect --raw registry.test/acme/app:sha-860c190',
    '[request] GET registry.test/acme/app@<digest of the index>',
    '[request] GET registry.test/acme/app@<digest of each manifest the index lists>',
    '[request] HEAD registry.test/acme/app:sha-860c190'
  ]);
});

test('printPlan: a leg lists its hand-off tag; no tag rule gives a tag without push', () => {
  const leg = planFor(dir, { images: IMAGE, mode: 'platform', platforms: 'linux/arm64', builder: 'shared' });
  const none = planFor(dir, {
    images: IMAGE,
    push: 'false',
    tags: 'type=ref,event=pr',
    platforms: 'linux/amd64',
    builder: 'shared'
  });
  const [a, b] = [recordingLog(), recordingLog()];

  printPlan(leg, a);
  printPlan(none, b);

  expect(a.infos.slice(0, 5)).toEqual([
    'mode: platform',
    'platforms: linux/arm64 (emulated: linux/arm64)',
    'version: 1.2.3',
    'tags:\n  registry.test/acme/app:leg-860c190-7001-linux-arm64',
    'cache: registry.test/acme/app:buildcache-linux-arm64'
  ]);
  expect(b.infos.slice(0, 5)).toEqual([
    'mode: build',
    'platforms: linux/amd64 (emulated: none)',
    'version: (none)',
    'tags:\n  (none)',
    'cache: registry.test/acme/app:buildcache'
  ]);
});

test('platform-tags: per platform, one GET of its manifest and a PUT per tag here, imagetools for another repository', () => {
  const plan = planFor(dir, {
    images: `${IMAGE}\nregistry.test/mirror/app`,
    platforms: 'linux/amd64,linux/arm/v7',
    tags: 'type=raw,value=v1',
    flavor: 'latest=false',
    'platform-tags': 'true'
  });
  const publish = plan.steps.find((s) => s.kind === 'publish')!;

  expect(stepLines(publish, plan.steps).slice(-8)).toEqual([
    `[request] PUT ${IMAGE}:v1 (the bytes of ${IMAGE}@<digest of the build>)`,
    `docker buildx imagetools create --builder multiarch-7001-1-a1b2c3 --tag registry.test/mirror/app:v1 '${IMAGE}@<digest of the build>'`,
    `[request] GET ${IMAGE}@<digest of linux/amd64 in the index>`,
    `[request] PUT ${IMAGE}:v1-amd64 (the bytes of ${IMAGE}@<digest of linux/amd64 in the index>)`,
    `docker buildx imagetools create --builder multiarch-7001-1-a1b2c3 --tag registry.test/mirror/app:v1-amd64 '${IMAGE}@<digest of linux/amd64 in the index>'`,
    `[request] GET ${IMAGE}@<digest of linux/arm/v7 in the index>`,
    `[request] PUT ${IMAGE}:v1-arm-v7 (the bytes of ${IMAGE}@<digest of linux/arm/v7 in the index>)`,
    `docker buildx imagetools create --builder multiarch-7001-1-a1b2c3 --tag registry.test/mirror/app:v1-arm-v7 '${IMAGE}@<digest of linux/arm/v7 in the index>'`
  ]);
});

describe('builds: one build per platform, concurrently', () => {
  const BUILDER = 'multiarch-7001-1-a1b2c3';
  const NODES = 'linux/amd64=unix:///a.sock\nlinux/arm64=unix:///b.sock';
  // The labels and manifest annotations every build of this plan carries (version sha-860c190).
  const META =
    "--label org.opencontainers.image.created=2024-02-01T10:00:00.000Z --label 'org.opencontainers.image.description=An app' --label org.opencontainers.image.revision=860c1904a1ce19322e91ac35af1ab07466440c37 --label org.opencontainers.image.source=https://github.com/octo/app --label org.opencontainers.image.title=app --label org.opencontainers.image.url=https://github.com/octo/app --label org.opencontainers.image.version=sha-860c190 --annotation manifest:org.opencontainers.image.created=2024-02-01T10:00:00.000Z --annotation 'manifest:org.opencontainers.image.description=An app' --annotation manifest:org.opencontainers.image.revision=860c1904a1ce19322e91ac35af1ab07466440c37 --annotation manifest:org.opencontainers.image.source=https://github.com/octo/app --annotation manifest:org.opencontainers.image.title=app --annotation manifest:org.opencontainers.image.url=https://github.com/octo/app --annotation manifest:org.opencontainers.image.version=sha-860c190 --provenance=false --sbom=false";
  const PUSH =
    '--output type=image,name=registry.test/acme/app,push-by-digest=true,name-canonical=true,push=true,oci-mediatypes=true .';
  const INDEX =
    "--annotation index:org.opencontainers.image.created=2024-02-01T10:00:00.000Z --annotation 'index:org.opencontainers.image.description=An app' --annotation index:org.opencontainers.image.revision=860c1904a1ce19322e91ac35af1ab07466440c37 --annotation index:org.opencontainers.image.source=https://github.com/octo/app --annotation index:org.opencontainers.image.title=app --annotation index:org.opencontainers.image.url=https://github.com/octo/app --annotation index:org.opencontainers.image.version=sha-860c190";

  const cache = (id: string) =>
    `--cache-from type=registry,ref=registry.test/acme/app:buildcache-${id} --cache-to type=registry,ref=registry.test/acme/app:buildcache-${id},mode=max,image-manifest=true,oci-mediatypes=true,ignore-error=true`;
  /** The lines of the plan's builds step. */
  function buildsLines(given: Record<string, string>): string[] {
    const plan = planFor(dir, { images: IMAGE, tags: 'type=sha', provenance: 'false', ...given });
    return stepLines(
      plan.steps.find((s) => s.kind === 'builds')!,
      plan.steps
    );
  }

  test('nodes: each platform on its node with its own cache, one emulated; the index of each build’s digest', () => {
    expect(
      lines({ platforms: 'linux/amd64,linux/arm64,linux/arm/v7', tags: 'type=sha', provenance: 'false', nodes: NODES })
    ).toEqual([
      ['buildx', ['# the installed buildx']],
      [
        'builder',
        [
          `docker buildx create --name ${BUILDER} --driver remote --platform linux/amd64 --node linux-amd64 unix:///a.sock`,
          `docker buildx create --append --name ${BUILDER} --driver remote --platform linux/arm64 --node linux-arm64 unix:///b.sock`,
          `docker buildx inspect --bootstrap --builder ${BUILDER}`,
          `# clean-up, in the post step: docker buildx rm --force ${BUILDER}`
        ]
      ],
      [
        'builds',
        [
          '# linux/amd64 on node linux-amd64 (unix:///a.sock), concurrently with the others:',
          `docker buildx build --builder ${BUILDER} --progress plain --metadata-file /tmp/multiarch-x/metadata-linux-amd64.json --platform linux/amd64 ${META} ${cache('linux-amd64')} ${PUSH}`,
          '# linux/arm64 on node linux-arm64 (unix:///b.sock), concurrently with the others:',
          `docker buildx build --builder ${BUILDER} --progress plain --metadata-file /tmp/multiarch-x/metadata-linux-arm64.json --platform linux/arm64 ${META} ${cache('linux-arm64')} ${PUSH}`,
          // No node declares arm/v7: the first node builds it under QEMU.
          '# linux/arm/v7 on node linux-amd64 (unix:///a.sock), emulated, concurrently with the others:',
          `docker buildx build --builder ${BUILDER} --progress plain --metadata-file /tmp/multiarch-x/metadata-linux-arm-v7.json --platform linux/arm/v7 ${META} ${cache('linux-arm-v7')} ${PUSH}`
        ]
      ],
      [
        'publish',
        [
          `docker buildx imagetools create --builder ${BUILDER} ${INDEX} --tag registry.test/acme/app:sha-860c190 'registry.test/acme/app@<digest of the linux/amd64 build>' 'registry.test/acme/app@<digest of the linux/arm64 build>' 'registry.test/acme/app@<digest of the linux/arm/v7 build>'`,
          `docker buildx imagetools inspect --builder ${BUILDER} --raw registry.test/acme/app:sha-860c190`
        ]
      ],
      [
        'verify',
        [
          '[request] GET registry.test/acme/app@<digest of the index>',
          '[request] GET registry.test/acme/app@<digest of each manifest the index lists>',
          '[request] HEAD registry.test/acme/app:sha-860c190'
        ]
      ]
    ]);
  });

  test('node-fallback emulate: after each build, its fallback on the other node, commented out', () => {
    const fallback = (id: string) => `${BUILDER}-fallback-${id}`;

    expect(
      buildsLines({ platforms: 'linux/amd64,linux/arm64', cache: 'false', nodes: NODES, 'node-fallback': 'emulate' })
    ).toEqual([
      '# linux/amd64 on node linux-amd64 (unix:///a.sock), concurrently with the others:',
      `docker buildx build --builder ${BUILDER} --progress plain --metadata-file /tmp/multiarch-x/metadata-linux-amd64.json --platform linux/amd64 ${META} ${PUSH}`,
      '#   only if node linux-amd64 still fails: under QEMU on node linux-arm64:',
      `#   docker buildx create --name ${fallback('linux-amd64')} --driver remote --platform linux/arm64,linux/amd64 --node linux-arm64 unix:///b.sock`,
      `#   docker buildx build --builder ${fallback('linux-amd64')} --progress plain --metadata-file /tmp/multiarch-x/metadata-linux-amd64-fallback.json --platform linux/amd64 ${META} ${PUSH}`,
      `#   docker buildx rm --force ${fallback('linux-amd64')}`,
      '# linux/arm64 on node linux-arm64 (unix:///b.sock), concurrently with the others:',
      `docker buildx build --builder ${BUILDER} --progress plain --metadata-file /tmp/multiarch-x/metadata-linux-arm64.json --platform linux/arm64 ${META} ${PUSH}`,
      '#   only if node linux-arm64 still fails: under QEMU on node linux-amd64:',
      `#   docker buildx create --name ${fallback('linux-arm64')} --driver remote --platform linux/amd64,linux/arm64 --node linux-amd64 unix:///a.sock`,
      `#   docker buildx build --builder ${fallback('linux-arm64')} --progress plain --metadata-file /tmp/multiarch-x/metadata-linux-arm64-fallback.json --platform linux/arm64 ${META} ${PUSH}`,
      `#   docker buildx rm --force ${fallback('linux-arm64')}`
    ]);
  });

  test('without nodes (a target for one platform): each platform its own build on the one builder', () => {
    expect(buildsLines({ platforms: 'linux/amd64,linux/arm64', cache: 'false', target: 'linux/arm64=slim' })).toEqual([
      '# linux/amd64, concurrently with the others:',
      `docker buildx build --builder ${BUILDER} --progress plain --metadata-file /tmp/multiarch-x/metadata-linux-amd64.json --platform linux/amd64 ${META} ${PUSH}`,
      '# linux/arm64, emulated, concurrently with the others:',
      `docker buildx build --builder ${BUILDER} --progress plain --metadata-file /tmp/multiarch-x/metadata-linux-arm64.json --platform linux/arm64 --target slim ${META} ${PUSH}`
    ]);
  });
});
