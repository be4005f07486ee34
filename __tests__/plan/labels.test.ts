import type { Context } from '../../src/plan/context.js';
import { context as baseContext, SHA } from '../support/context.js';
import { InputError } from '../../src/plan/errors.js';
import { computeAnnotations, computeLabels } from '../../src/plan/labels.js';

const NOW = new Date('2024-03-05T14:07:09.042Z');

/** A tag push of a repository that has a description and a licence. */
function context(over: Partial<Context> = {}): Context {
  return baseContext({
    ref: 'refs/tags/v1.2.3',
    repo: {
      fullName: 'octo/app',
      htmlUrl: 'https://github.com/octo/app',
      description: 'An app',
      license: 'Apache-2.0',
      defaultBranch: 'main'
    },
    commitDate: new Date('2024-02-01T10:00:00Z'),
    runId: '42',
    ...over
  });
}

describe('computeLabels', () => {
  test.each([
    {
      name: 'all eight from the context; created is the commit date',
      ctx: context(),
      user: [],
      expected: {
        'org.opencontainers.image.created': '2024-02-01T10:00:00.000Z',
        'org.opencontainers.image.description': 'An app',
        'org.opencontainers.image.licenses': 'Apache-2.0',
        'org.opencontainers.image.revision': SHA,
        'org.opencontainers.image.source': 'https://github.com/octo/app',
        'org.opencontainers.image.title': 'app',
        'org.opencontainers.image.url': 'https://github.com/octo/app',
        'org.opencontainers.image.version': '1.2.3'
      }
    },
    {
      name: 'SOURCE_DATE_EPOCH wins over the commit date',
      ctx: context({ sourceDateEpoch: new Date('2021-06-01T00:00:00Z') }),
      user: [],
      expected: {
        'org.opencontainers.image.created': '2021-06-01T00:00:00.000Z',
        'org.opencontainers.image.description': 'An app',
        'org.opencontainers.image.licenses': 'Apache-2.0',
        'org.opencontainers.image.revision': SHA,
        'org.opencontainers.image.source': 'https://github.com/octo/app',
        'org.opencontainers.image.title': 'app',
        'org.opencontainers.image.url': 'https://github.com/octo/app',
        'org.opencontainers.image.version': '1.2.3'
      }
    },
    {
      name: 'no commit date: now; no description or licence: left out',
      ctx: context({ commitDate: undefined, repo: { fullName: 'octo/app', htmlUrl: 'https://github.com/octo/app' } }),
      user: [],
      expected: {
        'org.opencontainers.image.created': '2024-03-05T14:07:09.042Z',
        'org.opencontainers.image.revision': SHA,
        'org.opencontainers.image.source': 'https://github.com/octo/app',
        'org.opencontainers.image.title': 'app',
        'org.opencontainers.image.url': 'https://github.com/octo/app',
        'org.opencontainers.image.version': '1.2.3'
      }
    },
    {
      name: 'user labels override, add, remove and expand expressions',
      ctx: context(),
      user: [
        'org.opencontainers.image.title=My App',
        'org.opencontainers.image.licenses=',
        'maintainer=ops@example.com',
        'build.url=https://ci.example.com/?a=b',
        "org.opencontainers.image.created={{commit_date 'YYYY-MM-DDTHH:mm:ss[Z]'}}"
      ],
      expected: {
        'build.url': 'https://ci.example.com/?a=b',
        maintainer: 'ops@example.com',
        'org.opencontainers.image.created': '2024-02-01T10:00:00Z',
        'org.opencontainers.image.description': 'An app',
        'org.opencontainers.image.revision': SHA,
        'org.opencontainers.image.source': 'https://github.com/octo/app',
        'org.opencontainers.image.title': 'My App',
        'org.opencontainers.image.url': 'https://github.com/octo/app',
        'org.opencontainers.image.version': '1.2.3'
      }
    }
  ])('$name', ({ ctx, user, expected }) => {
    const labels = computeLabels(ctx, '1.2.3', user, NOW);
    expect(labels).toEqual(expected);
    expect(Object.keys(labels)).toEqual(Object.keys(expected).sort());
  });

  test.each([
    {
      name: 'no =',
      line: 'maintainer',
      accepted: 'one key=value a line, the key without spaces (e.g. org.opencontainers.image.vendor=ACME)'
    },
    {
      name: 'empty key',
      line: '=x',
      accepted: 'one key=value a line, the key without spaces (e.g. org.opencontainers.image.vendor=ACME)'
    },
    {
      name: 'space in key',
      line: 'my key=x',
      accepted: 'one key=value a line, the key without spaces (e.g. org.opencontainers.image.vendor=ACME)'
    },
    {
      name: 'unknown expression',
      line: 'x={{verison}}',
      accepted:
        'key=value with known expressions (unknown expression {{verison}}; known here: branch, tag, sha, base_ref, is_default_branch, is_not_default_branch, date, commit_date, version)'
    }
  ])('rejects $name', ({ line, accepted }) => {
    expect(() => computeLabels(context(), '1.2.3', [line], NOW)).toThrow(new InputError('labels', line, accepted));
  });

  test('{{version}} is the version output, beside the other templates', () => {
    const labels = computeLabels(
      context(),
      '1.2.3',
      ['app.version=v{{version}}', 'app.build={{version}}+{{sha}}'],
      NOW
    );
    expect([labels['app.version'], labels['app.build']]).toEqual(['v1.2.3', `1.2.3+${context().sha.slice(0, 7)}`]);
  });
});

