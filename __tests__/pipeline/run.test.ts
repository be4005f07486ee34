import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../../src/plan/errors.js';
import { Failure } from '../../src/pipeline/failure.js';
import { stableSummary, World } from './support/world.js';

// The whole pipeline over its fakes: the edges in memory, buildx at the process seam, the
// registry on loopback. Each mode's commands, requests, outputs and summary, and each phase's failure.

let w: World;
beforeAll(async () => {
  w = await World.start();
});
afterAll(() => w.close());
beforeEach(() => w.reset());

const SETUP = [
  'buildx version',
  'buildx create --name <builder> --driver docker-container --driver-opt image=moby/buildkit:v0.32.2',
  'buildx inspect --bootstrap --builder <builder>'
];
const PUSH =
  '--output type=image,name=<registry>/acme/app,push-by-digest=true,name-canonical=true,push=true,oci-mediatypes=true';
const TAGS = ['1.2.3', '1.2', '1', 'v1.2.3', 'sha-860c190', 'latest'];
/** The emulation report's read of the build's history record (src/pipeline/emulation.ts). */
const REPORT = 'buildx history logs --builder <builder> --progress rawjson fakebuildref';
const refs = (tags: string[]) => tags.map((t) => `<registry>/acme/app:${t}`);

/** The commands, the build's line cut to what differs between modes: its platforms and its output. */
function commands(): string[] {
  return w.commands().map((line) => {
    if (!line.startsWith('buildx build ')) return line;
    const argv = line.split(' ');
    const at = (flag: string) => argv[argv.indexOf(flag) + 1];
    const output = argv.includes('--output')
      ? `--output ${at('--output')}`
      : argv.includes('--load')
        ? '--load'
        : '(no output)';
    return `buildx build --platform ${at('--platform')} ${output}`;
  });
}

/** Platform → manifest digest of the index a build pushed. */
function platformDigests(digest: string): Record<string, string> {
  const index = JSON.parse(w.store.get(`${w.image}@${digest}`)!.raw) as {
    manifests: Array<{ digest: string; platform: { os: string; architecture: string } }>;
  };
  const out: Record<string, string> = {};
  for (const m of index.manifests)
    if (m.platform.os !== 'unknown') out[`${m.platform.os}/${m.platform.architecture}`] = m.digest;
  return out;
}

/** Every manifest an index lists, in its order: platform manifests and attestation manifests. */
function listed(digest: string): string[] {
  const index = JSON.parse(w.store.get(`${w.image}@${digest}`)!.raw) as { manifests: Array<{ digest: string }> };
  return index.manifests.map((m) => m.digest);
}

/** The attestation manifest an index lists for one of its platform manifests. */
function attestationOf(digest: string, manifest: string): string {
  const index = JSON.parse(w.store.get(`${w.image}@${digest}`)!.raw) as {
    manifests: Array<{ digest: string; annotations?: Record<string, string> }>;
  };
  return index.manifests.find((m) => m.annotations?.['vnd.docker.reference.digest'] === manifest)!.digest;
}

/** The preflight's push check: an upload session opened and cancelled. */
const PREFLIGHT = ['POST /v2/acme/app/blobs/uploads/', 'DELETE /v2/acme/app/blobs/uploads/session-1'];

/** The prove step's reads of the staged index: the index by digest, then each manifest it lists. */
function proveRequests(digest: string): string[] {
  return [`GET /v2/acme/app/manifests/${digest}`, ...listed(digest).map((m) => `GET /v2/acme/app/manifests/${m}`)];
}

/** The commit: a PUT per tag, then a HEAD per tag (the read-back). */
function commitRequests(tags: string[]): string[] {
  return [
    ...tags.map((t) => `PUT /v2/acme/app/manifests/${t}`),
    ...tags.map((t) => `HEAD /v2/acme/app/manifests/${t}`)
  ];
}

/** Requests (or commands) read concurrently: their order among themselves is not the test's concern. */
interface AnyOrder {
  anyOrder: string[];
}

/** `actual` against `expected` in order, each AnyOrder part compared as a set at its place. */
function inOrder(actual: string[], expected: Array<string | AnyOrder>): void {
  const seen: string[] = [];
  const want: string[] = [];
  let at = 0;
  for (const part of expected) {
    if (typeof part === 'string') {
      want.push(part);
      seen.push(actual[at++]);
    } else {
      want.push(...[...part.anyOrder].sort());
      seen.push(...actual.slice(at, at + part.anyOrder.length).sort());
      at += part.anyOrder.length;
    }
  }
  expect([...seen, ...actual.slice(at)].filter((x) => x !== undefined)).toEqual(want);
}

/** The registry requests so far, digests in the path decoded (a PUT by digest encodes its colon). */
function requests(): string[] {
  return w.requests().map((r) => decodeURIComponent(r));
}

/** The floating tags read before the commit: one HEAD each (concurrently). */
function floatingReads(tags: string[]): AnyOrder {
  return { anyOrder: tags.map((t) => `HEAD /v2/acme/app/manifests/${t}`) };
}

