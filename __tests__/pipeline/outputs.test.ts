import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  dryRunMarkdown,
  failureMarkdown,
  setOutputs,
  summaryMarkdown,
  tagsOutput
} from '../../src/pipeline/outputs.js';
import type { Result } from '../../src/pipeline/result.js';
import { memoryEdges } from '../support/edges.js';
import { planFor } from './support/plans.js';

// The outputs and the three summaries, literal.

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'outputs-'));
  writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const IMAGE = 'registry.test/acme/app';
const INDEX = `sha256:${'a'.repeat(64)}`;
const AMD64 = `sha256:${'b'.repeat(64)}`;
const plan = (given: Record<string, string>, ref?: string) =>
  planFor(
    dir,
    { images: IMAGE, platforms: 'linux/amd64', labels: 'org.opencontainers.image.title=app', ...given },
    ref
  );

test('setOutputs: every output, from the plan and what the run did', () => {
  const p = plan({ tags: 'type=semver,pattern={{version}}', annotations: 'com.example.team=core' });
  const mem = memoryEdges();

  setOutputs(mem, p, {
    digest: INDEX,
    platformDigests: { 'linux/amd64': AMD64 },
    tags: [`${IMAGE}:1.2.3`],
    metadata: { 'containerimage.digest': INDEX }
  });

  const labels = {
    'org.opencontainers.image.created': '2024-02-01T10:00:00.000Z',
    'org.opencontainers.image.description': 'An app',
    'org.opencontainers.image.revision': '860c1904a1ce19322e91ac35af1ab07466440c37',
    'org.opencontainers.image.source': 'https://github.com/octo/app',
    'org.opencontainers.image.title': 'app',
    'org.opencontainers.image.url': 'https://github.com/octo/app',
    'org.opencontainers.image.version': '1.2.3'
  };
  // One platform with provenance (the default) is pushed as an index: it gets the index's annotations too.
  const annotations = ['index', 'manifest'].flatMap((level) => [
    `${level}:com.example.team=core`,
    ...Object.entries(labels).map(([k, v]) => `${level}:${k}=${v}`)
  ]);
  expect(mem.outputs).toEqual({
    digest: INDEX,
    tags: `${IMAGE}:1.2.3`,
    version: '1.2.3',
    'platform-digests': `{"linux/amd64":"${AMD64}"}`,
    metadata: `{"containerimage.digest":"${INDEX}"}`,
    builder: 'multiarch-7001-1-a1b2c3',
    labels: Object.entries(labels)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n'),
    annotations: annotations.join('\n'),
    json: JSON.stringify({
      tags: [`${IMAGE}:1.2.3`],
      labels,
      annotations,
      version: '1.2.3',
      digest: INDEX,
      'platform-digests': { 'linux/amd64': AMD64 }
    }),
    // Nothing verified or signed in this result (outputs.release.test.ts fills these).
    attestations: '{}',
    signature: '',
    'verify-command': ''
  });
});

test.each<{ name: string; given: Record<string, string>; moved?: string[]; expected: string[] }>([
  {
    name: 'a build, nothing moved yet: what the rules computed',
    given: { tags: 'type=sha\ntype=raw,value=edge' },
    moved: undefined,
    expected: [`${IMAGE}:edge`, `${IMAGE}:sha-860c190`]
  },
  {
    name: 'a build that held a tag back: the tags that moved',
    given: { tags: 'type=sha\ntype=raw,value=edge' },
    moved: [`${IMAGE}:sha-860c190`],
    expected: [`${IMAGE}:sha-860c190`]
  },
  { name: 'a matrix leg: no tags', given: { mode: 'platform' }, moved: [`${IMAGE}:leg`], expected: [] },
  {
    name: 'platform-tags, before the run (the dry run): the platform tags the commit moves too',
    given: { tags: 'type=sha', 'platform-tags': 'true', platforms: 'linux/amd64,linux/arm64' },
    moved: undefined,
    expected: [`${IMAGE}:sha-860c190`, `${IMAGE}:sha-860c190-amd64`, `${IMAGE}:sha-860c190-arm64`]
  },
  {
    name: 'push false: what the rules computed, no platform tag',
    given: { push: 'false', tags: 'type=sha', 'platform-tags': 'true' },
    moved: undefined,
    expected: [`${IMAGE}:sha-860c190`]
  }
])('tagsOutput: $name', ({ given, moved, expected }) => {
  expect(tagsOutput(plan(given), moved)).toEqual(expected);
});

