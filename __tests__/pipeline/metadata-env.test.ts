import type { Plan } from '../../src/plan/plan.js';
import { exportMetadataEnv, metadataEnv } from '../../src/pipeline/metadata-env.js';
import { memoryEdges } from '../support/edges.js';

/* Issue 21: metadata-action's DOCKER_METADATA_OUTPUT_* variables, in its formats. */

const plan = {
  tags: { version: '1.2.3', tags: ['1.2.3', 'latest'], refs: ['ghcr.io/acme/app:1.2.3', 'ghcr.io/acme/app:latest'] },
  labels: { 'org.opencontainers.image.version': '1.2.3', 'org.opencontainers.image.created': '2024-03-01T12:00:00Z' },
  annotations: [
    'index:org.opencontainers.image.created=2024-03-01T12:00:00Z',
    'index:org.opencontainers.image.version=1.2.3',
    'manifest:org.opencontainers.image.created=2024-03-01T12:00:00Z',
    'manifest:org.opencontainers.image.version=1.2.3'
  ]
} as unknown as Plan;

test('every variable metadata-action exports, newline lists and its json shape, labels sorted by key', () => {
  expect(metadataEnv(plan, {})).toEqual({
    DOCKER_METADATA_OUTPUT_VERSION: '1.2.3',
    DOCKER_METADATA_OUTPUT_TAGS: 'ghcr.io/acme/app:1.2.3\nghcr.io/acme/app:latest',
    DOCKER_METADATA_OUTPUT_TAG_NAMES: '1.2.3\nlatest',
    DOCKER_METADATA_OUTPUT_LABELS:
      'org.opencontainers.image.created=2024-03-01T12:00:00Z\norg.opencontainers.image.version=1.2.3',
    DOCKER_METADATA_OUTPUT_ANNOTATIONS:
      'manifest:org.opencontainers.image.created=2024-03-01T12:00:00Z\nmanifest:org.opencontainers.image.version=1.2.3',
    DOCKER_METADATA_OUTPUT_JSON: JSON.stringify({
      tags: ['ghcr.io/acme/app:1.2.3', 'ghcr.io/acme/app:latest'],
      'tag-names': ['1.2.3', 'latest'],
      labels: {
        'org.opencontainers.image.created': '2024-03-01T12:00:00Z',
        'org.opencontainers.image.version': '1.2.3'
      },
      annotations: [
        'manifest:org.opencontainers.image.created=2024-03-01T12:00:00Z',
        'manifest:org.opencontainers.image.version=1.2.3'
      ]
    })
  });
});

test('DOCKER_METADATA_ANNOTATIONS_LEVELS names the levels, as there', () => {
  expect(
    metadataEnv(plan, {
      DOCKER_METADATA_ANNOTATIONS_LEVELS: 'manifest,index'
    }).DOCKER_METADATA_OUTPUT_ANNOTATIONS.split('\n')
  ).toEqual([
    'manifest:org.opencontainers.image.created=2024-03-01T12:00:00Z',
    'manifest:org.opencontainers.image.version=1.2.3',
    'index:org.opencontainers.image.created=2024-03-01T12:00:00Z',
    'index:org.opencontainers.image.version=1.2.3'
  ]);
});

test('exported through the edges; DOCKER_METADATA_SET_OUTPUT_ENV=false turns it off', () => {
  const exported: Record<string, string> = {};
  const edges = { ...memoryEdges(), exportVariable: (n: string, v: string) => void (exported[n] = v) };
  exportMetadataEnv(edges, plan, { DOCKER_METADATA_SET_OUTPUT_ENV: 'false' });
  expect(exported).toEqual({});
  exportMetadataEnv(edges, plan, {});
  expect(Object.keys(exported).sort()).toEqual([
    'DOCKER_METADATA_OUTPUT_ANNOTATIONS',
    'DOCKER_METADATA_OUTPUT_JSON',
    'DOCKER_METADATA_OUTPUT_LABELS',
    'DOCKER_METADATA_OUTPUT_TAGS',
    'DOCKER_METADATA_OUTPUT_TAG_NAMES',
    'DOCKER_METADATA_OUTPUT_VERSION'
  ]);
});
