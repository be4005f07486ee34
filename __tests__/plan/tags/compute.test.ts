import { InputError } from '../../../src/plan/errors.js';
import { context, SHA } from '../../support/context.js';
import { run } from './support.js';

describe('computeTags with the default rules', () => {
  test.each([
    {
      name: 'release tag v1.2.3: the version tags, and the git tag as written (what metadata-action publishes)',
      ctx: context({ ref: 'refs/tags/v1.2.3' }),
      tags: ['1.2.3', '1.2', '1', 'v1.2.3', 'sha-860c190', 'latest'],
      version: '1.2.3',
      floating: ['1.2', '1', 'latest'],
      isLatest: true
    },
    {
      name: '0.x release: no major tag',
      ctx: context({ ref: 'refs/tags/v0.4.1' }),
      tags: ['0.4.1', '0.4', 'v0.4.1', 'sha-860c190', 'latest'],
      version: '0.4.1',
      floating: ['0.4', 'latest'],
      isLatest: true
    },
    {
      name: 'pre-release: full version and sha only, no latest',
      ctx: context({ ref: 'refs/tags/v2.0.0-rc.1' }),
      tags: ['2.0.0-rc.1', 'v2.0.0-rc.1', 'sha-860c190'],
      version: '2.0.0-rc.1',
      floating: [],
      isLatest: false
    },
    {
      name: 'semver build metadata is dropped from {{version}}',
      ctx: context({ ref: 'refs/tags/v1.2.3+build.7' }),
      tags: ['1.2.3', '1.2', '1', 'v1.2.3-build.7', 'sha-860c190', 'latest'],
      version: '1.2.3',
      floating: ['1.2', '1', 'latest'],
      isLatest: true
    },
    {
      name: 'push to main',
      ctx: context(),
      tags: ['main', 'sha-860c190'],
      version: 'main',
      floating: [],
      isLatest: false
    },
    {
      name: 'branch with slashes',
      ctx: context({ ref: 'refs/heads/feature/x' }),
      tags: ['feature-x', 'sha-860c190'],
      version: 'feature-x',
      floating: [],
      isLatest: false
    },
    {
      name: 'a 200-character branch is cut to 128',
      ctx: context({ ref: `refs/heads/${'b'.repeat(200)}` }),
      tags: ['b'.repeat(128), 'sha-860c190'],
      version: 'b'.repeat(128),
      floating: [],
      isLatest: false
    },
    {
      name: 'pull request',
      ctx: context({
        eventName: 'pull_request',
        ref: 'refs/pull/12/merge',
        pr: { number: 12, baseRef: 'main', headRef: 'feature/x' }
      }),
      tags: ['pr-12', 'sha-860c190'],
      version: 'pr-12',
      floating: [],
      isLatest: false
    },
    {
      name: 'a tag that is not a version publishes its own name, and latest',
      ctx: context({ ref: 'refs/tags/release1' }),
      tags: ['release1', 'sha-860c190', 'latest'],
      version: 'release1',
      floating: ['latest'],
      isLatest: true
    },
    {
      name: 'a tag that is no version (20200110-RC2, one number): its own name, and latest, as metadata-action',
      ctx: context({ ref: 'refs/tags/20200110-RC2' }),
      tags: ['20200110-RC2', 'sha-860c190', 'latest'],
      version: '20200110-RC2',
      floating: ['latest'],
      isLatest: true
    },
    {
      name: 'a schedule publishes nightly',
      ctx: context({ eventName: 'schedule' }),
      tags: ['nightly', 'main', 'sha-860c190'],
      version: 'nightly',
      floating: [],
      isLatest: false
    },
    {
      name: 'a 0.x pre-release: its full version only',
      ctx: context({ ref: 'refs/tags/v0.4.1-rc.1' }),
      tags: ['0.4.1-rc.1', 'v0.4.1-rc.1', 'sha-860c190'],
      version: '0.4.1-rc.1',
      floating: [],
      isLatest: false
    },
    {
      name: 'no sha and no ref: nothing',
      ctx: context({ ref: '', sha: '' }),
      tags: [],
      version: '',
      floating: [],
      isLatest: false
    }
  ])('$name', ({ ctx, tags, version, floating, isLatest }) => {
    const result = run(ctx);
    expect(result.tags).toEqual(tags);
    expect(result.version).toBe(version);
    expect(result.floating).toEqual(floating);
    expect(result.isLatest).toBe(isLatest);
  });

  test('refs are every image × tag, image by image', () => {
    const result = run(context({ ref: 'refs/tags/v1.2.3' }), '', '', ['ghcr.io/octo/app', 'octo/app']);
    expect(result.refs).toEqual([
      'ghcr.io/octo/app:1.2.3',
      'ghcr.io/octo/app:1.2',
      'ghcr.io/octo/app:1',
      'ghcr.io/octo/app:v1.2.3',
      'ghcr.io/octo/app:sha-860c190',
      'ghcr.io/octo/app:latest',
      'octo/app:1.2.3',
      'octo/app:1.2',
      'octo/app:1',
      'octo/app:v1.2.3',
      'octo/app:sha-860c190',
      'octo/app:latest'
    ]);
  });

  test('versionInfo of a pre-release', () => {
    expect(run(context({ ref: 'refs/tags/v2.0.0-rc.1' })).versionInfo).toEqual({
      version: '2.0.0-rc.1',
      major: 2,
      minor: 0,
      patch: 0,
      prerelease: 'rc.1'
    });
  });

  test('a non-semver tag is reported, not silently skipped', () => {
    expect(run(context({ ref: 'refs/tags/release1' })).warnings).toEqual([
      'type=semver,pattern={{version}}: "release1" is not a semantic version (https://semver.org); no tag',
      'type=semver,pattern={{major}}.{{minor}}: "release1" is not a semantic version (https://semver.org); no tag',
      'type=semver,pattern={{major}}: "release1" is not a semantic version (https://semver.org); no tag'
    ]);
  });
});