describe('run: one build', () => {
  test.each<{
    name: string;
    inputs: Record<string, string>;
    commands: string[];
    requests: (digest: string) => Array<string | AnyOrder>;
    groups: string[];
    pushed: boolean;
    tags: string[];
    registryTags: string[];
  }>([
    {
      name: 'push: push access checked first; the build pushes by digest, staged and proven, the floating tags read, then a PUT and a read-back per tag',
      inputs: { platforms: 'linux/amd64,linux/arm64' },
      commands: [...SETUP, `buildx build --platform linux/amd64,linux/arm64 ${PUSH}`],
      requests: (d: string) => [
        ...PREFLIGHT,
        `GET /v2/acme/app/manifests/${d}`,
        ...proveRequests(d),
        floatingReads(['1.2', '1', 'latest']),
        ...commitRequests(TAGS)
      ],
      groups: [
        'Inputs',
        'Context',
        'Preflight',
        'Buildx',
        'Builder',
        'Build linux/amd64, linux/arm64',
        'Stage',
        'Prove',
        'Commit tags'
      ],
      pushed: true,
      tags: refs(TAGS),
      registryTags: TAGS
    },
    {
      name: 'push false: a build with no output, nothing read or moved',
      inputs: { push: 'false' },
      commands: [...SETUP, 'buildx build --platform linux/amd64,linux/arm64 (no output)'],
      requests: () => [],
      groups: ['Inputs', 'Context', 'Buildx', 'Builder', 'Build linux/amd64, linux/arm64'],
      pushed: false,
      tags: refs(TAGS),
      registryTags: []
    },
    {
      name: 'load: every tag goes to the local image store, none to the registry',
      inputs: { push: 'false', load: 'true', platforms: 'linux/amd64' },
      commands: [
        'buildx docker version --format {{.Server.Version}}',
        ...SETUP,
        'buildx build --platform linux/amd64 --load'
      ],
      requests: () => [],
      groups: ['Inputs', 'Context', 'Buildx', 'Builder', 'Build linux/amd64'],
      pushed: false,
      tags: refs(TAGS),
      registryTags: []
    },
    {
      name: 'platform leg: staged and proven, then the hand-off tag only, by a PUT; no tag output',
      inputs: { mode: 'platform', platforms: 'linux/arm64' },
      commands: [...SETUP, `buildx build --platform linux/arm64 ${PUSH}`],
      requests: (d: string) => [
        ...PREFLIGHT,
        `GET /v2/acme/app/manifests/${d}`,
        ...proveRequests(d),
        ...commitRequests(['leg-860c190-7001-linux-arm64'])
      ],
      groups: [
        'Inputs',
        'Context',
        'Preflight',
        'Buildx',
        'Builder',
        'Build linux/arm64',
        'Stage',
        'Prove',
        'Hand off to the merge'
      ],
      pushed: true,
      tags: [],
      registryTags: ['leg-860c190-7001-linux-arm64']
    }
  ])('$name', async ({ inputs, commands: expected, requests: wanted, groups, pushed, tags, registryTags }) => {
    const { result, error, mem } = await w.run(inputs);

    expect(error).toBeUndefined();
    // The emulation report's read of the build record runs beside the later steps: its place varies.
    expect(commands().filter((c) => !c.startsWith('buildx history '))).toEqual(expected);
    expect(commands().filter((c) => c.startsWith('buildx history '))).toEqual([REPORT]);
    const digest = w.buildx.pushed[0]?.digest ?? '';
    expect(w.buildx.pushed.map((p) => p.image)).toEqual(pushed ? [w.image] : []);
    inOrder(requests(), wanted(digest));
    expect(mem.log.groups).toEqual(groups);
    expect(w.store.tags(w.image)).toEqual(Object.fromEntries(registryTags.map((t) => [t, digest]).sort()));
    const outputs = w.outputs(mem);
    expect(outputs.tags).toBe(tags.join('\n'));
    expect(outputs.version).toBe('1.2.3');
    expect(outputs.builder).toBe('<builder>');
    expect(outputs['platform-digests']).toBe(JSON.stringify(pushed ? platformDigests(digest) : {}));
    expect(result!.digest).toBe(
      pushed ? digest : ((JSON.parse(mem.outputs.metadata) as Record<string, string>)['containerimage.digest'] ?? '')
    );
    expect(outputs.digest).toBe(result!.digest);
    // State for the post step: the builder this run created and its temp directory (removed by now).
    expect(w.normalise(mem.state.cleanup)).toBe(
      '{"builder":"<builder>","tempDir":"<run-dir>","buildx":{"command":"docker","prefix":["buildx"],"version":"0.36.1","source":"installed"}}'
    );
  });

  test('load: the image store gets every tag the rules computed', async () => {
    await w.run({ push: 'false', load: 'true', platforms: 'linux/amd64' });

    expect(w.buildx.loaded.map((r) => w.normalise(r))).toEqual(refs(TAGS));
  });

  test('a push that buildx reports a 503 for is built again, and the retry is in the log', async () => {
    w.buildx.fail(
      'build',
      'ERROR: failed to push 127.0.0.1:5000/acme/app: unexpected status from PUT request to http://127.0.0.1:5000/v2/acme/app/blobs/uploads/x: 503 Service Unavailable\n'
    );

    const { error, mem } = await w.run({ platforms: 'linux/amd64', retries: '1' });

    expect(error).toBeUndefined();
    expect(commands().filter((c) => c.startsWith('buildx build'))).toEqual([
      `buildx build --platform linux/amd64 ${PUSH}`,
      `buildx build --platform linux/amd64 ${PUSH}`
    ]);
    expect(mem.log.warnings.map((m) => m.replace(/retrying in \d+\.\d s/, 'retrying in n s'))).toEqual([
      'build and push: attempt 1 of 2 failed (registry server error (5xx): ERROR: failed to push 127.0.0.1:5000/acme/app: unexpected status from PUT request to http://127.0.0.1:5000/v2/acme/app/blobs/uploads/x: 503 Service Unavailable); retrying in n s'
    ]);
    expect(w.store.tags(w.image)['1.2.3']).toBe(w.buildx.pushed[0].digest);
  });

  test('load with no Docker engine answering: refused before anything runs, naming the input and where it looked', async () => {
    w.buildx.engine = false;

    const { error } = await w.run({ push: 'false', load: 'true', platforms: 'linux/amd64' });

    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toBe(
      'input "load": "true" is not accepted; expected false here, or a Docker engine to load the image into: none answers at unix:///var/run/docker.sock (DOCKER_HOST is not set) (Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?); nothing was built. Start one, point DOCKER_HOST at one, or push instead'
    );
    expect(w.commands()).toEqual(['buildx docker version --format {{.Server.Version}}']);
  });

  test('load: DOCKER_HOST is what the refusal names when it is set', async () => {
    w.buildx.engine = false;

    const { error } = await w.run({ push: 'false', load: 'true', platforms: 'linux/amd64' }, undefined, {
      DOCKER_HOST: 'tcp://127.0.0.1:2375'
    });

    expect((error as Error).message).toContain('none answers at DOCKER_HOST=tcp://127.0.0.1:2375 (');
  });

  test('a push refused with 401 and no credentials configured at all says there are none', async () => {
    w.buildx.fail(
      'build',
      'ERROR: failed to push 127.0.0.1:5001/acme/app: unexpected status from HEAD request to http://127.0.0.1:5001/v2/acme/app/blobs/sha256:abc: 401 Unauthorized\n',
      { times: 'always' }
    );

    const { error } = await w.run({ platforms: 'linux/amd64' });

    expect((error as Error).message.split('\n')[0]).toBe(
      'no credentials for 127.0.0.1:5001: it asks for them (401 Unauthorized). Log in to 127.0.0.1:5001 before this step (docker/login-action on GitHub; docker login or a DOCKER_CONFIG holding credentials elsewhere).'
    );
  });

  test('a push buildx is refused with 401 fails at once, saying where to log in', async () => {
    w.buildx.fail(
      'build',
      'ERROR: failed to push 127.0.0.1:5001/acme/app: unexpected status from HEAD request to http://127.0.0.1:5001/v2/acme/app/blobs/sha256:abc: 401 Unauthorized\n',
      { times: 'always' }
    );
    // Credentials for the registry exist: it refused them.
    const config = path.join(w.dir, 'docker-config');
    mkdirSync(config, { recursive: true });
    writeFileSync(path.join(config, 'config.json'), JSON.stringify({ auths: { '127.0.0.1:5001': { auth: 'dTpw' } } }));

    const { error } = await w.run({ platforms: 'linux/amd64', retries: '3' }, undefined, { DOCKER_CONFIG: config });

    expect(w.commands().filter((c) => c.startsWith('buildx build'))).toHaveLength(1);
    expect((error as Error).message).toBe(
      '127.0.0.1:5001 refused the credentials (401 Unauthorized). Log in to 127.0.0.1:5001 before this step (docker/login-action on GitHub; docker login or a DOCKER_CONFIG holding credentials elsewhere).\n' +
        'ERROR: failed to push 127.0.0.1:5001/acme/app: unexpected status from HEAD request to http://127.0.0.1:5001/v2/acme/app/blobs/sha256:abc: 401 Unauthorized'
    );
  });

  test('push: the summary says what was pushed, where, and where the time went', async () => {
    const { mem } = await w.run({ platforms: 'linux/amd64,linux/arm64' });
    const digest = w.buildx.pushed[0].digest;
    const [amd64, arm64] = Object.values(platformDigests(digest));

    expect(mem.summaries.map((s) => stableSummary(w.normalise(s)))).toEqual([
      [
        '## Multi-arch image',
        '',
        '| | |',
        '|---|---|',
        '| Platforms | `linux/amd64` `linux/arm64` |',
        '| Emulated | `linux/arm64` |',
        `| Index digest | \`${digest}\` |`,
        '| Version | `1.2.3` |',
        '| Cache | `<registry>/acme/app:buildcache` |',
        '| Builder | `<builder>` (docker-container, BuildKit v0.32.2) |',
        '',
        '### Tags',
        '',
        ...refs(TAGS).map((r) => `- \`${r}\``),
        '',
        '### Platform digests',
        '',
        '| Platform | Digest |',
        '|---|---|',
        `| \`linux/amd64\` | \`${amd64}\` |`,
        `| \`linux/arm64\` | \`${arm64}\` |`,
        '',
        '### Verified in the registry',
        '',
        '| Platform | Manifest | Attestation |',
        '| --- | --- | --- |',
        `| linux/amd64 | \`${amd64}\` | \`${attestationOf(digest, amd64)}\` |`,
        `| linux/arm64 | \`${arm64}\` | \`${attestationOf(digest, arm64)}\` |`,
        '',
        // From the fake's status stream: arm64's RUN is emulated on this amd64 runner.
        '### Where the build time went',
        '',
        '```mermaid',
        'gantt',
        '  dateFormat x',
        '  axisFormat %M:%S',
        '  section linux/amd64',
        '  FROM busybox :done, 0, 1',
        '  RUN make :0, 1000',
        '  section linux/arm64',
        '  FROM busybox :done, 0, 1',
        '  RUN make :crit, 0, 3000',
        '```',
        '',
        'Red: a RUN step under emulation (QEMU); grey: served from cache.',
        '',
        '| Platform | Dockerfile line | Step | Seconds | Share of wall time |',
        '|---|---|---|---:|---:|',
        '| `linux/arm64` | Dockerfile | `RUN make` | 3.0 | 100 % |',
        '',
        '> **Hint:** Dockerfile `RUN make` ran under QEMU for linux/arm64: 3.0 s, 100 % of the wall time. Its stage (FROM at Dockerfile:1) has no `--platform=$BUILDPLATFORM`: run the compiler natively there and cross-compile for `$TARGETOS`/`$TARGETARCH`. See “Cross-compile instead of emulating” in the README.',
        '',
        '### Time',
        '',
        '| Phase | Seconds |',
        '|---|---|',
        '| Inputs | s |',
        '| Context | s |',
        '| Preflight | s |',
        '| Buildx | s |',
        '| Builder | s |',
        '| Build linux/amd64, linux/arm64 | s |',
        '| Stage | s |',
        '| Prove | s |',
        '| Commit tags | s |',
        ''
      ].join('\n')
    ]);
  });

  test('an existing builder is bootstrapped, never created, and left for the post step to keep', async () => {
    w.buildx.builders.add('shared');

    const { error, mem } = await w.run({ builder: 'shared', push: 'false' });

    expect(error).toBeUndefined();
    expect(commands()).toEqual([
      'buildx version',
      'buildx inspect --bootstrap --builder shared',
      'buildx build --platform linux/amd64,linux/arm64 (no output)',
      'buildx history logs --builder shared --progress rawjson fakebuildref'
    ]);
    expect(JSON.parse(mem.state.cleanup)).toMatchObject({ builder: '' });
  });

  test('a floating tag that points at a newer release is not moved, and the summary says so', async () => {
    await w.run({ platforms: 'linux/amd64,linux/arm64' });
    const newer = w.buildx.pushed[0].digest;
    w.registry.seen = [];

    const { error, mem } = await w.run({ platforms: 'linux/amd64,linux/arm64' }, 'refs/tags/v1.1.0');

    expect(error).toBeUndefined();
    const older = w.buildx.pushed[1].digest;
    inOrder(requests(), [
      ...PREFLIGHT,
      `GET /v2/acme/app/manifests/${older}`,
      ...proveRequests(older),
      // Each floating tag read before any tag moves: 1.1 is not there yet, 1 and latest name the newer index.
      {
        anyOrder: [
          'HEAD /v2/acme/app/manifests/1.1',
          'HEAD /v2/acme/app/manifests/1',
          'HEAD /v2/acme/app/manifests/latest',
          `GET /v2/acme/app/manifests/${newer}`,
          `GET /v2/acme/app/manifests/${newer}`
        ]
      },
      // The floating tags held back are neither moved nor read back.
      ...commitRequests(['1.1.0', '1.1', 'v1.1.0', 'sha-860c190'])
    ]);
    expect(w.store.tags(w.image)).toEqual({
      '1': newer,
      '1.1': older,
      '1.1.0': older,
      '1.2': newer,
      '1.2.3': newer,
      'v1.2.3': newer,
      'v1.1.0': older,
      latest: newer,
      'sha-860c190': older
    });
    expect(mem.log.warnings).toEqual([
      '1 not moved: it points to 1.2.3, newer than 1.1.0',
      'latest not moved: it points to 1.2.3, newer than 1.1.0'
    ]);
    expect(w.outputs(mem).tags).toBe(refs(['1.1.0', '1.1', 'v1.1.0', 'sha-860c190']).join('\n'));
    const summary = w.normalise(mem.summaries[0]);
    expect(summary).toContain(
      [
        '- `<registry>/acme/app:1.1.0`',
        '- `<registry>/acme/app:1.1`',
        '- `<registry>/acme/app:v1.1.0`',
        '- `<registry>/acme/app:sha-860c190`',
        '- `1` not moved (stays on 1.2.3, newer than 1.1.0)',
        '- `latest` not moved (stays on 1.2.3, newer than 1.1.0)'
      ].join('\n')
    );
  });
});