test('summaryMarkdown: nothing pushed, no cache, a pre-release held from latest', () => {
  const p = plan({ push: 'false', flavor: 'latest=true' }, 'refs/tags/v2.0.0-rc.1');
  const result: Result = {
    plan: p,
    digest: '',
    platformDigests: {},
    tags: [],
    held: [{ tag: 'latest', current: undefined, ours: '2.0.0-rc.1', reason: 'prerelease' }],
    superseded: [],
    removals: [],
    metadata: {},
    builder: { name: 'shared', driver: 'remote', platforms: [], buildkitVersion: 'v0.32.2' },
    timings: [
      ['Inputs', 0.04],
      ['Build linux/amd64', 12.25]
    ]
  };

  expect(summaryMarkdown(result)).toBe(
    [
      '## Multi-arch image',
      '',
      '| | |',
      '|---|---|',
      '| Platforms | `linux/amd64` |',
      '| Emulated | none |',
      '| Index digest | `not pushed` |',
      '| Version | `2.0.0-rc.1` |',
      '| Cache | `registry.test/acme/app:buildcache` |',
      '| Builder | `shared` (remote, BuildKit v0.32.2) |',
      '',
      '### Tags it would move',
      '',
      'none',
      '- `latest` not moved (pre-release)',
      '',
      '### Time',
      '',
      '| Phase | Seconds |',
      '|---|---|',
      '| Inputs | 0.0 |',
      '| Build linux/amd64 | 12.3 |',
      ''
    ].join('\n')
  );
});

test('dryRunMarkdown: push false moves no tag', () => {
  expect(dryRunMarkdown(plan({ push: 'false', tags: 'type=sha' }), ['# the installed buildx'])).toBe(
    [
      '## Multi-arch image (dry run: nothing was built or pushed)',
      '',
      '| | |',
      '|---|---|',
      '| Mode | build |',
      '| Platforms | `linux/amd64` |',
      '| Version | `sha-860c190` |',
      '| Cache | `registry.test/acme/app:buildcache` |',
      '',
      '### Tags it would move',
      '',
      'none',
      '',
      '### Steps',
      '',
      '```sh',
      '# the installed buildx',
      '```',
      ''
    ].join('\n')
  );
});

test.each([
  {
    name: 'before any phase, with no plan',
    phase: '',
    plan: undefined,
    expected: [
      '## Multi-arch image: failed',
      '',
      '**Start** failed:',
      '',
      '```',
      'boom',
      '```',
      '',
      '### Time',
      '',
      '| Phase | Seconds |',
      '|---|---|',
      ''
    ]
  },
  {
    name: 'a leg: the hand-off tag it was to move',
    phase: 'Build linux/arm64',
    plan: () => plan({ mode: 'platform', platforms: 'linux/arm64' }),
    expected: [
      '## Multi-arch image: failed',
      '',
      '**Build linux/arm64** failed:',
      '',
      '```',
      'boom',
      '```',
      '',
      '### Tags',
      '',
      `- \`${IMAGE}:leg-860c190-7001-linux-arm64\`: not moved`,
      '',
      '### Time',
      '',
      '| Phase | Seconds |',
      '|---|---|',
      '| Inputs | 1.0 |',
      ''
    ]
  }
])('failureMarkdown: $name', ({ phase, plan: p, expected }) => {
  const timings: Array<[string, number]> = p ? [['Inputs', 1]] : [];
  expect(failureMarkdown(phase, 'boom', p?.(), timings)).toBe(expected.join('\n'));
});

test('tagsOutput: a pre-release with flavor latest=true: latest is dropped by the plan, before and after the run alike', () => {
  const p = plan({ tags: 'type=semver,pattern={{version}}', flavor: 'latest=true' }, 'refs/tags/v7.0.0-rc.1');
  expect(tagsOutput(p)).toEqual([`${IMAGE}:7.0.0-rc.1`]);
});