describe('computeTags with explicit rules', () => {
  test.each([
    {
      name: 'explicit {{major}} on 0.x still gives 0',
      ctx: context({ ref: 'refs/tags/v0.4.1' }),
      rules: 'type=semver,pattern={{major}}',
      tags: ['0', 'latest']
    },
    {
      name: 'semver patterns from the metadata-action table',
      ctx: context({ ref: 'refs/tags/v1.2.3' }),
      rules:
        'type=semver,pattern={{raw}}\ntype=semver,pattern=v{{major}}\ntype=semver,pattern={{minor}}\ntype=semver,pattern={{patch}}',
      tags: ['v1.2.3', 'v1', '2', '3', 'latest']
    },
    {
      name: 'pre-release: {{raw}} and {{version}} patterns only',
      ctx: context({ ref: 'refs/tags/v2.0.8-beta.67' }),
      rules:
        'type=semver,pattern={{raw}}\ntype=semver,pattern={{version}}\ntype=semver,pattern={{major}}.{{minor}}\ntype=semver,pattern={{major}}',
      tags: ['v2.0.8-beta.67', '2.0.8-beta.67']
    },
    {
      name: 'semver value= on a branch push',
      ctx: context(),
      rules: 'type=semver,pattern={{version}},value=v3.1.0',
      tags: ['3.1.0', 'latest']
    },
    {
      name: 'pep440 release',
      ctx: context({ ref: 'refs/tags/v1.2.3' }),
      rules: 'type=pep440,pattern={{version}}\ntype=pep440,pattern={{major}}.{{minor}}',
      tags: ['1.2.3', '1.2', 'latest']
    },
    {
      name: 'pep440 release candidate: normalized full version only',
      ctx: context({ ref: 'refs/tags/1.2.3RC2' }),
      rules: 'type=pep440,pattern={{version}}\ntype=pep440,pattern={{major}}.{{minor}}',
      tags: ['1.2.3rc2']
    },
    {
      name: 'pep440 dev release',
      ctx: context({ ref: 'refs/tags/1.0dev4' }),
      rules: 'type=pep440,pattern={{version}}\ntype=pep440,pattern={{major}}.{{minor}}',
      tags: ['1.0.dev4']
    },
    {
      name: 'pep440 post release',
      ctx: context({ ref: 'refs/tags/1.2.3post1' }),
      rules: 'type=pep440,pattern={{version}}\ntype=pep440,pattern={{major}}',
      tags: ['1.2.3.post1']
    },
    {
      name: 'match with a group',
      ctx: context({ ref: 'refs/tags/v2.3.4' }),
      rules: 'type=match,pattern=v(\\d+\\.\\d+),group=1',
      tags: ['2.3', 'latest']
    },
    {
      name: 'match on a path-like tag',
      ctx: context({ ref: 'refs/tags/p1/v1.2.3' }),
      rules: 'type=match,pattern=p1/v(\\d.\\d.\\d),group=1',
      tags: ['1.2.3', 'latest']
    },
    {
      name: 'match group 0 on a tag that is no version (20200110-RC2): latest, as metadata-action',
      ctx: context({ ref: 'refs/tags/20200110-RC2' }),
      rules: 'type=match,pattern=\\d+',
      tags: ['20200110', 'latest']
    },
    {
      name: 'match from a pre-release semver tag: no latest',
      ctx: context({ ref: 'refs/tags/v2.0.8-beta.67' }),
      rules: 'type=match,pattern=v(\\d.\\d),group=1',
      tags: ['2.0']
    },
    {
      name: 'match with /regex/flags and a quoted comma',
      ctx: context({ ref: 'refs/tags/V12.3' }),
      rules: 'type=match,"pattern=/^v(\\d{1,3})/i",group=1',
      tags: ['12', 'latest']
    },
    {
      name: 'match with a group the pattern lacks gives nothing from that rule; the others apply',
      ctx: context({ ref: 'refs/tags/v1.2.3' }),
      rules: 'type=match,pattern=v(\\d+),group=2\ntype=ref,event=tag',
      tags: ['v1.2.3', 'latest']
    },
    {
      name: 'match that does not match',
      ctx: context({ ref: 'refs/tags/nightly' }),
      rules: 'type=match,pattern=v(\\d+),group=1',
      tags: []
    },
    {
      name: 'ref event=tag gives latest',
      ctx: context({ ref: 'refs/tags/v1.2.3' }),
      rules: 'type=ref,event=tag',
      tags: ['v1.2.3', 'latest']
    },
    {
      name: 'ref event=tag of a pre-release: no latest',
      ctx: context({ ref: 'refs/tags/v2.0.0-rc.1' }),
      rules: 'type=ref,event=tag',
      tags: ['v2.0.0-rc.1']
    },
    {
      name: 'ref event=pr from the context when the ref is not a PR ref',
      ctx: context({
        eventName: 'pull_request_target',
        ref: 'refs/heads/main',
        pr: { number: 7, baseRef: 'main', headRef: 'fix' }
      }),
      rules: 'type=ref,event=pr',
      tags: ['pr-7']
    },
    {
      name: 'sha long',
      ctx: context(),
      rules: 'type=sha,format=long',
      tags: [`sha-${SHA}`]
    },
    {
      name: 'sha with own prefix',
      ctx: context(),
      rules: 'type=sha,prefix=',
      tags: ['860c190']
    },
    {
      name: 'bare lines and type=raw,value forms',
      ctx: context(),
      rules: 'foo\ntype=raw,bar\ntype=raw,value=baz\nenable=true,value=qux',
      tags: ['foo', 'bar', 'baz', 'qux']
    },
    {
      name: 'raw with expressions',
      ctx: context(),
      rules: 'type=raw,value=mytag-{{branch}}-{{sha}}',
      tags: ['mytag-main-860c190']
    },
    {
      name: 'prefix from an expression',
      ctx: context({ ref: 'refs/heads/dev' }),
      rules: 'type=sha,prefix={{branch}}-',
      tags: ['dev-860c190']
    },
    {
      name: 'base_ref of a pull request',
      ctx: context({
        eventName: 'pull_request',
        ref: 'refs/pull/3/merge',
        pr: { number: 3, baseRef: 'release/2.x', headRef: 'fix' }
      }),
      rules: 'type=raw,value=into-{{base_ref}}',
      tags: ['into-release-2.x']
    },
    {
      name: '{{tag}} is empty on a branch',
      ctx: context(),
      rules: 'type=raw,value=t{{tag}}b{{branch}}',
      tags: ['tbmain']
    },
    {
      name: 'latest on the default branch with is_default_branch',
      ctx: context(),
      rules: 'type=raw,value=latest,enable={{is_default_branch}}\ntype=ref,event=branch',
      tags: ['main', 'latest']
    },
    {
      name: 'is_default_branch is false elsewhere',
      ctx: context({ ref: 'refs/heads/dev' }),
      rules: 'type=raw,value=stable,enable={{is_default_branch}}\ntype=ref,event=branch',
      tags: ['dev']
    },
    {
      name: 'enable=false switches a rule off',
      ctx: context(),
      rules: 'type=ref,event=branch,enable=false\ntype=sha,enable=TRUE',
      tags: ['sha-860c190']
    },
    {
      name: 'edge on the default branch',
      ctx: context(),
      rules: 'type=edge',
      tags: ['edge']
    },
    {
      name: 'no edge on another branch',
      ctx: context({ ref: 'refs/heads/dev' }),
      rules: 'type=edge',
      tags: []
    },
    {
      name: 'edge on a named branch',
      ctx: context({ ref: 'refs/heads/dev' }),
      rules: 'type=edge,branch=dev',
      tags: ['edge']
    },
    {
      name: 'schedule default is nightly',
      ctx: context({ eventName: 'schedule' }),
      rules: 'type=schedule\ntype=ref,event=branch',
      tags: ['nightly', 'main']
    },
    {
      name: 'schedule rules do nothing on push',
      ctx: context(),
      rules: 'type=schedule',
      tags: []
    },
    {
      name: 'schedule with a date pattern uses SOURCE_DATE_EPOCH, not the clock',
      ctx: context({ eventName: 'schedule', sourceDateEpoch: new Date('2020-01-10T00:30:00Z') }),
      rules: "type=schedule,pattern={{date 'YYYYMMDD-HHmmss' tz='Asia/Tokyo'}}",
      tags: ['20200110-093000']
    },
    {
      name: 'schedule with a date pattern and no SOURCE_DATE_EPOCH uses now',
      ctx: context({ eventName: 'schedule' }),
      rules: "type=schedule,pattern=nightly-{{date 'YYYYMMDD'}}",
      tags: ['nightly-20240305']
    },
    {
      name: 'commit_date uses the commit time',
      ctx: context({ commitDate: new Date('2023-12-31T23:59:59Z') }),
      rules: "type=raw,value={{commit_date 'YYYY.MM.DD'}}",
      tags: ['2023.12.31']
    },
    {
      name: 'commit_date: SOURCE_DATE_EPOCH wins',
      ctx: context({ commitDate: new Date('2023-12-31T23:59:59Z'), sourceDateEpoch: new Date('2021-06-01T00:00:00Z') }),
      rules: "type=raw,value={{commit_date 'YYYY.MM.DD'}}",
      tags: ['2021.06.01']
    },
    {
      name: 'commit_date falls back to now',
      ctx: context(),
      rules: "type=raw,value={{commit_date 'YYYYMMDD'}}",
      tags: ['20240305']
    },
    {
      name: 'priority orders tags; ties keep the input order',
      ctx: context(),
      rules:
        'type=raw,value=low,priority=50\ntype=sha\ntype=raw,value=high,priority=2000\ntype=ref,event=branch\ntype=raw,value=also-high,priority=2000',
      tags: ['high', 'also-high', 'main', 'sha-860c190', 'low']
    },
    {
      name: 'duplicates are emitted once',
      ctx: context(),
      rules: 'type=raw,value=main\ntype=ref,event=branch',
      tags: ['main']
    },
    {
      name: 'a value that sanitizes to nothing is dropped',
      ctx: context(),
      rules: 'type=raw,value=///{{base_ref}}\ntype=raw,value=ok',
      tags: ['ok']
    }
  ])('$name', ({ ctx, rules, tags }) => {
    expect(run(ctx, rules).tags).toEqual(tags);
  });

  test('the version output is the first tag of the highest-priority rule', () => {
    const result = run(context(), 'type=sha\ntype=raw,value=first,priority=300');
    expect(result.version).toBe('first');
  });

  test('enable= expression that gives neither true nor false', () => {
    expect(() => run(context(), 'type=sha,enable={{branch}}')).toThrow(
      new InputError('tags', 'type=sha,enable={{branch}}', 'enable= to give true or false; it gave "main"')
    );
  });
});