describe('run: merge', () => {
  /** Two matrix legs of this run, as `mode: platform` leaves them. */
  async function legs(): Promise<{ amd64: string; arm64: string }> {
    await w.run({ mode: 'platform', platforms: 'linux/amd64' });
    await w.run({ mode: 'platform', platforms: 'linux/arm64' });
    const [amd64, arm64] = w.buildx.pushed.map((p) => p.digest);
    w.buildx.calls.length = 0;
    w.registry.seen = [];
    return { amd64, arm64 };
  }

  const INDEX_ANNOTATIONS = [
    'index:org.opencontainers.image.created=2024-02-01T10:00:00.000Z',
    'index:org.opencontainers.image.description=An app',
    'index:org.opencontainers.image.licenses=Apache-2.0',
    'index:org.opencontainers.image.revision=860c1904a1ce19322e91ac35af1ab07466440c37',
    'index:org.opencontainers.image.source=https://github.com/octo/app',
    'index:org.opencontainers.image.title=app',
    'index:org.opencontainers.image.url=https://github.com/octo/app',
    'index:org.opencontainers.image.version=1.2.3'
  ];

  test.each([
    {
      name: 'by legs: each leg read by its hand-off tag, merged into one annotated index, read back',
      inputs: () => ({ mode: 'merge', platforms: 'linux/amd64,linux/arm64' }),
      read: ['<registry>/acme/app:leg-860c190-7001-linux-amd64', '<registry>/acme/app:leg-860c190-7001-linux-arm64'],
      mode: 'legs',
      groups: [
        'Inputs',
        'Context',
        'Preflight',
        'Buildx',
        'Find legs',
        'Stage',
        'Prove',
        'Commit tags',
        'Remove hand-off tags'
      ]
    },
    {
      name: 'by digests: each digest read, merged the same way',
      inputs: (d: { amd64: string; arm64: string }) => ({
        mode: 'merge',
        digests: `${d.amd64}\n${w.image}@${d.arm64}`
      }),
      read: ['<registry>/acme/app@<amd64>', '<registry>/acme/app@<arm64>'],
      mode: 'digests',
      groups: [
        'Inputs',
        'Context',
        'Preflight',
        'Buildx',
        'Find legs',
        'Stage',
        'Prove',
        'Commit tags',
        'Remove hand-off tags'
      ]
    }
  ])('$name', async ({ inputs, read, mode, groups }) => {
    const d = await legs();
    // The legs' indexes (image and attestation each), read before the merge may delete them.
    const children = (digest: string) =>
      (JSON.parse(w.store.get(`${w.image}@${digest}`)!.raw) as { manifests: Array<{ digest: string }> }).manifests;
    const legChildren = [...children(d.amd64), ...children(d.arm64)];
    const expectedPlatforms = JSON.stringify({
      'linux/amd64': platformDigests(d.amd64)['linux/amd64'],
      'linux/arm64': platformDigests(d.arm64)['linux/arm64']
    });

    const { error, mem } = await w.run(inputs(d));

    expect(error).toBeUndefined();
    const named = (line: string) => line.split(d.amd64).join('<amd64>').split(d.arm64).join('<arm64>');
    // The new index computed with no tag (--dry-run), then PUT by its digest by the client.
    expect(commands().map(named)).toEqual([
      'buildx version',
      ...read.map((ref) => `buildx imagetools inspect --raw ${ref}`),
      [
        'buildx imagetools create --dry-run',
        ...INDEX_ANNOTATIONS.map((a) => `--annotation ${a}`),
        '<registry>/acme/app@<amd64>',
        '<registry>/acme/app@<arm64>'
      ].join(' '),
      // Given digests: this run's possible hand-off tags, read to see whether they name them.
      ...(mode === 'digests'
        ? ['linux-amd64_linux-arm64', 'linux-amd64', 'linux-arm64'].map(
            (slug) => `buildx imagetools inspect --raw <registry>/acme/app:leg-860c190-7001-${slug}`
          )
        : [])
    ]);
    const merged = w.store.get(`${w.image}:1.2.3`)!;
    // Staged by digest, proven, the floating tags read, the tags moved and read back; then the legs'
    // indexes are deleted by digest with their hand-off tags (given digests too: this run's legs tagged them).
    inOrder(requests().map(named), [
      ...PREFLIGHT,
      `PUT /v2/acme/app/manifests/${merged.digest}`,
      ...proveRequests(merged.digest),
      floatingReads(['1.2', '1', 'latest']),
      ...commitRequests(TAGS),
      'DELETE /v2/acme/app/manifests/<amd64>',
      'DELETE /v2/acme/app/manifests/<arm64>'
    ]);
    expect(mem.log.groups).toEqual(groups);
    const index = JSON.parse(merged.raw) as {
      manifests: Array<{ digest: string }>;
      annotations: Record<string, string>;
    };
    // The legs' indexes merged into one.
    expect(index.manifests).toEqual(legChildren);
    expect(index.annotations['org.opencontainers.image.version']).toBe('1.2.3');
    expect(w.store.tags(w.image)).toEqual({
      '1': merged.digest,
      '1.2': merged.digest,
      '1.2.3': merged.digest,
      'v1.2.3': merged.digest,
      latest: merged.digest,
      'sha-860c190': merged.digest
    });
    const outputs = w.outputs(mem);
    expect(outputs.digest).toBe(merged.digest);
    expect(outputs.tags).toBe(refs(TAGS).join('\n'));
    expect(outputs['platform-digests']).toBe(expectedPlatforms);
    expect(outputs.builder).toBe('');
    expect(stableSummary(w.normalise(mem.summaries[0]))).toContain('| Builder | `` (not used (merge), BuildKit -) |');
  });
});

