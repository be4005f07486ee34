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
const TAGS = ['1.2.3', '1.2', '1', 'sha-860c190', 'latest'];
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

/** The verify step's requests: the index by digest, each manifest it lists, then a HEAD per moved tag. */
function verifyRequests(digest: string, tags: string[]): string[] {
  return [
    `GET /v2/acme/app/manifests/${digest}`,
    ...listed(digest).map((m) => `GET /v2/acme/app/manifests/${m}`),
    ...tags.map((t) => `HEAD /v2/acme/app/manifests/${t}`)
  ];
}

describe('run: one build', () => {
  test.each<{
    name: string;
    inputs: Record<string, string>;
    commands: string[];
    requests: (digest: string) => string[];
    groups: string[];
    pushed: boolean;
    tags: string[];
    registryTags: string[];
  }>([
    {
      name: 'push: the build pushes by digest, then one GET and a PUT per tag; the floating tags are read first',
      inputs: { platforms: 'linux/amd64,linux/arm64' },
      commands: [
        ...SETUP,
        `buildx build --platform linux/amd64,linux/arm64 ${PUSH}`,
        'buildx imagetools inspect --builder <builder> --raw <registry>/acme/app:1.2',
        'buildx imagetools inspect --builder <builder> --raw <registry>/acme/app:1',
        'buildx imagetools inspect --builder <builder> --raw <registry>/acme/app:latest'
      ],
      requests: (d: string) => [
        `GET /v2/acme/app/manifests/${d}`,
        ...TAGS.map((t) => `PUT /v2/acme/app/manifests/${t}`),
        ...verifyRequests(d, TAGS)
      ],
      groups: [
        'Inputs',
        'Context',
        'Buildx',
        'Builder',
        'Build linux/amd64, linux/arm64',
        'Publish tags',
        'Verify what was published'
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
      commands: [...SETUP, 'buildx build --platform linux/amd64 --load'],
      requests: () => [],
      groups: ['Inputs', 'Context', 'Buildx', 'Builder', 'Build linux/amd64'],
      pushed: false,
      tags: refs(TAGS),
      registryTags: []
    },
    {
      name: 'platform leg: the hand-off tag only, by a PUT; no tag output',
      inputs: { mode: 'platform', platforms: 'linux/arm64' },
      commands: [...SETUP, `buildx build --platform linux/arm64 ${PUSH}`],
      requests: (d: string) => [
        `GET /v2/acme/app/manifests/${d}`,
        'PUT /v2/acme/app/manifests/leg-860c190-7001-linux-arm64',
        ...verifyRequests(d, ['leg-860c190-7001-linux-arm64'])
      ],
      groups: [
        'Inputs',
        'Context',
        'Buildx',
        'Builder',
        'Build linux/arm64',
        'Hand off to the merge',
        'Verify what was published'
      ],
      pushed: true,
      tags: [],
      registryTags: ['leg-860c190-7001-linux-arm64']
    }
  ])('$name', async ({ inputs, commands: expected, requests, groups, pushed, tags, registryTags }) => {
    const { result, error, mem } = await w.run(inputs);

    expect(error).toBeUndefined();
    // The emulation report's read of the build record runs beside the later steps: its place varies.
    expect(commands().filter((c) => !c.startsWith('buildx history '))).toEqual(expected);
    expect(commands().filter((c) => c.startsWith('buildx history '))).toEqual([REPORT]);
    const digest = w.buildx.pushed[0]?.digest ?? '';
    expect(w.buildx.pushed.map((p) => p.image)).toEqual(pushed ? [w.image] : []);
    expect(w.requests()).toEqual(requests(digest));
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

  test('a push buildx is refused with 401 fails at once, saying where to log in', async () => {
    w.buildx.fail(
      'build',
      'ERROR: failed to push 127.0.0.1:5001/acme/app: unexpected status from HEAD request to http://127.0.0.1:5001/v2/acme/app/blobs/sha256:abc: 401 Unauthorized\n',
      { times: 'always' }
    );

    const { error } = await w.run({ platforms: 'linux/amd64', retries: '3' });

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
        '| Buildx | s |',
        '| Builder | s |',
        '| Build linux/amd64, linux/arm64 | s |',
        '| Publish tags | s |',
        '| Verify what was published | s |',
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
    expect(w.requests()).toEqual([
      `GET /v2/acme/app/manifests/${older}`,
      'PUT /v2/acme/app/manifests/1.1.0',
      'PUT /v2/acme/app/manifests/1.1',
      'PUT /v2/acme/app/manifests/sha-860c190',
      // The floating tags held back are not expected to point at this index.
      ...verifyRequests(older, ['1.1.0', '1.1', 'sha-860c190'])
    ]);
    expect(w.store.tags(w.image)).toEqual({
      '1': newer,
      '1.1': older,
      '1.1.0': older,
      '1.2': newer,
      '1.2.3': newer,
      latest: newer,
      'sha-860c190': older
    });
    expect(mem.log.warnings).toEqual([
      '1 not moved: it points to 1.2.3, newer than 1.1.0',
      'latest not moved: it points to 1.2.3, newer than 1.1.0'
    ]);
    expect(w.outputs(mem).tags).toBe(refs(['1.1.0', '1.1', 'sha-860c190']).join('\n'));
    const summary = w.normalise(mem.summaries[0]);
    expect(summary).toContain(
      [
        '- `<registry>/acme/app:1.1.0`',
        '- `<registry>/acme/app:1.1`',
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
        'Buildx',
        'Find legs',
        'Publish tags',
        'Verify what was published',
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
      groups: ['Inputs', 'Context', 'Buildx', 'Find legs', 'Publish tags', 'Verify what was published']
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
    expect(commands().map(named)).toEqual([
      'buildx version',
      ...read.map((ref) => `buildx imagetools inspect --raw ${ref}`),
      'buildx imagetools inspect --raw <registry>/acme/app:1.2',
      'buildx imagetools inspect --raw <registry>/acme/app:1',
      'buildx imagetools inspect --raw <registry>/acme/app:latest',
      [
        'buildx imagetools create',
        ...INDEX_ANNOTATIONS.map((a) => `--annotation ${a}`),
        ...refs(TAGS).map((r) => `--tag ${r}`),
        '<registry>/acme/app@<amd64>',
        '<registry>/acme/app@<arm64>'
      ].join(' '),
      'buildx imagetools inspect --raw <registry>/acme/app:1.2.3'
    ]);
    const merged = w.store.get(`${w.image}:1.2.3`)!;
    // The index read back and verified; then legs found by their hand-off tags are deleted by digest,
    // given digests are kept.
    expect(w.requests().map(named)).toEqual([
      ...verifyRequests(merged.digest, TAGS),
      ...(mode === 'legs' ? ['DELETE /v2/acme/app/manifests/<amd64>', 'DELETE /v2/acme/app/manifests/<arm64>'] : [])
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
      latest: merged.digest,
      ...(mode === 'legs' ? {} : { 'leg-860c190-7001-linux-amd64': d.amd64, 'leg-860c190-7001-linux-arm64': d.arm64 }),
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

describe('run: verify', () => {
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
    expect(commands().filter((c) => !c.startsWith('buildx history '))).toEqual([
      ...SETUP,
      `buildx build --platform linux/amd64 ${PUSH}`,
      'buildx imagetools inspect --builder <builder> --raw <registry>/acme/app:1.2',
      'buildx imagetools inspect --builder <builder> --raw <registry>/acme/app:1',
      'buildx imagetools inspect --builder <builder> --raw <registry>/acme/app:latest',
      ...children.map((c) => `buildx imagetools inspect --builder <builder> --raw <registry>/acme/app@${c}`),
      ...refs(TAGS).map((r) => `buildx imagetools inspect --builder <builder> --raw ${r}`)
    ]);
    expect(w.requests()).toEqual([
      `GET /v2/acme/app/manifests/${index}`,
      ...TAGS.map((t) => `PUT /v2/acme/app/manifests/${t}`),
      ...verifyRequests(index, TAGS)
    ]);
    const amd64 = platformDigests(index)['linux/amd64'];
    expect(w.outputs(mem).attestations).toBe(JSON.stringify({ 'linux/amd64': attestationOf(index, amd64) }));
  });

  test('a tag that the registry resolves to another digest fails the verification, naming it', async () => {
    const other = `sha256:${'0'.repeat(64)}`;
    w.registry.answer = (req, res, seen) =>
      seen.method === 'HEAD' && seen.url.endsWith('/manifests/latest')
        ? void res.writeHead(200, { 'Docker-Content-Digest': other }).end()
        : w.registry.fromStore(req, res, seen);

    const { error, mem } = await w.run({ platforms: 'linux/amd64' });

    const index = w.buildx.pushed[0].digest;
    const amd64 = platformDigests(index)['linux/amd64'];
    const wrong = `tag <registry>/acme/app:latest resolves to ${other}, not ${index}`;
    expect(error).toBeInstanceOf(Error);
    expect(w.normalise((error as Error).message)).toBe(
      [
        `<registry>/acme/app@${index} failed verification:`,
        `- ${wrong}`,
        '',
        '| Platform | Manifest | Attestation |',
        '| --- | --- | --- |',
        `| linux/amd64 | \`${amd64}\` | \`${attestationOf(index, amd64)}\` |`,
        '',
        `- ❌ ${wrong}`
      ].join('\n')
    );
    expect(mem.log.groups).toEqual([
      'Inputs',
      'Context',
      'Buildx',
      'Builder',
      'Build linux/amd64',
      'Publish tags',
      'Verify what was published'
    ]);
    expect(stableSummary(w.normalise(mem.summaries.join('')))).toContain('**Verify what was published** failed:');
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
      '### Steps',
      '',
      '```sh',
      '# the installed buildx',
      'docker buildx create --name <builder> --driver docker-container --driver-opt image=moby/buildkit:v0.32.2',
      'docker buildx inspect --bootstrap --builder <builder>',
      '# clean-up, in the post step: docker buildx rm --force <builder>',
      expect.stringMatching(
        /^docker buildx build --builder <builder> --progress plain --metadata-file <run-dir>\/metadata.json --platform linux\/amd64 .* --output type=image,name=<registry>\/acme\/app,push-by-digest=true,name-canonical=true,push=true,oci-mediatypes=true \.$/
      ),
      '[request] GET <registry>/acme/app@<digest of the build>',
      'docker buildx imagetools inspect --builder <builder> --raw <registry>/acme/app:1.2',
      'docker buildx imagetools inspect --builder <builder> --raw <registry>/acme/app:1',
      'docker buildx imagetools inspect --builder <builder> --raw <registry>/acme/app:latest',
      ...refs(TAGS).map((r) => `[request] PUT ${r} (the bytes of <registry>/acme/app@<digest of the build>)`),
      '[request] GET <registry>/acme/app@<digest of the index>',
      '[request] GET <registry>/acme/app@<digest of each manifest the index lists>',
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
  const TO_MOVE = [
    '',
    '### Tags it was to move',
    '',
    'A tag only ever moves onto a complete index; none of these moved unless the log shows it.',
    '',
    ...refs(TAGS).map((r) => `- \`${r}\``)
  ];

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
      message: 'input "mode": "nope" is not accepted; expected one of build, platform, merge',
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
      phases: ['Inputs', 'Context', 'Buildx']
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
      phases: ['Inputs', 'Context', 'Buildx', 'Builder']
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
      phases: ['Inputs', 'Context', 'Buildx', 'Builder', 'Build linux/amd64, linux/arm64']
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
      phases: ['Inputs', 'Context', 'Buildx', 'Find legs']
    },
    {
      name: 'Publish tags: a registry that answers every PUT 503 until the retries run out',
      inputs: {},
      env: {},
      setup: () => {
        w.registry.answer = (req, res, seen) =>
          seen.method === 'PUT' ? void res.writeHead(503).end('busy') : w.registry.fromStore(req, res, seen);
      },
      type: Failure,
      phase: 'Publish tags',
      message:
        'tagging <registry>/acme/app:1.2.3 against <registry> failed 3 times; last error: PUT http://<registry>/v2/acme/app/manifests/1.2.3 answered 503 Service Unavailable: busy. ' +
        'No tag was moved unless it points at a complete index.\n' +
        'PUT http://<registry>/v2/acme/app/manifests/1.2.3 answered 503 Service Unavailable: busy',
      planned: true,
      phases: ['Inputs', 'Context', 'Buildx', 'Builder', 'Build linux/amd64, linux/arm64', 'Publish tags']
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

  test('a failed build is a Failure that says where in the Dockerfile', async () => {
    w.buildx.fail('build', FAILED_RUN);

    const { error } = await w.run({});

    expect([(error as Failure).file, (error as Failure).line]).toEqual(['Dockerfile', 3]);
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