test('summaryMarkdown: a tag superseded by another run is named with the digest it points at now', () => {
  const p = plan({ tags: 'type=ref,event=branch\ntype=sha' }, 'refs/heads/main');
  const theirs = `sha256:${'c'.repeat(64)}`;
  const summary = summaryMarkdown({
    plan: p,
    digest: INDEX,
    platformDigests: {},
    tags: [`${IMAGE}:main`, `${IMAGE}:sha-860c190`],
    held: [],
    superseded: [{ ref: `${IMAGE}:main`, by: theirs }],
    removals: [],
    metadata: {},
    builder: { name: 'b', driver: 'remote', platforms: [], buildkitVersion: 'v0.32.2' },
    timings: []
  });
  expect(summary).toContain(
    [
      '### Tags',
      '',
      `- \`${IMAGE}:main\`: superseded by \`${theirs}\` (another run)`,
      `- \`${IMAGE}:sha-860c190\``
    ].join('\n')
  );
});

test.each([
  {
    name: 'nothing moved',
    moved: [] as string[],
    staged: `Staged index: \`${INDEX}\` (by digest only; nothing names it)`
  },
  {
    name: 'the first tag moved',
    moved: [`${IMAGE}:1.2.3`],
    staged: `Staged index: \`${INDEX}\` (by digest only)`
  }
])(
  'failureMarkdown after the commit failed, $name: the staged index, then each tag moved or not moved, held ones said',
  ({ moved, staged }) => {
    const p = plan({ tags: 'type=semver,pattern={{version}}\ntype=semver,pattern={{major}}', flavor: 'latest=false' });
    const partial: Result = {
      plan: p,
      digest: INDEX,
      platformDigests: {},
      tags: moved,
      held: [{ tag: '1', current: '1.5.0', ours: '1.2.3', reason: 'newer' }],
      superseded: [],
      removals: [],
      metadata: {},
      builder: { name: 'b', driver: 'remote', platforms: [], buildkitVersion: 'v0.32.2' },
      timings: []
    };

    expect(failureMarkdown('Commit tags', 'boom', p, [['Commit tags', 1]], partial)).toBe(
      [
        '## Multi-arch image: failed',
        '',
        '**Commit tags** failed:',
        '',
        '```',
        'boom',
        '```',
        '',
        staged,
        '',
        '### Tags',
        '',
        `- \`${IMAGE}:1.2.3\`: ${moved.length ? 'moved' : 'not moved'}`,
        `- \`${IMAGE}:1\`: not moved`,
        '- `1`: not moved (stays on 1.5.0, newer than 1.2.3)',
        '',
        '### Time',
        '',
        '| Phase | Seconds |',
        '|---|---|',
        '| Commit tags | 1.0 |',
        ''
      ].join('\n')
    );
  }
);

test('summaryMarkdown: a platform a node fallback rebuilt under QEMU is named as emulated in the head table too', () => {
  const p = plan({
    platforms: 'linux/amd64,linux/arm64',
    nodes: 'linux/amd64=unix:///a.sock\nlinux/arm64=unix:///b.sock',
    'node-fallback': 'emulate'
  });
  const result: Result = {
    plan: p,
    digest: '',
    platformDigests: {},
    tags: [],
    held: [],
    superseded: [],
    removals: [],
    metadata: {},
    builder: { name: 'b', driver: 'remote', platforms: [], buildkitVersion: 'v0.32.2' },
    timings: [],
    placements: [
      { platform: 'linux/amd64', node: 'na', endpoint: 'unix:///a.sock', buildkitVersion: 'v0.32.2', emulated: false },
      {
        platform: 'linux/arm64',
        node: 'na',
        endpoint: 'unix:///a.sock',
        buildkitVersion: 'v0.32.2',
        emulated: true,
        fellBackFrom: 'nb'
      }
    ]
  };

  const md = summaryMarkdown(result);

  expect(p.emulated).toEqual([]);
  expect(md).toContain('| Emulated | `linux/arm64` |');
  expect(md).toContain('| `linux/arm64` | `na` (`unix:///a.sock`) | v0.32.2 | emulated; node nb failed');
  // push is on (the default): the tags are the ones moved.
  expect(md).toContain('### Tags\n');
});