describe('run: prove and commit read through buildx, and a tag superseded by another run', () => {
  test('a registry our client cannot read (a 403 for a manifest, a HEAD with no digest) is read through buildx instead', async () => {
    w.registry.answer = (req, res, seen) => {
      const digest = /\/manifests\/(sha256:[0-9a-f]+)$/.exec(seen.url)?.[1];
      if (seen.method === 'HEAD') return void res.writeHead(200).end();
      if (seen.method === 'GET' && digest && digest !== w.buildx.pushed[0].digest)
        return void res.writeHead(403).end('denied');
      return w.registry.fromStore(req, res, seen);
    };

    const { error, mem } = await w.run({ platforms: 'linux/amd64' });

    expect(error).toBeUndefined();
    const index = w.buildx.pushed[0].digest;
    const children = listed(index);
    expect(children).toHaveLength(2);
    inOrder(
      commands().filter((c) => !c.startsWith('buildx history ')),
      [
        ...SETUP,
        `buildx build --platform linux/amd64 ${PUSH}`,
        ...children.map((c) => `buildx imagetools inspect --builder <builder> --raw <registry>/acme/app@${c}`),
        {
          anyOrder: ['1.2', '1', 'latest'].map(
            (t) => `buildx imagetools inspect --builder <builder> --raw <registry>/acme/app:${t}`
          )
        },
        ...refs(TAGS).map((r) => `buildx imagetools inspect --builder <builder> --raw ${r}`)
      ]
    );
    inOrder(requests(), [
      ...PREFLIGHT,
      `GET /v2/acme/app/manifests/${index}`,
      ...proveRequests(index),
      floatingReads(['1.2', '1', 'latest']),
      ...commitRequests(TAGS)
    ]);
    const amd64 = platformDigests(index)['linux/amd64'];
    expect(w.outputs(mem).attestations).toBe(JSON.stringify({ 'linux/amd64': attestationOf(index, amd64) }));
    expect(w.store.tags(w.image)).toEqual(Object.fromEntries(TAGS.map((t) => [t, index]).sort()));
  });

  test('a tag another run moved after our PUT is reported superseded: a warning, the run green, the outputs naming our index', async () => {
    // Another run's release, pushed while ours was building; it moves latest right after our PUT of it.
    const theirs = w.store.pushPlatforms(w.image, ['linux/amd64'], {}, { 'org.opencontainers.image.version': '1.2.3' });
    w.registry.answer = (req, res, seen) => {
      w.registry.fromStore(req, res, seen);
      if (seen.method === 'PUT' && seen.url.endsWith('/manifests/latest')) w.store.tag(w.image, 'latest', theirs);
    };

    const { error, result, mem } = await w.run({ platforms: 'linux/amd64' });

    expect(error).toBeUndefined();
    const ours = w.buildx.pushed[0].digest;
    expect(result!.superseded.map((s) => [w.normalise(s.ref), s.by])).toEqual([['<registry>/acme/app:latest', theirs]]);
    expect(mem.log.warnings.map((m) => w.normalise(m))).toEqual([
      `<registry>/acme/app:latest superseded by ${theirs} (another run moved it after this one; this run's index is ${ours})`
    ]);
    const outputs = w.outputs(mem);
    expect([outputs.digest, outputs.tags]).toEqual([ours, refs(TAGS).join('\n')]);
    expect(w.normalise(mem.summaries[0])).toContain(
      [
        '- `<registry>/acme/app:1.2.3`',
        '- `<registry>/acme/app:1.2`',
        '- `<registry>/acme/app:1`',
        '- `<registry>/acme/app:v1.2.3`',
        '- `<registry>/acme/app:sha-860c190`',
        `- \`<registry>/acme/app:latest\`: superseded by \`${theirs}\` (another run)`
      ].join('\n')
    );
    expect(w.store.tags(w.image)).toEqual({ ...Object.fromEntries(TAGS.map((t) => [t, ours])), latest: theirs });
  });
});

