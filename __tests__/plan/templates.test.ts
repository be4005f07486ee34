import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readInputs } from '../../src/inputs/read.js';
import { InputError } from '../../src/plan/errors.js';
import { makePlan, type Plan } from '../../src/plan/plan.js';
import { nativePlatform } from '../../src/plan/platforms.js';
import { expandKnown } from '../../src/plan/templates.js';
import { context, SHA } from '../support/context.js';

// The tag templates in build-args, labels and annotations, and mode: metadata (no build at all).

const NOW = new Date('2024-03-05T14:07:09.042Z');
const TAG = context({ ref: 'refs/tags/v1.4.2', commitDate: new Date('2024-03-01T09:30:00Z') });
const IDS = {
  builderName: 'multiarch-7001-1-a1b2c3',
  metadataFile: '/tmp/m/metadata.json',
  secretPaths: {},
  runId: '7001'
};

let workspace: string;
beforeAll(() => {
  workspace = mkdtempSync(path.join(os.tmpdir(), 'templates-test-'));
  writeFileSync(path.join(workspace, 'Dockerfile'), 'FROM scratch\n');
});
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

function plan(given: Record<string, string>, ctx = TAG): Plan {
  const inputs = readInputs((name) => given[name] ?? '', workspace);
  return makePlan(inputs, ctx, nativePlatform('x64', 'linux'), NOW, IDS);
}

const argvOf = (p: Plan): string[] => p.steps.flatMap((s) => (s.kind === 'build' ? s.argv : []));
const buildArgs = (p: Plan): string[] => argvOf(p).filter((_, i, a) => a[i - 1] === '--build-arg');

describe('templates in build-args', () => {
  test('{{version}}, {{sha}}, {{tag}} and {{date}} reach the build on a tag push', () => {
    const p = plan({
      images: 'ghcr.io/octo/app',
      'build-args': "VERSION={{version}}\nREV={{sha}}\nGIT_TAG={{tag}}\nDAY={{date 'YYYYMMDD'}}\nPLAIN=1"
    });
    expect(buildArgs(p)).toEqual([
      'VERSION=1.4.2',
      `REV=${SHA.slice(0, 7)}`,
      'GIT_TAG=v1.4.2',
      'DAY=20240305',
      'PLAIN=1'
    ]);
    expect(p.tags.version).toBe('1.4.2');
  });

  test('on a branch: {{branch}}, and {{version}} is the branch tag (the version output)', () => {
    const p = plan({ images: 'ghcr.io/octo/app', 'build-args': 'V={{version}}\nB={{branch}}' }, context());
    expect(buildArgs(p)).toEqual(['V=main', 'B=main']);
  });

  test('a platform’s own build-args line is expanded too', () => {
    const p = plan({
      images: 'ghcr.io/octo/app',
      platforms: 'linux/amd64,linux/arm64',
      'build-args': 'linux/arm64=V={{version}}-arm'
    });
    const builds = p.steps.flatMap((s) => (s.kind === 'builds' ? s.builds : []));
    const arm = builds.find((b) => b.platform.id === 'linux/arm64')!;
    expect(arm.argv.filter((_, i, a) => a[i - 1] === '--build-arg')).toEqual(['V=1.4.2-arm']);
  });

  test('a Go template is passed as written; a misspelt name of ours is passed and warned about', () => {
    const p = plan({ images: 'ghcr.io/octo/app', 'build-args': 'FMT={{.Version}}\nX={{ .Name }}\nY={{verison}}' });
    expect(buildArgs(p)).toEqual(['FMT={{.Version}}', 'X={{ .Name }}', 'Y={{verison}}']);
    expect(p.warnings.join('\n')).toContain('build-args: {{verison}} in "Y={{verison}}" is not a template here');
    expect(p.warnings.join('\n')).not.toContain('.Version');
  });

  test('a known template used wrongly is refused naming the input and the line', () => {
    expect(() => plan({ images: 'ghcr.io/octo/app', 'build-args': "V={{version 'x'}}" })).toThrow(
      new InputError(
        'build-args',
        "V={{version 'x'}}",
        'values whose {{…}} are known templates ({{version}} takes no arguments)'
      )
    );
  });
});

describe('templates in labels and annotations', () => {
  test('labels and annotations say {{version}}', () => {
    const p = plan({
      images: 'ghcr.io/octo/app',
      push: 'false',
      labels: 'org.example.release=v{{version}}',
      annotations: 'index:org.example.release={{version}}\norg.example.sha={{sha}}'
    });
    expect(p.labels['org.example.release']).toBe('v1.4.2');
    expect(p.annotations).toEqual(
      expect.arrayContaining(['index:org.example.release=1.4.2', `manifest:org.example.sha=${SHA.slice(0, 7)}`])
    );
  });
});

describe('mode: metadata', () => {
  test('tags, labels, annotations and version, with no step at all', () => {
    const p = plan({ mode: 'metadata', images: 'ghcr.io/octo/app', labels: 'org.example.v={{version}}' });
    expect(p.steps).toEqual([]);
    expect(p.mode).toBe('metadata');
    expect(p.tags.refs).toEqual([
      'ghcr.io/octo/app:1.4.2',
      'ghcr.io/octo/app:1.4',
      'ghcr.io/octo/app:1',
      'ghcr.io/octo/app:v1.4.2',
      `ghcr.io/octo/app:sha-${SHA.slice(0, 7)}`,
      'ghcr.io/octo/app:latest'
    ]);
    expect([p.tags.version, p.labels['org.opencontainers.image.version'], p.labels['org.example.v']]).toEqual([
      '1.4.2',
      '1.4.2',
      '1.4.2'
    ]);
    expect(p.annotations).toContain('index:org.opencontainers.image.version=1.4.2');
  });

  test('no image and no context directory needed: nothing is built', () => {
    const p = plan({ mode: 'metadata', context: 'does/not/exist' });
    expect([p.steps, p.tags.refs, p.tags.tags.includes('1.4.2')]).toEqual([[], [], true]);
  });

  test('rules that give no tag are no error: the outputs are empty, as metadata-action gives them', () => {
    const p = plan({ mode: 'metadata', images: 'ghcr.io/octo/app', tags: 'type=ref,event=pr' });
    expect(p.tags.tags).toEqual([]);
  });
});

test.each([
  { text: 'v{{version}}', expected: 'v9.9', unknown: [] },
  {
    text: '{{range .Items}}{{.}}{{end}}',
    expected: '{{range .Items}}{{.}}{{end}}',
    unknown: ['{{range .Items}}', '{{end}}']
  },
  { text: 'no templates', expected: 'no templates', unknown: [] }
])('expandKnown: $text', ({ text, expected, unknown }) => {
  expect(expandKnown(text, context(), '9.9', NOW)).toEqual({ text: expected, unknown });
});
