import { readInputs } from '../../src/inputs/read.js';
import { metadataTags } from '../../src/plan/metadata.js';
import { makePlan, type Plan } from '../../src/plan/plan.js';
import { nativePlatform } from '../../src/plan/platforms.js';
import { context } from '../support/context.js';

// `mode: metadata` plans: metadata-action's values by the build's own rules, and no step at all.
// (mode: metadata needs no Dockerfile, so the inputs are read in the current directory.)

const NOW = new Date('2024-03-05T14:07:09Z');
const IDS = { builderName: 'b', metadataFile: '/tmp/m.json', secretPaths: {}, runId: '7001' };

function plan(given: Record<string, string>): Plan {
  const all: Record<string, string> = { mode: 'metadata', ...given };
  const inputs = readInputs((name) => all[name] ?? '', process.cwd(), nativePlatform('x64', 'linux'));
  return makePlan(inputs, context({ ref: 'refs/tags/v2.0.0' }), nativePlatform('x64', 'linux'), NOW, IDS);
}

test('nothing to run: no step, no builder, no cache, no emulation', () => {
  const p = plan({ images: 'ghcr.io/octo/app', platforms: 'linux/amd64,linux/arm64' });
  expect(p).toMatchObject({
    mode: 'metadata',
    emulated: [],
    steps: [],
    builder: '',
    cache: { from: [], to: [], refs: [] }
  });
  expect(p.platforms.map((x) => x.id)).toEqual(['linux/amd64', 'linux/arm64']);
  expect(p.tags.version).toBe('2.0.0');
});

test('the tags output: every image × tag when images are named, the bare tags when none is', () => {
  const tags = 'type=semver,pattern={{version}}\ntype=raw,value=stable';
  expect(metadataTags(plan({ images: 'ghcr.io/octo/app\nquay.io/octo/app', tags }))).toEqual([
    'ghcr.io/octo/app:2.0.0',
    'ghcr.io/octo/app:stable',
    'ghcr.io/octo/app:latest',
    'quay.io/octo/app:2.0.0',
    'quay.io/octo/app:stable',
    'quay.io/octo/app:latest'
  ]);
  // latest=auto: a version tag push gets `latest` too, as from metadata-action.
  expect(metadataTags(plan({ tags }))).toEqual(['2.0.0', 'stable', 'latest']);
});

test('annotations at the index and manifest levels for several platforms, the manifest alone for one', () => {
  const levels = (p: Plan) => [...new Set(p.annotations.map((a) => a.slice(0, a.indexOf(':'))))];
  const labels = 'org.opencontainers.image.title=app';
  const multi = plan({ platforms: 'linux/amd64,linux/arm64', labels });
  expect(levels(multi)).toEqual(['index', 'manifest']);
  expect(multi.annotations).toContain('index:org.opencontainers.image.title=app');
  expect(multi.labels['org.opencontainers.image.title']).toBe('app');
  expect(levels(plan({ platforms: 'linux/arm64', labels }))).toEqual(['manifest']);
});