describe('run: dry run', () => {
  test('nothing starts and nothing is requested; the outputs and the summary say what a run would do', async () => {
    const { result, error, mem } = await w.run({ 'dry-run': 'true', platforms: 'linux/amd64' });

    expect(error).toBeUndefined();
    expect(result).toBeUndefined();
    expect(w.buildx.calls).toEqual([]);
    expect(w.requests()).toEqual([]);
    expect(mem.log.groups).toEqual(['Inputs', 'Context', 'Plan (dry run)']);
    const outputs = w.outputs(mem);
    expect([outputs.digest, outputs.tags, outputs['platform-digests'], outputs.metadata]).toEqual([
      '',
      refs(TAGS).join('\n'),
      '{}',
      '{}'
    ]);
    expect(w.normalise(mem.summaries[0]).split('\n')).toEqual([
      '## Multi-arch image (dry run: nothing was built or pushed)',
      '',
      '| | |',
      '|---|---|',
      '| Mode | build |',
      '| Platforms | `linux/amd64` |',
      '| Version | `1.2.3` |',
      '| Cache | `<registry>/acme/app:buildcache` |',
      '',
      '### Tags it would move',
      '',
      ...refs(TAGS).map((r) => `- \`${r}\``),
      '',
      '`1.2`, `1`, `latest` move only forward: the real run reads where they point first.',
      '',
      '### Steps',
      '',
      '```sh',
      '[request] POST <registry>/acme/app/blobs/uploads/ (push access; the session is cancelled at once)',
      '# the installed buildx',
      'docker buildx create --name <builder> --driver docker-container --driver-opt image=moby/buildkit:v0.32.2',
      'docker buildx inspect --bootstrap --builder <builder>',
      '# clean-up, in the post step: docker buildx rm --force <builder>',
      expect.stringMatching(
        /^docker buildx build --builder <builder> --progress plain --metadata-file <run-dir>\/metadata.json --platform linux\/amd64 .* --output type=image,name=<registry>\/acme\/app,push-by-digest=true,name-canonical=true,push=true,oci-mediatypes=true \.$/
      ),
      '[request] GET <registry>/acme/app@<digest of the build>',
      '[request] GET <registry>/acme/app@<digest of the build>',
      '[request] GET <registry>/acme/app@<digest of each manifest the index lists>',
      ...['1.2', '1', 'latest'].flatMap((t) => [
        `[request] GET <registry>/acme/app:${t}`,
        `# ${t} moves only forward: docker buildx imagetools inspect --builder <builder> --raw <registry>/acme/app:${t}`
      ]),
      ...refs(TAGS).map((r) => `[request] PUT ${r} (the bytes of <registry>/acme/app@<digest of the build>)`),
      ...refs(TAGS).map((r) => `[request] HEAD ${r}`),
      '```',
      ''
    ]);
  });
});