describe('parity with docker/metadata-action', () => {
  test.each([
    {
      name: 'semver {{major}}.{{minor}} on a pre-release gives the full version',
      ctx: context({ ref: 'refs/tags/v2.0.8-beta.67' }),
      rules: 'type=semver,pattern={{major}}.{{minor}}',
      tags: ['2.0.8-beta.67'],
      version: '2.0.8-beta.67'
    },
    {
      name: 'semver {{major}} on a pre-release gives the full version',
      ctx: context({ ref: 'refs/tags/v2.0.8-beta.67' }),
      rules: 'type=semver,pattern={{major}}',
      tags: ['2.0.8-beta.67'],
      version: '2.0.8-beta.67'
    },
    {
      name: 'semver v{{major}} on a pre-release gives the full version, without the v',
      ctx: context({ ref: 'refs/tags/v2.0.8-beta.67' }),
      rules: 'type=semver,pattern=v{{major}}',
      tags: ['2.0.8-beta.67'],
      version: '2.0.8-beta.67'
    },
    {
      name: 'semver {{raw}} on a pre-release keeps the tag as written',
      ctx: context({ ref: 'refs/tags/v2.0.8-beta.67' }),
      rules: 'type=semver,pattern={{raw}}',
      tags: ['v2.0.8-beta.67'],
      version: 'v2.0.8-beta.67'
    },
    {
      name: 'pep440 {{major}}.{{minor}} on 1.1beta2 gives 1.1b2',
      ctx: context({ ref: 'refs/tags/1.1beta2' }),
      rules: 'type=pep440,pattern={{major}}.{{minor}}',
      tags: ['1.1b2'],
      version: '1.1b2'
    },
    {
      name: 'pep440 {{major}}.{{minor}} on 1.0dev4 gives 1.0.dev4',
      ctx: context({ ref: 'refs/tags/1.0dev4' }),
      rules: 'type=pep440,pattern={{major}}.{{minor}}',
      tags: ['1.0.dev4'],
      version: '1.0.dev4'
    },
    {
      name: 'pep440 {{major}} on a post release gives the full version',
      ctx: context({ ref: 'refs/tags/1.2.3post1' }),
      rules: 'type=pep440,pattern={{major}}',
      tags: ['1.2.3.post1'],
      version: '1.2.3.post1'
    },
    {
      name: 'pep440 {{raw}} keeps the ref as written',
      ctx: context({ ref: 'refs/tags/v1.2.3rc2' }),
      rules: 'type=pep440,pattern={{raw}}',
      tags: ['v1.2.3rc2'],
      version: 'v1.2.3rc2'
    },
    {
      name: 'pep440 {{version}} normalizes v1.2.3rc2',
      ctx: context({ ref: 'refs/tags/v1.2.3rc2' }),
      rules: 'type=pep440,pattern={{version}}',
      tags: ['1.2.3rc2'],
      version: '1.2.3rc2'
    },
    {
      name: 'semver match= takes the first group of a path-like tag',
      ctx: context({ ref: 'refs/tags/p1/v1.0.0' }),
      rules: 'type=semver,pattern={{version}},"match=v(\\d.\\d.\\d)$"',
      tags: ['1.0.0', 'latest'],
      version: '1.0.0'
    },
    {
      name: 'pep440 match= with {{major}}.{{minor}}',
      ctx: context({ ref: 'refs/tags/p1/v1.2.3' }),
      rules: 'type=pep440,pattern={{major}}.{{minor}},match=v(\\d+\\.\\d+\\.\\d+)',
      tags: ['1.2', 'latest'],
      version: '1.2'
    },
    {
      name: 'semver match= applies to value= on a branch push',
      ctx: context(),
      rules: 'type=semver,pattern={{version}},match=v(\\d.\\d.\\d)$,value=app/v2.3.4',
      tags: ['2.3.4', 'latest'],
      version: '2.3.4'
    },
    {
      name: 'semver match= without a group takes the whole match',
      ctx: context({ ref: 'refs/tags/release-1.4.0' }),
      rules: 'type=semver,pattern={{major}}.{{minor}},match=\\d+\\.\\d+\\.\\d+',
      tags: ['1.4', 'latest'],
      version: '1.4'
    },
    {
      name: '{{is_not_default_branch}} on another branch',
      ctx: context({ ref: 'refs/heads/dev' }),
      rules: 'type=raw,value=preview,enable={{is_not_default_branch}}\ntype=ref,event=branch',
      tags: ['dev', 'preview'],
      version: 'dev'
    },
    {
      name: '{{is_not_default_branch}} on the default branch',
      ctx: context(),
      rules: 'type=raw,value=preview,enable={{is_not_default_branch}}\ntype=ref,event=branch',
      tags: ['main'],
      version: 'main'
    },
    {
      name: '{{base_ref}} on a tag push comes from the payload',
      ctx: context({ ref: 'refs/tags/v1.2.3', baseRef: 'master' }),
      rules: 'type=raw,value=from-{{base_ref}}',
      tags: ['from-master'],
      version: 'from-master'
    },
    {
      name: '{{base_ref}} on a tag push without base_ref in the payload is empty',
      ctx: context({ ref: 'refs/tags/v1.2.3' }),
      rules: 'type=raw,value=from-{{base_ref}}',
      tags: ['from-'],
      version: 'from-'
    }
  ])('$name', ({ ctx, rules, tags, version }) => {
    const result = run(ctx, rules);
    expect(result.tags).toEqual(tags);
    expect(result.version).toBe(version);
  });

  test.each([
    {
      name: 'a group the pattern lacks',
      ctx: context({ ref: 'refs/tags/v1.2.3' }),
      rules: 'type=match,pattern=v(\\d+),group=2',
      warnings: ['type=match,pattern=v(\\d+),group=2: the pattern has no group 2; no tag']
    },
    {
      name: 'a match= that does not match keeps the tag',
      ctx: context({ ref: 'refs/tags/v1.2.3' }),
      rules: 'type=semver,pattern={{version}},match=^x(.*)',
      warnings: ['type=semver,pattern={{version}},match=^x(.*): match= does not match "v1.2.3"']
    }
  ])('warns on $name', ({ ctx, rules, warnings }) => {
    expect(run(ctx, rules).warnings).toEqual(warnings);
  });
});