describe('computeAnnotations', () => {
  const labels = {
    'org.opencontainers.image.description': 'An app',
    'org.opencontainers.image.version': '1.2.3'
  };

  test.each([
    {
      name: 'index and manifest levels',
      levels: ['index', 'manifest'] as const,
      user: [],
      expected: [
        'index:org.opencontainers.image.description=An app',
        'index:org.opencontainers.image.version=1.2.3',
        'manifest:org.opencontainers.image.description=An app',
        'manifest:org.opencontainers.image.version=1.2.3'
      ]
    },
    {
      name: 'user annotations override at every level',
      levels: ['index', 'manifest'] as const,
      user: ['org.opencontainers.image.description=Better', 'org.opencontainers.image.vendor=ACME'],
      expected: [
        'index:org.opencontainers.image.description=Better',
        'index:org.opencontainers.image.vendor=ACME',
        'index:org.opencontainers.image.version=1.2.3',
        'manifest:org.opencontainers.image.description=Better',
        'manifest:org.opencontainers.image.vendor=ACME',
        'manifest:org.opencontainers.image.version=1.2.3'
      ]
    },
    {
      name: 'a user annotation with its own level applies there only, whatever the order',
      levels: ['index', 'manifest'] as const,
      user: ['index:org.opencontainers.image.description=Index only', 'org.opencontainers.image.description=Both'],
      expected: [
        'index:org.opencontainers.image.description=Index only',
        'index:org.opencontainers.image.version=1.2.3',
        'manifest:org.opencontainers.image.description=Both',
        'manifest:org.opencontainers.image.version=1.2.3'
      ]
    },
    {
      name: 'a platform-scoped level is passed through',
      levels: ['manifest'] as const,
      user: ['manifest[linux/arm64]:com.example.arch=arm'],
      expected: [
        'manifest:org.opencontainers.image.description=An app',
        'manifest:org.opencontainers.image.version=1.2.3',
        'manifest[linux/arm64]:com.example.arch=arm'
      ]
    },
    {
      name: 'key= removes an annotation',
      levels: ['index'] as const,
      user: ['org.opencontainers.image.description='],
      expected: ['index:org.opencontainers.image.version=1.2.3']
    },
    {
      name: 'no levels, no annotations',
      levels: [] as const,
      user: [],
      expected: []
    }
  ])('$name', ({ levels, user, expected }) => {
    expect(computeAnnotations(labels, user, [...levels])).toEqual(expected);
  });

  test('rejects a line without key=value', () => {
    expect(() => computeAnnotations(labels, ['index:novalue'], ['index'])).toThrow(
      new InputError(
        'annotations',
        'index:novalue',
        'one key=value a line, the key without spaces (e.g. org.opencontainers.image.vendor=ACME)'
      )
    );
  });
});