describe('run: a failure in each phase writes the failure summary, naming the phase, and is rethrown', () => {
  const FAILED_RUN = [
    '#8 [linux/arm64 2/2] RUN make',
    "#8 0.412 make: *** No rule to make target 'all'.  Stop.",
    '#8 ERROR: process "/bin/sh -c make" did not complete successfully: exit code: 2',
    '------',
    ' > [linux/arm64 2/2] RUN make:',
    "0.412 make: *** No rule to make target 'all'.  Stop.",
    '------',
    'Dockerfile:3',
    '--------------------',
    '   1 |     FROM busybox',
    '   2 |     COPY . /src',
    '   3 | >>> RUN make',
    '--------------------',
    'ERROR: failed to build: failed to solve: process "/bin/sh -c make" did not complete successfully: exit code: 2',
    ''
  ].join('\n');
  // Tag by tag, never a blanket sentence: here none has moved.
  const TO_MOVE = ['', '### Tags', '', ...refs(TAGS).map((r) => `- \`${r}\`: not moved`)];

  test.each<{
    name: string;
    inputs: Record<string, string>;
    env: NodeJS.ProcessEnv;
    setup: () => void;
    type: new (...args: never[]) => Error;
    phase: string;
    message: string;
    planned: boolean;
    phases: string[];
  }>([
    {
      name: 'Inputs: a bad input keeps its type (the command line exits 2 for it)',
      inputs: { mode: 'nope' },
      env: {},
      setup: () => undefined,
      type: InputError,
      phase: 'Inputs',
      message: 'input "mode": "nope" is not accepted; expected one of build, platform, merge, matrix, metadata',
      planned: false,
      phases: ['Inputs']
    },
    {
      name: 'Context: an event payload that cannot be read',
      inputs: {},
      env: { GITHUB_EVENT_PATH: '/nonexistent/event.json' },
      setup: () => undefined,
      type: Failure,
      phase: 'Context',
      message:
        "cannot read the event payload GITHUB_EVENT_PATH=/nonexistent/event.json: ENOENT: no such file or directory, open '/nonexistent/event.json'",
      planned: false,
      phases: ['Inputs', 'Context']
    },
    {
      name: 'Plan: tag rules that give no tag for this event',
      inputs: { tags: 'type=ref,event=pr' },
      env: {},
      setup: () => undefined,
      type: InputError,
      phase: 'Plan',
      message:
        'input "tags": "type=ref,event=pr" is not accepted; expected rules that give at least one tag for a push event on refs/tags/v1.2.3',
      planned: false,
      phases: ['Inputs', 'Context']
    },
    {
      name: 'Buildx: no buildx on the machine',
      inputs: {},
      env: {},
      setup: () => w.buildx.fail('version', "docker: 'buildx' is not a docker command.\n", { times: 'always' }),
      type: Failure,
      phase: 'Buildx',
      message:
        "buildx is not installed: `docker buildx version` exited with code 1 (docker: 'buildx' is not a docker command.); " +
        "`buildx version` exited with code 1 (docker: 'buildx' is not a docker command.). Set the buildx-version input " +
        '(for example buildx-version: v0.36.1) to install a release, or install buildx as a docker CLI plugin before this step.',
      planned: true,
      phases: ['Inputs', 'Context', 'Preflight', 'Buildx']
    },
    {
      name: 'Builder: a builder that does not start',
      inputs: {},
      env: {},
      setup: () =>
        w.buildx.fail(
          'inspect',
          'ERROR: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n'
        ),
      type: Failure,
      phase: 'Builder',
      message:
        'docker buildx inspect failed with exit code 1:\nERROR: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?',
      planned: true,
      phases: ['Inputs', 'Context', 'Preflight', 'Buildx', 'Builder']
    },
    {
      name: 'Build: a failed RUN step, named by platform, Dockerfile line and exit code',
      inputs: {},
      env: {},
      setup: () => w.buildx.fail('build', FAILED_RUN),
      type: Failure,
      phase: 'Build linux/amd64, linux/arm64',
      message: `linux/arm64: Dockerfile:3: RUN make failed: exit code 2\ndocker buildx build failed with exit code 1:\n${FAILED_RUN.trimEnd().split('\n').slice(-12).join('\n')}`,
      planned: true,
      phases: ['Inputs', 'Context', 'Preflight', 'Buildx', 'Builder', 'Build linux/amd64, linux/arm64']
    },
    {
      name: 'Find legs: a merge with no leg in the registry',
      inputs: { mode: 'merge', platforms: 'linux/amd64,linux/arm64' },
      env: {},
      setup: () => undefined,
      type: Failure,
      phase: 'Find legs',
      message:
        'merge: no leg result for linux/amd64 (no <registry>/acme/app:leg-860c190-7001-linux-amd64); ' +
        'linux/arm64 (no <registry>/acme/app:leg-860c190-7001-linux-arm64). ' +
        'Did every matrix leg run with mode: platform for this commit and run? Nothing was published.',
      planned: true,
      phases: ['Inputs', 'Context', 'Preflight', 'Buildx', 'Find legs']
    }
  ])('$name', async ({ inputs, env, setup, type, phase, message, planned, phases }) => {
    setup();

    const { error, mem } = await w.run(inputs, undefined, env);

    expect(error).toBeInstanceOf(type);
    expect(w.normalise((error as Error).message)).toBe(message);
    expect(stableSummary(w.normalise(mem.summaries.join('')))).toBe(
      [
        '## Multi-arch image: failed',
        '',
        `**${phase}** failed:`,
        '',
        '```',
        message,
        '```',
        ...(planned ? TO_MOVE : []),
        '',
        '### Time',
        '',
        '| Phase | Seconds |',
        '|---|---|',
        ...phases.map((p) => `| ${p} | s |`),
        ''
      ].join('\n')
    );
    expect(w.store.tags(w.image)).toEqual({});
  });

  test.each([
    {
      name: 'every PUT 503 until the retries run out: nothing moved',
      failFrom: 1,
      moved: [] as string[]
    },
    {
      name: 'the second PUT 503 until the retries run out: the first tag moved, the rest not',
      failFrom: 2,
      moved: ['1.2.3']
    }
  ])(
    'Commit tags: $name; outputs name the staged index and what moved, the summary lists each tag',
    async ({ failFrom, moved }) => {
      let puts = 0;
      w.registry.answer = (req, res, seen) =>
        seen.method === 'PUT' && ++puts >= failFrom
          ? void res.writeHead(503).end('busy')
          : w.registry.fromStore(req, res, seen);

      const { error, mem } = await w.run({});

      const staged = w.buildx.pushed[0].digest;
      const notMoved = TAGS.filter((t) => !moved.includes(t));
      expect(error).toBeInstanceOf(Failure);
      expect(w.normalise((error as Error).message)).toBe(
        [
          `moving the tags failed after ${moved.length} of ${TAGS.length}: tagging <registry>/acme/app:${notMoved[0]} failed 3 times; last error: PUT http://<registry>/v2/acme/app/manifests/${notMoved[0]} answered 503 Service Unavailable: busy`,
          `PUT http://<registry>/v2/acme/app/manifests/${notMoved[0]} answered 503 Service Unavailable: busy`,
          `Not moved: ${refs(notMoved).join(', ')}. The release is staged and proven: re-running the job moves the rest (a PUT of the same bytes changes nothing).`
        ].join('\n')
      );
      const outputs = w.outputs(mem);
      expect([outputs.digest, outputs.tags]).toEqual([staged, refs(moved).join('\n')]);
      const summary = stableSummary(w.normalise(mem.summaries.join('')));
      expect(summary).toContain('**Commit tags** failed:');
      expect(summary).toContain(
        [
          `Staged index: \`${staged}\` (by digest only${moved.length ? '' : '; nothing names it'})`,
          '',
          '### Tags',
          '',
          ...TAGS.map((t) => `- \`<registry>/acme/app:${t}\`: ${moved.includes(t) ? 'moved' : 'not moved'}`)
        ].join('\n')
      );
      expect(summary).not.toContain('none of these moved');
      expect(w.store.tags(w.image)).toEqual(Object.fromEntries(moved.map((t) => [t, staged])));
    }
  );

  test('Prove: a platform manifest gone between stage and prove: the run fails and no tag is PUT', async () => {
    w.registry.answer = (req, res, seen) => {
      // The first platform manifest of the pushed index, as a registry's clean-up might take it.
      const pushed = w.buildx.pushed[0];
      if (pushed && seen.method === 'GET' && seen.url.endsWith(listed(pushed.digest)[0]))
        return void res
          .writeHead(404, { 'Content-Type': 'application/json' })
          .end('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}');
      return w.registry.fromStore(req, res, seen);
    };

    const { error, mem } = await w.run({ platforms: 'linux/amd64' });

    const staged = w.buildx.pushed[0].digest;
    expect(error).toBeInstanceOf(Failure);
    expect(w.normalise((error as Error).message)).toMatch(
      new RegExp(
        `^<registry>/acme/app@${staged} failed verification; no tag moved:\n- platform linux/amd64: manifest sha256:[0-9a-f]{12} is listed but missing from the registry`
      )
    );
    expect(requests().filter((r) => r.startsWith('PUT '))).toEqual([]);
    expect(mem.log.groups.at(-1)).toBe('Prove');
    expect(w.outputs(mem).tags).toBe('');
    expect(w.outputs(mem).digest).toBe(staged);
    expect(stableSummary(w.normalise(mem.summaries.join('')))).toContain(
      ['', '### Tags', '', ...refs(TAGS).map((r) => `- \`${r}\`: not moved`)].join('\n')
    );
    expect(w.store.tags(w.image)).toEqual({});
  });

  test('Preflight: 403 on the upload POST fails naming the repository before any build command runs', async () => {
    w.registry.answer = (req, res, seen) =>
      seen.method === 'POST'
        ? void res.writeHead(403).end('{"errors":[{"code":"DENIED"}]}')
        : w.registry.fromStore(req, res, seen);

    const { error, mem } = await w.run({});

    expect(error).toBeInstanceOf(Failure);
    // The preflight's own words: which repository, and that nothing was built (not a generic 403 hint).
    const message = w.normalise((error as Error).message);
    expect(message).toContain(
      '- <registry>/acme/app: <registry> denied the push (403): the credentials are valid but may not push here'
    );
    expect(message).toContain('nothing was built and no tag moved');
    expect(w.buildx.calls).toEqual([]);
    expect(mem.log.groups).toEqual(['Inputs', 'Context', 'Preflight']);
    expect(requests()).toEqual(['POST /v2/acme/app/blobs/uploads/']);
    expect(w.store.tags(w.image)).toEqual({});
  });

  test('Preflight: a second repository refused (403) is the one named; nothing is built', async () => {
    w.registry.answer = (req, res, seen) =>
      seen.method === 'POST' && seen.url.startsWith('/v2/mirror/')
        ? void res.writeHead(403).end('{"errors":[{"code":"DENIED"}]}')
        : w.registry.fromStore(req, res, seen);

    const { error } = await w.run({ images: `${w.image}\n${w.registry.host}/mirror/app` });

    const message = w.normalise((error as Error).message);
    expect(message).toContain('- <registry>/mirror/app: <registry> denied the push (403)');
    expect(message).not.toContain('may not push to <registry>/acme/app');
    expect(w.buildx.calls).toEqual([]);
  });

  test('Preflight: a registry answering with an auth scheme only buildx knows is left for the push, said once', async () => {
    w.registry.answer = (req, res, seen) =>
      seen.method === 'POST'
        ? void res.writeHead(401, { 'WWW-Authenticate': 'Negotiate' }).end()
        : w.registry.fromStore(req, res, seen);

    const { error, mem } = await w.run({ platforms: 'linux/amd64' });

    expect(error).toBeUndefined();
    expect(mem.log.infos.map((l) => w.normalise(l))).toContain(
      'push access to <registry>/acme/app not checked before the build (<registry> asks for an unsupported authentication (Negotiate)); the push will tell'
    );
    expect(w.store.tags(w.image)['1.2.3']).toBe(w.buildx.pushed[0].digest);
  });

  test('a failed build is a Failure that says where in the Dockerfile', async () => {
    w.buildx.fail('build', FAILED_RUN);

    const { error } = await w.run({});

    expect([(error as Failure).file, (error as Failure).line]).toEqual(['Dockerfile', 3]);
  });
});