describe('computeTags with full image references in tags', () => {
  test.each([
    {
      name: 'references only (steps.meta.outputs.tags), no images',
      rules: 'ghcr.io/acme/app:1.2.3\nghcr.io/acme/app:latest',
      images: [],
      tags: ['1.2.3', 'latest'],
      refs: ['ghcr.io/acme/app:1.2.3', 'ghcr.io/acme/app:latest']
    },
    {
      name: 'a reference goes on its own repository only; rules go on every image',
      rules: 'type=ref,event=branch\nghcr.io/acme/app:stable',
      images: ['ghcr.io/acme/app', 'docker.io/acme/app'],
      tags: ['main', 'stable'],
      refs: ['ghcr.io/acme/app:main', 'docker.io/acme/app:main', 'ghcr.io/acme/app:stable']
    },
    {
      name: 'a reference that repeats a computed one is published once',
      rules: 'type=ref,event=branch\nghcr.io/acme/app:main',
      images: ['ghcr.io/acme/app'],
      tags: ['main'],
      refs: ['ghcr.io/acme/app:main']
    },
    {
      name: 'the flavor does not touch a reference written out',
      rules: 'ghcr.io/acme/app:edge\ntype=ref,event=branch',
      images: ['ghcr.io/acme/app'],
      flavor: 'prefix=x-\nlatest=false',
      tags: ['x-main', 'edge'],
      refs: ['ghcr.io/acme/app:x-main', 'ghcr.io/acme/app:edge']
    }
  ])('$name', ({ rules, images, tags, refs, flavor }) => {
    const result = run(context(), rules, flavor ?? '', images);
    expect(result.tags).toEqual(tags);
    expect(result.refs).toEqual(refs);
  });
});

