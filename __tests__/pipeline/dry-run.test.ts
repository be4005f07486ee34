import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { printPlan, stepLines } from '../../src/pipeline/dry-run.js';
import type { Step } from '../../src/plan/steps.js';
import { recordingLog } from '../support/log.js';
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

const PREFLIGHT = `[request] POST ${IMAGE}/blobs/uploads/ (push access; the session is cancelled at once)`;
/** The index staged: the one build's own push, or the new index the stage step makes of several sources. */
const BUILT = '<digest of the build>';
const NEW_INDEX = '<digest of the index>';

/** The prove step's reads of the staged index in one repository. */
function proveLines(digest: string, repo = IMAGE): string[] {
  return [`[request] GET ${repo}@${digest}`, `[request] GET ${repo}@<digest of each manifest the index lists>`];
}
const PROVE = proveLines(NEW_INDEX);

/** The commit step: a PUT of the staged bytes per ref, then a HEAD per ref. */
function commitLines(refs: string[], digest = NEW_INDEX): string[] {
  return [
    ...refs.map((r) => `[request] PUT ${r} (the bytes of ${r.slice(0, r.lastIndexOf(':'))}@${digest})`),
    ...refs.map((r) => `[request] HEAD ${r}`)
  ];
}

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
      ['preflight', [PREFLIGHT]],
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
      ['stage', ['[request] GET registry.test/acme/app@<digest of the build>']],
      [
        'prove',
        [
          ...proveLines(BUILT),
          '[request] GET registry.test/acme/app:1',
          '# 1 moves only forward: docker buildx imagetools inspect --builder multiarch-7001-1-a1b2c3 --raw registry.test/acme/app:1',
          '[request] GET registry.test/acme/app:latest',
          '# latest moves only forward: docker buildx imagetools inspect --builder multiarch-7001-1-a1b2c3 --raw registry.test/acme/app:latest'
        ]
      ],
      [
        'commit',
        commitLines(
          ['1.2.3', '1', 'latest'].map((t) => `${IMAGE}:${t}`),
          BUILT
        )
      ]
    ]
  },
  {
    name: 'a second image: push access checked in both, the index copied there by digest, proven and tagged in both',
    inputs: {
      images: `${IMAGE}\nmirror.test/app`,
      platforms: 'linux/amd64',
      tags: 'type=sha',
      'buildx-version': 'v0.36.1',
      builder: 'shared'
    },
    expected: [
      [
        'preflight',
        [PREFLIGHT, '[request] POST mirror.test/app/blobs/uploads/ (push access; the session is cancelled at once)']
      ],
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
        'stage',
        [
          '[request] GET registry.test/acme/app@<digest of the build>',
          "docker buildx imagetools create --builder shared --tag 'mirror.test/app@<digest of the build>' 'registry.test/acme/app@<digest of the build>'"
        ]
      ],
      ['prove', [...proveLines(BUILT), ...proveLines(BUILT, 'mirror.test/app')]],
      ['commit', commitLines([`${IMAGE}:sha-860c190`, 'mirror.test/app:sha-860c190'], BUILT)]
    ]
  },
  {
    name: 'a platform leg: staged, proven, then the hand-off tag by a PUT, then read back',
    inputs: { mode: 'platform', platforms: 'linux/arm64', builder: 'shared' },
    expected: [
      ['preflight', [PREFLIGHT]],
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
      ['stage', ['[request] GET registry.test/acme/app@<digest of the build>']],
      ['prove', proveLines(BUILT)],
      ['commit', commitLines([`${IMAGE}:leg-860c190-7001-linux-arm64`], BUILT)]
    ]
  },
  {
    name: 'merge by legs: each leg read, one annotated index computed (--dry-run) and PUT by digest, proven, tagged',
    inputs: {
      mode: 'merge',
      platforms: 'linux/amd64,linux/arm64',
      tags: 'type=sha',
      labels: 'org.opencontainers.image.title=app'
    },
    expected: [
      ['preflight', [PREFLIGHT]],
      ['buildx', ['# the installed buildx']],
      [
        'find-legs',
        [
          'docker buildx imagetools inspect --raw registry.test/acme/app:leg-860c190-7001-linux-amd64',
          'docker buildx imagetools inspect --raw registry.test/acme/app:leg-860c190-7001-linux-arm64'
        ]
      ],
      [
        'stage',
        [
          "docker buildx imagetools create --dry-run --annotation index:org.opencontainers.image.created=2024-02-01T10:00:00.000Z --annotation 'index:org.opencontainers.image.description=An app' --annotation index:org.opencontainers.image.revision=860c1904a1ce19322e91ac35af1ab07466440c37 --annotation index:org.opencontainers.image.source=https://github.com/octo/app --annotation index:org.opencontainers.image.title=app --annotation index:org.opencontainers.image.url=https://github.com/octo/app --annotation index:org.opencontainers.image.version=sha-860c190 'registry.test/acme/app@<digest of registry.test/acme/app:leg-860c190-7001-linux-amd64>' 'registry.test/acme/app@<digest of registry.test/acme/app:leg-860c190-7001-linux-arm64>'",
          '[request] PUT registry.test/acme/app@<digest of the index> (the bytes of the new index)'
        ]
      ],
      ['prove', PROVE],
      ['commit', commitLines([`${IMAGE}:sha-860c190`])],
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
    name: 'merge by digests: each digest read, the given builder named, the new index PUT by digest',
    inputs: {
      mode: 'merge',
      platforms: 'linux/amd64,linux/arm64',
      tags: 'type=sha',
      digests: `${D1}\nother.test/app@${D2}`,
      builder: 'shared',
      annotations: 'index:org.opencontainers.image.title='
    },
    expected: [
      ['preflight', [PREFLIGHT]],
      ['buildx', ['# the installed buildx']],
      [
        'check-digests',
        [
          `docker buildx imagetools inspect --builder shared --raw registry.test/acme/app@${D1}`,
          `docker buildx imagetools inspect --builder shared --raw other.test/app@${D2}`
        ]
      ],
      [
        'stage',
        [
          expect.stringMatching(
            new RegExp(
              `^docker buildx imagetools create --builder shared --dry-run --annotation index:org.opencontainers.image.created=.* registry.test/acme/app@${D1} other.test/app@${D2}$`
            )
          ),
          '[request] PUT registry.test/acme/app@<digest of the index> (the bytes of the new index)'
        ]
      ],
      ['prove', PROVE],
      ['commit', commitLines([`${IMAGE}:sha-860c190`])],
      // This run's hand-off tags, removed only when they name a given digest (build, test, then publish).
      [
        'remove-legs',
        ['linux-amd64_linux-arm64', 'linux-amd64', 'linux-arm64'].map(
          (slug) =>
            `[request] DELETE registry.test/acme/app@<digest of registry.test/acme/app:leg-860c190-7001-${slug}> (when that tag names a given digest)`
        )
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
    PREFLIGHT,
    '# the installed buildx',
    `docker buildx imagetools inspect --raw registry.test/acme/app@${D1}`,
    `docker buildx imagetools inspect --raw registry.test/acme/app@${D2}`,
    expect.stringMatching(
      new RegExp(
        `^docker buildx imagetools create --dry-run --annotation .* registry.test/acme/app@${D1} registry.test/acme/app@${D2}$`
      )
    ),
    '[request] PUT registry.test/acme/app@<digest of the index> (the bytes of the new index)',
    ...PROVE,
    ...commitLines([`${IMAGE}:sha-860c190`]),
    ...['linux-amd64_linux-arm64', 'linux-amd64', 'linux-arm64'].map(
      (slug) =>
        `[request] DELETE registry.test/acme/app@<digest of registry.test/acme/app:leg-860c190-7001-${slug}> (when that tag names a given digest)`
    )
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

test('platform-tags: per platform and repository, one GET of its manifest and a PUT per tag, after the index’s tags; each read back', () => {
  const plan = planFor(dir, {
    images: `${IMAGE}\nregistry.test/mirror/app`,
    platforms: 'linux/amd64,linux/arm/v7',
    tags: 'type=raw,value=v1',
    flavor: 'latest=false',
    'platform-tags': 'true'
  });
  const commit = plan.steps.find((s) => s.kind === 'commit')!;
  const MIRROR = 'registry.test/mirror/app';

  expect(stepLines(commit, plan.steps)).toEqual([
    `[request] PUT ${IMAGE}:v1 (the bytes of ${IMAGE}@${BUILT})`,
    `[request] PUT ${MIRROR}:v1 (the bytes of ${MIRROR}@${BUILT})`,
    ...[IMAGE, MIRROR].flatMap((repo) =>
      ['linux/amd64', 'linux/arm/v7'].flatMap((p) => [
        `[request] GET ${repo}@<digest of ${p} in the index>`,
        `[request] PUT ${repo}:v1-${p.slice(6).replace('/', '-')} (the bytes of ${repo}@<digest of ${p} in the index>)`
      ])
    ),
    ...[
      `${IMAGE}:v1`,
      `${MIRROR}:v1`,
      `${IMAGE}:v1-amd64`,
      `${IMAGE}:v1-arm-v7`,
      `${MIRROR}:v1-amd64`,
      `${MIRROR}:v1-arm-v7`
    ].map((r) => `[request] HEAD ${r}`)
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
      ['preflight', [PREFLIGHT]],
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
        'stage',
        [
          `docker buildx imagetools create --builder ${BUILDER} --dry-run ${INDEX} 'registry.test/acme/app@<digest of the linux/amd64 build>' 'registry.test/acme/app@<digest of the linux/arm64 build>' 'registry.test/acme/app@<digest of the linux/arm/v7 build>'`,
          '[request] PUT registry.test/acme/app@<digest of the index> (the bytes of the new index)'
        ]
      ],
      ['prove', PROVE],
      ['commit', commitLines([`${IMAGE}:sha-860c190`])]
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