describe('the handler table: each of the plan’s steps run by its handler, in the plan’s order', () => {
  test.each([
    {
      name: 'a build to two repositories with platform tags',
      inputs: () => ({ images: `${w.image}\n${w.registry.host}/mirror/app`, 'platform-tags': 'true' }),
      kinds: ['preflight', 'buildx', 'builder', 'build', 'stage', 'prove', 'commit'],
      groups: ['Preflight', 'Buildx', 'Builder', 'Build linux/amd64, linux/arm64', 'Stage', 'Prove', 'Commit tags']
    },
    {
      name: 'a merge by digests',
      inputs: () => ({
        mode: 'merge',
        platforms: 'linux/amd64',
        provenance: 'false',
        digests: w.store.pushPlatforms(w.image, ['linux/amd64'])
      }),
      kinds: ['preflight', 'buildx', 'check-digests', 'stage', 'prove', 'commit', 'remove-legs'],
      groups: ['Preflight', 'Buildx', 'Find legs', 'Stage', 'Prove', 'Commit tags', 'Remove hand-off tags']
    }
  ])('$name', async ({ inputs, kinds, groups }) => {
    const { result, error, mem } = await w.run(inputs());

    expect(error).toBeUndefined();
    expect(result!.plan.steps.map((s) => s.kind)).toEqual(kinds);
    expect(mem.log.groups).toEqual(['Inputs', 'Context', ...groups]);
    expect(result!.timings.map(([phase]) => phase)).toEqual(['Inputs', 'Context', ...groups]);
  });
});