describe('computeTags for a commit that is a branch tip and tagged (a local release)', () => {
  test.each([
    {
      name: 'main tagged v3.0.1: what the branch push and the tag push publish together',
      ctx: context({ eventName: 'git', ref: 'refs/heads/main', extraRefs: ['refs/tags/v3.0.1'] }),
      tags: ['3.0.1', '3.0', '3', 'main', 'v3.0.1', 'sha-860c190', 'latest'],
      version: '3.0.1',
      floating: ['3.0', '3', 'latest'],
      isLatest: true
    },
    {
      name: 'detached at the tag, main at the same commit: the same tags',
      ctx: context({ eventName: 'git', ref: 'refs/tags/v3.0.1', extraRefs: ['refs/heads/main'] }),
      tags: ['3.0.1', '3.0', '3', 'main', 'v3.0.1', 'sha-860c190', 'latest'],
      version: '3.0.1',
      floating: ['3.0', '3', 'latest'],
      isLatest: true
    },
    {
      name: 'main tagged with a pre-release: its full version and the branch, no latest',
      ctx: context({ eventName: 'git', ref: 'refs/heads/main', extraRefs: ['refs/tags/v3.1.0-rc.1'] }),
      tags: ['3.1.0-rc.1', 'main', 'v3.1.0-rc.1', 'sha-860c190'],
      version: '3.1.0-rc.1',
      floating: [],
      isLatest: false
    },
    {
      name: 'main tagged release1 (not a version): the branch and the tag name, and latest',
      ctx: context({ eventName: 'git', ref: 'refs/heads/main', extraRefs: ['refs/tags/release1'] }),
      tags: ['main', 'release1', 'sha-860c190', 'latest'],
      version: 'main',
      floating: ['latest'],
      isLatest: true
    }
  ])('$name', ({ ctx, tags, version, floating, isLatest }) => {
    const result = run(ctx);
    expect(result.tags).toEqual(tags);
    expect(result.version).toBe(version);
    expect(result.floating).toEqual(floating);
    expect(result.isLatest).toBe(isLatest);
  });

  test('{{branch}} and {{tag}} read each ref in turn', () => {
    const ctx = context({ eventName: 'git', ref: 'refs/heads/main', extraRefs: ['refs/tags/v3.0.1'] });
    expect(run(ctx, 'type=raw,value=b-{{branch}}-t-{{tag}}').tags).toEqual(['b-main-t-', 'b--t-v3.0.1']);
  });
});

