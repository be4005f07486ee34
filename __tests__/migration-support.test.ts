/**
 * The two pieces the migration corpus test (e2e/migration-corpus.test.ts) stands on: the
 * expression evaluator that plays the runner, and the mechanical migration. Wrong here, the corpus
 * would check the wrong inputs.
 */
import { describe, expect, test } from '@jest/globals';
import { parse } from 'yaml';
import { condition, evaluate, interpolate, Placeholder, type Contexts } from './e2e/support/expressions.js';
import { jobContexts, migrate, stepInputs, triggers, type Workflow } from './e2e/support/migration.js';

const contexts: Contexts = {
  github: { event_name: 'pull_request', ref: 'refs/heads/main', repository: 'acme/app', event: { number: 7 } },
  env: { REGISTRY: 'ghcr.io' },
  matrix: { platform: 'linux/arm64' },
  steps: new Placeholder('steps'),
  secrets: new Placeholder('secret')
};

describe('the expression evaluator', () => {
  test.each([
    ["github.event_name != 'pull_request'", false],
    ["github.event_name == 'PULL_REQUEST'", true],
    ["startsWith(github.ref, 'refs/heads/') && github.repository == 'acme/app'", true],
    ["!startsWith(github.ref, 'refs/tags/v0.')", true],
    ["github.ref == format('refs/heads/{0}', 'main')", true],
    ["(github.event_name == 'push' || github.event.number == 7) && matrix.platform == 'linux/arm64'", true],
    ['contains(fromJSON(\'["a","b"]\'), \'b\')', true]
  ])('%s is %s', (expression, value) => {
    expect(evaluate(expression, contexts)).toBe(value);
  });

  test('what only the run knows is a stable lower-case placeholder, property access included', () => {
    expect(interpolate('${{ env.REGISTRY }}/x:${{ steps.get_version.outputs.VERSION }}', contexts)).toBe(
      'ghcr.io/x:steps-get-version-outputs-version'
    );
    expect(interpolate("${{ fromJSON(steps.meta.outputs.json).labels['a.b'] }}", contexts)).toBe(
      'steps-meta-outputs-json-labels-a-b'
    );
    expect(interpolate('${{ secrets.DOCKER_REPO }}', contexts)).toBe('secret-docker-repo');
  });

  test('an if with text around ${{ }} is a non-empty string, so true, as GitHub evaluates it', () => {
    expect(condition("${{ github.event_name == 'push' }}", contexts)).toBe(false);
    expect(condition("${{ github.event_name == 'push' }} || ${{ github.ref }} != ''", contexts)).toBe(true);
    expect(condition(undefined, contexts)).toBe(true);
  });

  test('an unknown function or context is an error, not a silent value', () => {
    expect(() => evaluate('nope(1)', contexts)).toThrow(/unknown function/);
    expect(() => evaluate('nope.x', contexts)).toThrow(/unknown context/);
  });
});

const WORKFLOW = `
on:
  push:
    branches: [master]
    tags: ['v*']
  pull_request:
env:
  IMAGE: ghcr.io/\${{ github.repository }}
jobs:
  image:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: docker/setup-qemu-action@v3
        with: { image: tonistiigi/binfmt:qemu-v8 }
      - id: buildx
        uses: docker/setup-buildx-action@v3
        with: { version: v0.20.0, driver-opts: network=host }
      - id: meta
        uses: docker/metadata-action@v5
        with:
          images: \${{ env.IMAGE }}
          tags: type=ref,event=branch
          flavor: latest=false
      - run: echo "\${{ steps.meta.outputs.version }}" > VERSION
      - uses: docker/build-push-action@v6
        with:
          context: .
          builder: \${{ steps.buildx.outputs.name }}
          push: \${{ github.event_name != 'pull_request' }}
          tags: \${{ steps.meta.outputs.tags }}
          labels: \${{ steps.meta.outputs.labels }}
          build-args: V=\${{ steps.meta.outputs.version }}
      - run: echo "\${{ steps.meta.outputs.tags }}"
`;

describe('the mechanical migration', () => {
  const original = parse(WORKFLOW) as Workflow;
  const { workflow, steps } = migrate(original);

  test('build-push becomes ours, metadata rules become images/tags/flavor, the setup steps move onto it', () => {
    expect(steps).toHaveLength(1);
    expect(steps[0].step.uses).toBe('./');
    expect(steps[0].step.with).toEqual({
      context: '.',
      push: "${{ github.event_name != 'pull_request' }}",
      images: '${{ env.IMAGE }}',
      tags: 'type=ref,event=branch',
      flavor: 'latest=false',
      'build-args': 'V={{version}}',
      'buildx-version': 'v0.20.0',
      'driver-opts': 'network=host',
      'qemu-image': 'tonistiigi/binfmt:qemu-v8'
    });
    expect(original.jobs.image.steps).toHaveLength(7);
  });

  test('a metadata step a step before the build still reads becomes ours in mode metadata; QEMU and buildx go', () => {
    expect(workflow.jobs.image.steps!.map((s) => s.uses ?? '')).toEqual(['actions/checkout@v4', './', '', './', '']);
    const meta = workflow.jobs.image.steps![1];
    expect({ id: meta.id, with: meta.with }).toEqual({
      id: 'meta',
      with: { mode: 'metadata', images: '${{ env.IMAGE }}', tags: 'type=ref,event=branch', flavor: 'latest=false' }
    });
    expect(steps[0].kept).toEqual(['meta (mode: metadata)']);
  });

  test('a step after ours reads our outputs (same names); one before it still reads the metadata step', () => {
    const [, , before, , after] = workflow.jobs.image.steps!;
    expect(before.run).toBe('echo "${{ steps.meta.outputs.version }}" > VERSION');
    expect(steps[0].step.id).toBe('publish');
    expect(after.run).toBe('echo "${{ steps.publish.outputs.tags }}"');
  });

  test('the events: push to the named default branch, the tag, the pull request; inputs evaluated per event', () => {
    const events = triggers(original);
    expect(events.map((t) => `${t.name}:${t.branch}`)).toEqual([
      'push-branch:master',
      'push-tag:master',
      'pull_request:master'
    ]);
    const pr = stepInputs(steps[0].step, jobContexts(workflow, workflow.jobs.image, 'acme/app', events[2]));
    expect(pr.push).toBe('false');
    expect(pr.images).toBe('ghcr.io/acme/app');
    const push = stepInputs(steps[0].step, jobContexts(workflow, workflow.jobs.image, 'acme/app', events[0]));
    expect(push.push).toBe('true');
  });
});