describe('the dry run’s tags output equals the real run’s', () => {
  test.each<{ name: string; inputs: Record<string, string>; ref: string | undefined; tags: string[] }>([
    {
      name: 'a pre-release with flavor latest=true: latest dropped by the plan in both',
      inputs: { flavor: 'latest=true', platforms: 'linux/amd64' },
      ref: 'refs/tags/v7.0.0-rc.1',
      tags: ['7.0.0-rc.1', 'v7.0.0-rc.1', 'sha-860c190']
    },
    {
      name: 'platform-tags: the platform tags in both',
      inputs: { 'platform-tags': 'true', tags: 'type=sha', platforms: 'linux/amd64,linux/arm64' },
      ref: undefined,
      tags: ['sha-860c190', 'sha-860c190-amd64', 'sha-860c190-arm64']
    }
  ])('$name', async ({ inputs, ref, tags }) => {
    const dry = await w.run({ ...inputs, 'dry-run': 'true' }, ref);
    const real = await w.run(inputs, ref);

    expect(real.error).toBeUndefined();
    expect(w.outputs(dry.mem).tags).toBe(refs(tags).join('\n'));
    expect(w.outputs(real.mem).tags).toBe(w.outputs(dry.mem).tags);
    expect(Object.keys(w.store.tags(w.image))).toEqual([...tags].sort());
  });
});

describe('the dry run prints what a real run of the same inputs starts, argument for argument', () => {
  /** Splits a line the dry run printed as a POSIX shell would (it quotes with single quotes only). */
  function shellWords(line: string): string[] {
    const words: string[] = [];
    let word: string | undefined;
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (c === ' ') {
        if (word !== undefined) words.push(word);
        word = undefined;
      } else if (c === "'") {
        const end = line.indexOf("'", i + 1);
        word = (word ?? '') + line.slice(i + 1, end);
        i = end;
      } else if (c === '\\') {
        word = (word ?? '') + line[++i];
      } else {
        word = (word ?? '') + c;
      }
    }
    if (word !== undefined) words.push(word);
    return words;
  }

  /**
   * The dry run's commands (as `buildx …`) and requests, placeholders replaced by what the real run
   * found; the line for each manifest the index lists becomes one line per manifest, in index order.
   */
  function dryRunSteps(
    summary: string,
    digests: Record<string, string>,
    children: string[]
  ): { commands: string[]; requests: string[] } {
    const each = '<digest of each manifest the index lists>';
    const steps = summary
      .slice(summary.indexOf('```sh\n') + 6, summary.lastIndexOf('```'))
      .trimEnd()
      .split('\n')
      .flatMap((line) => (line.includes(each) ? children.map((child) => line.split(each).join(child)) : [line]));
    const real = (line: string) =>
      Object.entries(digests).reduce((text, [placeholder, digest]) => text.split(placeholder).join(digest), line);
    return {
      commands: steps
        .filter((l) => l.startsWith('docker buildx '))
        .map((l) => w.normalise(['buildx', ...shellWords(real(l)).slice(2)].join(' '))),
      requests: steps.filter((l) => l.startsWith('[request] ')).map((l) => w.normalise(real(l)))
    };
  }

  test.each<{ name: string; inputs: Record<string, string>; legs: boolean }>([
    {
      name: 'build and push, to two repositories',
      inputs: { images: '', platforms: 'linux/amd64,linux/arm64' },
      legs: false
    },
    { name: 'a platform leg', inputs: { mode: 'platform', platforms: 'linux/arm64' }, legs: false },
    { name: 'merge by legs', inputs: { mode: 'merge', platforms: 'linux/amd64,linux/arm64' }, legs: true }
  ])('$name', async ({ inputs, legs }) => {
    const given = { ...inputs, images: inputs.images === '' ? `${w.image}\n${w.registry.host}/mirror/app` : w.image };
    const digests: Record<string, string> = {};
    if (legs) {
      for (const platform of ['linux/amd64', 'linux/arm64']) {
        await w.run({ mode: 'platform', platforms: platform });
        const ref = `${w.image}:leg-860c190-7001-${platform.replace('/', '-')}`;
        digests[`<digest of ${ref}>`] = w.store.get(ref)!.digest;
      }
    }
    const dry = await w.run({ ...given, 'dry-run': 'true' });
    w.buildx.calls.length = 0;

    const real = await w.run(given);

    expect(real.error).toBeUndefined();
    if (!legs) digests['<digest of the build>'] = w.buildx.pushed.at(-1)!.digest;
    // What verify read back: the build's index, or the merged one.
    const index = legs ? w.store.get(`${w.image}:1.2.3`)!.digest : w.buildx.pushed.at(-1)!.digest;
    digests['<digest of the index>'] = index;
    const printed = dryRunSteps(dry.mem.summaries[0], digests, listed(index));
    // Neither the version probe nor the emulation report's read of the build record is a step of the plan.
    expect(printed.commands).toEqual(
      w.commands().filter((c) => c !== 'buildx version' && !c.startsWith('buildx history '))
    );
    expect(printed.requests).toEqual(
      real.mem.log.infos.filter((l) => l.startsWith('[request] ')).map((l) => w.normalise(l))
    );
  });
});