describe('latest=auto as metadata-action decides it (its vectors latest02, latest03, tag16)', () => {
  test.each([
    {
      name: 'latest02: type=match of 20200110-RC2 (no version: one number) gets latest',
      ref: 'refs/tags/20200110-RC2',
      rules: 'type=match,"pattern=^\\d+-RC\\d{1,2}"',
      images: ['user/app'],
      refs: ['user/app:20200110-RC2', 'user/app:latest'],
      version: '20200110-RC2'
    },
    {
      name: 'latest03: type=match,pattern=\\d{8} on 20200110-RC2 gets latest',
      ref: 'refs/tags/20200110-RC2',
      rules: 'type=match,pattern=\\d{8}',
      images: ['user/app'],
      refs: ['user/app:20200110', 'user/app:latest'],
      version: '20200110'
    },
    {
      name: 'tag16: a raw rule of priority 2000 comes first, and a raw rule never asks for latest',
      ref: 'refs/tags/v1.1.1',
      rules: 'type=raw,priority=2000,foo\ntype=ref,event=tag\ntype=edge',
      images: ['org/app', 'ghcr.io/user/app'],
      refs: ['org/app:foo', 'org/app:v1.1.1', 'ghcr.io/user/app:foo', 'ghcr.io/user/app:v1.1.1'],
      version: 'foo'
    }
  ])('$name', ({ ref, rules, images, refs, version }) => {
    const result = run(context({ ref }), rules, '', images);
    expect(result.refs).toEqual(refs);
    expect(result.version).toBe(version);
  });

  test.each([
    ['a semver pre-release', 'refs/tags/v2.0.0-rc.1', 'type=match,pattern=\\d.\\d.\\d.*'],
    ['a PEP 440 pre-release of a dotted version', 'refs/tags/1.2rc1', 'type=match,pattern=.*'],
    ['a PEP 440 dev release', 'refs/tags/1.0.dev4', 'type=ref,event=tag']
  ])('our rule stays for %s: no latest', (_what, ref, rules) => {
    const result = run(context({ ref }), rules);
    expect(result.tags.length).toBeGreaterThan(0);
    expect(result.isLatest).toBe(false);
  });

  test('an attribute a rule ignores is told among the tag warnings', () => {
    expect(run(context(), 'type=edge,onlatest=false').warnings).toContain(
      'type=edge,onlatest=false: "onlatest" is not an attribute of type=edge and is ignored (known: type, enable, priority, prefix, suffix, branch)'
    );
  });
});
