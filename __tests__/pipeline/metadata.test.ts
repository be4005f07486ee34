import { World } from './support/world.js';

// `mode: metadata`: the outputs metadata-action gives, from the plan alone: no buildx call, no
// registry request, a summary of what a build of this commit would be tagged and labelled.

let w: World;
beforeAll(async () => {
  w = await World.start();
});
afterAll(() => w.close());
beforeEach(() => w.reset());

const TAGS = ['1.2.3', '1.2', '1', 'v1.2.3', 'sha-860c190', 'latest'];
const LABELS = [
  'org.opencontainers.image.created=2024-02-01T10:00:00.000Z',
  'org.opencontainers.image.description=An app',
  'org.opencontainers.image.licenses=Apache-2.0',
  'org.opencontainers.image.revision=860c1904a1ce19322e91ac35af1ab07466440c37',
  'org.opencontainers.image.source=https://github.com/octo/app',
  'org.opencontainers.image.title=app',
  'org.opencontainers.image.url=https://github.com/octo/app',
  'org.opencontainers.image.version=1.2.3'
];

test('an image named: every image:tag ref as the tags output, labels and annotations at both levels, nothing built or asked of a registry', async () => {
  const { result, error, mem } = await w.run({
    mode: 'metadata',
    platforms: 'linux/amd64,linux/arm64',
    labels: 'org.opencontainers.image.title=app'
  });
  expect(error).toBeUndefined();
  expect(result).toBeUndefined();
  expect(w.commands()).toEqual([]);
  expect(w.requests()).toEqual([]);

  const refs = TAGS.map((t) => `<registry>/acme/app:${t}`);
  const annotations = [...LABELS.map((l) => `index:${l}`), ...LABELS.map((l) => `manifest:${l}`)];
  const outputs = w.outputs(mem);
  expect(outputs).toMatchObject({
    digest: '',
    version: '1.2.3',
    tags: refs.join('\n'),
    labels: LABELS.join('\n'),
    annotations: annotations.join('\n'),
    'platform-digests': '{}',
    builder: ''
  });
  expect(JSON.parse(outputs.json)).toMatchObject({ tags: refs, version: '1.2.3', annotations });

  expect(mem.log.groups).toEqual(['Inputs', 'Context', 'Metadata']);
  const logged = mem.log.infos.map((l) => w.normalise(l));
  expect(logged.slice(logged.indexOf('version: 1.2.3'))).toEqual([
    'version: 1.2.3',
    ...refs.map((r) => `tag: ${r}`),
    ...LABELS.map((l) => `label: ${l}`)
  ]);

  expect(mem.summaries.map((s) => w.normalise(s))).toEqual([
    [
      '## Image metadata (mode: metadata: nothing was built or pushed)',
      '',
      '| | |',
      '|---|---|',
      '| Version | `1.2.3` |',
      '',
      '### Tags',
      '',
      ...refs.map((r) => `- \`${r}\``),
      '',
      '### Labels',
      '',
      ...LABELS.map((l) => `- \`${l}\``),
      ''
    ].join('\n')
  ]);
});

test('no image named: the bare tags, as metadata-action gives them', async () => {
  const { error, mem } = await w.run({ mode: 'metadata', images: '', platforms: 'linux/amd64' });
  expect(error).toBeUndefined();
  expect(mem.outputs.tags).toBe(TAGS.join('\n'));
  expect(JSON.parse(mem.outputs.json).tags).toEqual(TAGS);
  // One platform: the annotations are for the manifest only.
  expect(mem.outputs.annotations.split('\n').every((a) => a.startsWith('manifest:'))).toBe(true);
  expect(mem.summaries[0]).toContain(['### Tags', '', ...TAGS.map((t) => `- \`${t}\``)].join('\n'));
});

test('no version and no tag from the rules: the summary says "-" and "none", the outputs are empty', async () => {
  const { error, mem } = await w.run(
    { mode: 'metadata', tags: 'type=semver,pattern={{version}}', platforms: 'linux/amd64' },
    'refs/heads/feature'
  );
  expect(error).toBeUndefined();
  expect(mem.outputs.tags).toBe('');
  expect(mem.outputs.version).toBe('');
  expect(mem.log.infos).toContain('version: (none)');
  expect(mem.summaries[0]).toContain('| Version | `-` |\n\n### Tags\n\nnone\n\n### Labels');
});
