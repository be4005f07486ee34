import type { Context } from '../../src/plan/context.js';
import { formatDate } from '../../src/plan/dates.js';
import { InputError } from '../../src/plan/errors.js';
import {
  computeTags,
  defaultTagRules,
  holdBackFloating,
  parseFlavor,
  parsePep440,
  parseTagRules,
  type TagResult
} from '../../src/plan/tags.js';

const SHA = '860c1904a1ce19322e91ac35af1ab07466440c37';
const NOW = new Date('2024-03-05T14:07:09.042Z');

function context(over: Partial<Context> = {}): Context {
  return {
    eventName: 'push',
    ref: 'refs/heads/main',
    sha: SHA,
    repo: { fullName: 'octo/app', htmlUrl: 'https://github.com/octo/app', defaultBranch: 'main' },
    runId: '42',
    runAttempt: '1',
    ...over
  };
}

function run(ctx: Context, tags = '', flavor = '', images: string[] = []): TagResult {
  return computeTags({ images, rules: parseTagRules(tags), flavor: parseFlavor(flavor), context: ctx, now: NOW });
}

describe('computeTags with the default rules', () => {
  test.each([
    {
      name: 'release tag v1.2.3',
      ctx: context({ ref: 'refs/tags/v1.2.3' }),
      tags: ['1.2.3', '1.2', '1', 'sha-860c190', 'latest'],
      version: '1.2.3',
      floating: ['1.2', '1', 'latest'],
      isLatest: true
    },
    {
      name: '0.x release: no major tag',
      ctx: context({ ref: 'refs/tags/v0.4.1' }),
      tags: ['0.4.1', '0.4', 'sha-860c190', 'latest'],
      version: '0.4.1',
      floating: ['0.4', 'latest'],
      isLatest: true
    },
    {
      name: 'pre-release: full version and sha only, no latest',
      ctx: context({ ref: 'refs/tags/v2.0.0-rc.1' }),
      tags: ['2.0.0-rc.1', 'sha-860c190'],
      version: '2.0.0-rc.1',
      floating: [],
      isLatest: false
    },
    {
      name: 'semver build metadata is dropped from {{version}}',
      ctx: context({ ref: 'refs/tags/v1.2.3+build.7' }),
      tags: ['1.2.3', '1.2', '1', 'sha-860c190', 'latest'],
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
      name: 'a tag that is not semver gives the sha only',
      ctx: context({ ref: 'refs/tags/release1' }),
      tags: ['sha-860c190'],
      version: 'sha-860c190',
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
      'ghcr.io/octo/app:sha-860c190',
      'ghcr.io/octo/app:latest',
      'octo/app:1.2.3',
      'octo/app:1.2',
      'octo/app:1',
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
      name: 'match group 0 on a pre-release tag: no latest',
      ctx: context({ ref: 'refs/tags/20200110-RC2' }),
      rules: 'type=match,pattern=\\d+',
      tags: ['20200110']
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

describe('flavor', () => {
  test.each([
    {
      name: 'prefix with onlatest and suffix without',
      ctx: context({ ref: 'refs/tags/v1.2.3' }),
      flavor: 'latest=auto\nprefix=app-,onlatest=true\nsuffix=-alpine',
      tags: ['app-1.2.3-alpine', 'app-1.2-alpine', 'app-1-alpine', 'sha-860c190-alpine', 'app-latest'],
      version: 'app-1.2.3-alpine',
      floating: ['app-1.2-alpine', 'app-1-alpine', 'app-latest']
    },
    {
      name: 'suffix on latest too',
      ctx: context({ ref: 'refs/tags/v1.2.3' }),
      flavor: 'suffix=-slim,onlatest=true',
      tags: ['1.2.3-slim', '1.2-slim', '1-slim', 'sha-860c190-slim', 'latest-slim'],
      version: '1.2.3-slim',
      floating: ['1.2-slim', '1-slim', 'latest-slim']
    },
    {
      name: 'latest=false',
      ctx: context({ ref: 'refs/tags/v1.2.3' }),
      flavor: 'latest=false',
      tags: ['1.2.3', '1.2', '1', 'sha-860c190'],
      version: '1.2.3',
      floating: ['1.2', '1']
    },
    {
      name: 'latest=true on a branch',
      ctx: context(),
      flavor: 'latest=true',
      tags: ['main', 'sha-860c190', 'latest'],
      version: 'main',
      floating: ['latest']
    },
    {
      name: 'a rule prefix beats the flavor prefix',
      ctx: context({ ref: 'refs/heads/dev' }),
      flavor: 'prefix=x-',
      tags: ['x-dev', 'sha-860c190'],
      version: 'x-dev',
      floating: []
    }
  ])('$name', ({ ctx, flavor, tags, version, floating }) => {
    const result = run(ctx, '', flavor);
    expect(result.tags).toEqual(tags);
    expect(result.version).toBe(version);
    expect(result.floating).toEqual(floating);
  });

  test.each([
    {
      name: 'empty',
      raw: '',
      expected: { latest: 'auto', prefix: '', prefixLatest: false, suffix: '', suffixLatest: false }
    },
    {
      name: 'all settings',
      raw: 'latest=false\nprefix=v,onlatest=true\nsuffix=-slim,onlatest=false',
      expected: { latest: 'false', prefix: 'v', prefixLatest: true, suffix: '-slim', suffixLatest: false }
    }
  ])('parseFlavor $name', ({ raw, expected }) => {
    expect(parseFlavor(raw)).toEqual(expected);
  });

  test.each([
    { name: 'bad latest', raw: 'latest=maybe', why: 'latest must be auto, true or false, not "maybe"' },
    { name: 'bad onlatest', raw: 'prefix=v,onlatest=perhaps', why: 'onlatest must be true or false, not "perhaps"' },
    { name: 'unknown setting', raw: 'colour=red', why: 'unknown setting "colour"' },
    { name: 'unknown attribute', raw: 'suffix=-x,always=true', why: 'unknown attribute "always"' }
  ])('parseFlavor rejects $name', ({ raw, why }) => {
    expect(() => parseFlavor(raw)).toThrow(
      new InputError(
        'flavor',
        raw,
        `one setting a line: latest=auto|true|false, prefix=<text>[,onlatest=true|false], suffix=<text>[,onlatest=true|false] (${why})`
      )
    );
  });
});

describe('parseTagRules', () => {
  test('empty input gives the defaults', () => {
    expect(parseTagRules('  \n# nothing\n')).toEqual(defaultTagRules());
    expect(defaultTagRules().map((r) => [r.raw, r.priority])).toEqual([
      ['type=ref,event=branch', 600],
      ['type=ref,event=pr', 400],
      ['type=semver,pattern={{version}}', 900],
      ['type=semver,pattern={{major}}.{{minor}}', 900],
      ['type=semver,pattern={{major}}', 900],
      ['type=sha', 100]
    ]);
  });

  test.each([
    {
      name: 'sha defaults',
      line: 'type=sha',
      rule: { type: 'sha', raw: 'type=sha', enable: 'true', priority: 100, prefix: 'sha-', format: 'short' }
    },
    {
      name: 'ref pr defaults',
      line: 'type=ref,event=pr',
      rule: { type: 'ref', raw: 'type=ref,event=pr', enable: 'true', priority: 400, event: 'pr', prefix: 'pr-' }
    },
    {
      name: 'ref tag priority',
      line: 'type=ref,event=tag',
      rule: { type: 'ref', raw: 'type=ref,event=tag', enable: 'true', priority: 500, event: 'tag' }
    },
    {
      name: 'schedule default pattern',
      line: 'type=schedule',
      rule: { type: 'schedule', raw: 'type=schedule', enable: 'true', priority: 1000, pattern: 'nightly' }
    },
    {
      name: 'match group default',
      line: 'type=match,pattern=v(.*)',
      rule: {
        type: 'match',
        raw: 'type=match,pattern=v(.*)',
        enable: 'true',
        priority: 800,
        pattern: 'v(.*)',
        group: 0
      }
    },
    {
      name: 'edge',
      line: 'type=edge,branch=dev',
      rule: { type: 'edge', raw: 'type=edge,branch=dev', enable: 'true', priority: 700, branch: 'dev' }
    },
    {
      name: 'keys are case-insensitive',
      line: 'Type=SHA,Priority=5',
      rule: { type: 'sha', raw: 'Type=SHA,Priority=5', enable: 'true', priority: 5, prefix: 'sha-', format: 'short' }
    },
    {
      name: 'explicit attributes',
      line: 'type=semver,pattern={{version}},priority=-3,prefix=v,suffix=-x,enable=false,value=1.0.0',
      rule: {
        type: 'semver',
        raw: 'type=semver,pattern={{version}},priority=-3,prefix=v,suffix=-x,enable=false,value=1.0.0',
        enable: 'false',
        priority: -3,
        pattern: '{{version}}',
        prefix: 'v',
        suffix: '-x',
        value: '1.0.0'
      }
    },
    {
      name: 'bare line',
      line: 'stable',
      rule: { type: 'raw', raw: 'stable', enable: 'true', priority: 200, value: 'stable' }
    }
  ])('$name', ({ line, rule }) => {
    expect(parseTagRules(line)).toEqual([rule]);
  });

  const accepted =
    'one rule a line: type=semver|pep440,pattern=… | type=match,pattern=…[,group=N] | type=ref,event=branch|tag|pr | type=sha[,format=short|long] | type=raw,value=… | type=edge[,branch=…] | type=schedule[,pattern=…], with enable=true|false, priority=<integer>, prefix=, suffix=; or a bare tag';
  test.each([
    { name: 'unknown type', line: 'type=version', why: 'unknown type "version"' },
    {
      name: 'unknown attribute',
      line: 'type=semver,patern={{version}}',
      why: 'unknown attribute "patern" for type=semver; known: type, enable, priority, prefix, suffix, pattern, value'
    },
    {
      name: 'attribute of another type',
      line: 'type=sha,event=pr',
      why: 'unknown attribute "event" for type=sha; known: type, enable, priority, prefix, suffix, format'
    },
    {
      name: 'bad enable value',
      line: 'type=sha,enable=yes',
      why: 'enable must be true, false or an expression such as {{is_default_branch}}, not "yes"'
    },
    {
      name: 'bad regex',
      line: 'type=match,pattern=v(',
      why: 'invalid regular expression: Invalid regular expression: /v(/: Unterminated group'
    },
    {
      name: 'group that does not exist',
      line: 'type=match,pattern=v(\\d),group=2',
      why: 'group 2 does not exist: the pattern has 1 capture group(s)'
    },
    {
      name: 'group not a number',
      line: 'type=match,pattern=v(\\d),group=one',
      why: 'group must be a capture group number, not "one"'
    },
    {
      name: 'semver without pattern',
      line: 'type=semver',
      why: 'type=semver needs pattern=, e.g. pattern={{version}}'
    },
    { name: 'match without pattern', line: 'type=match,group=1', why: 'type=match needs pattern=<regular expression>' },
    { name: 'ref without event', line: 'type=ref', why: 'type=ref needs event=branch, event=tag or event=pr' },
    { name: 'bad event', line: 'type=ref,event=push', why: 'event must be branch, tag or pr, not "push"' },
    { name: 'bad sha format', line: 'type=sha,format=medium', why: 'format must be short or long, not "medium"' },
    { name: 'raw without value', line: 'type=raw', why: 'type=raw needs value=<tag>' },
    { name: 'priority not an integer', line: 'type=sha,priority=high', why: 'priority must be an integer, not "high"' },
    { name: 'attribute twice', line: 'type=sha,format=long,format=short', why: '"format" given twice' },
    {
      name: 'unknown expression',
      line: 'type=raw,value={{brunch}}',
      why: 'unknown expression {{brunch}}; known here: branch, tag, sha, base_ref, is_default_branch, date, commit_date'
    },
    {
      name: 'version expression outside semver',
      line: 'type=raw,value={{version}}',
      why: 'unknown expression {{version}}; known here: branch, tag, sha, base_ref, is_default_branch, date, commit_date'
    },
    { name: 'unclosed expression', line: 'type=raw,value={{branch', why: '"{{" without "}}" in "{{branch"' },
    {
      name: 'unknown time zone',
      line: "type=schedule,pattern={{date 'YYYY' tz='Mars/Base'}}",
      why: 'unknown time zone "Mars/Base"'
    },
    {
      name: 'unknown date option',
      line: "type=schedule,pattern={{date 'YYYY' locale='fr'}}",
      why: '{{date}} knows only tz=, not locale='
    },
    { name: 'arguments to a plain expression', line: "type=raw,value={{sha 'x'}}", why: '{{sha}} takes no arguments' }
  ])('rejects $name', ({ line, why }) => {
    expect(() => parseTagRules(`type=sha\n${line}`)).toThrow(new InputError('tags', line, `${accepted} (${why})`));
  });
});

describe('holdBackFloating', () => {
  const release = (tag: string, flavor = ''): TagResult => run(context({ ref: `refs/tags/${tag}` }), '', flavor);

  test.each([
    {
      name: 'v1.1.9 released after 1.2.3: 1 and latest stay, 1.1 moves',
      result: release('v1.1.9'),
      current: { '1.1': '1.1.8', '1': '1.2.3', latest: '1.2.3' },
      tags: ['1.1.9', '1.1', 'sha-860c190'],
      held: [
        { tag: '1', current: '1.2.3', ours: '1.1.9', reason: 'newer' },
        { tag: 'latest', current: '1.2.3', ours: '1.1.9', reason: 'newer' }
      ]
    },
    {
      name: 'a newer release moves everything',
      result: release('v1.2.4'),
      current: { '1.2': '1.2.3', '1': '1.2.3', latest: '1.2.3' },
      tags: ['1.2.4', '1.2', '1', 'sha-860c190', 'latest'],
      held: []
    },
    {
      name: 'the same version again (a rebuild) moves',
      result: release('v1.2.3'),
      current: { '1.2': '1.2.3', '1': '1.2.3', latest: '1.2.3' },
      tags: ['1.2.3', '1.2', '1', 'sha-860c190', 'latest'],
      held: []
    },
    {
      name: 'first release: no tag exists yet',
      result: release('v1.0.0'),
      current: {},
      tags: ['1.0.0', '1.0', '1', 'sha-860c190', 'latest'],
      held: []
    },
    {
      name: 'a final release moves past its own pre-release',
      result: release('v2.0.0'),
      current: { latest: '2.0.0-rc.1' },
      tags: ['2.0.0', '2.0', '2', 'sha-860c190', 'latest'],
      held: []
    },
    {
      name: 'an unreadable current version does not block',
      result: release('v1.1.9'),
      current: { latest: 'nightly', '1': undefined },
      tags: ['1.1.9', '1.1', '1', 'sha-860c190', 'latest'],
      held: []
    },
    {
      name: 'versions carrying the flavor prefix compare as versions',
      result: release('v1.1.9', 'prefix=v,onlatest=true'),
      current: { vlatest: 'v1.2.3', v1: 'v1.2.3' },
      tags: ['v1.1.9', 'v1.1', 'sha-860c190'],
      held: [
        { tag: 'v1', current: 'v1.2.3', ours: 'v1.1.9', reason: 'newer' },
        { tag: 'vlatest', current: 'v1.2.3', ours: 'v1.1.9', reason: 'newer' }
      ]
    },
    {
      name: 'a pre-release never becomes latest, even with latest=true',
      result: release('v2.0.0-rc.1', 'latest=true'),
      current: {},
      tags: ['2.0.0-rc.1', 'sha-860c190'],
      held: [{ tag: 'latest', current: undefined, ours: '2.0.0-rc.1', reason: 'prerelease' }]
    }
  ])('$name', ({ result, current, tags, held }) => {
    const out = holdBackFloating(result, new Map(Object.entries(current)));
    expect(out.tags).toEqual(tags);
    expect(out.held).toEqual(held);
  });
});

describe('parsePep440', () => {
  test.each([
    { name: 'release', given: '1.2.3', normalized: '1.2.3' },
    { name: 'leading v', given: 'v1.2.3', normalized: '1.2.3' },
    { name: 'rc', given: '1.2.3rc2', normalized: '1.2.3rc2' },
    { name: 'beta spelled out', given: '1.2.3beta2', normalized: '1.2.3b2' },
    { name: 'alpha with separators', given: '1.2.3-alpha.1', normalized: '1.2.3a1' },
    { name: 'preview is rc', given: '1.0preview', normalized: '1.0rc0' },
    { name: 'post', given: '1.2.3post1', normalized: '1.2.3.post1' },
    { name: 'implicit post', given: '1.2.3-4', normalized: '1.2.3.post4' },
    { name: 'dev', given: '1.0dev4', normalized: '1.0.dev4' },
    { name: 'epoch and local', given: '2!1.0+Ubuntu-1', normalized: '2!1.0+ubuntu.1' },
    { name: 'leading zeros', given: '01.002', normalized: '1.2' }
  ])('$name', ({ given, normalized }) => {
    expect(parsePep440(given)?.normalized).toBe(normalized);
  });

  test.each(['1.2.3-beta.x', 'release1', '', '1..2'])('rejects %j', (given) => {
    expect(parsePep440(given)).toBeUndefined();
  });
});

describe('formatDate', () => {
  const date = new Date('2020-01-10T15:25:50.123Z');
  test.each([
    { name: 'compact date', format: 'YYYYMMDD', tz: 'UTC', expected: '20200110' },
    { name: 'Tokyo time', format: 'YYYYMMDD-HHmmss', tz: 'Asia/Tokyo', expected: '20200111-002550' },
    {
      name: '12-hour with names',
      format: 'dddd, MMMM Do YYYY, h:mm:ss a',
      tz: 'UTC',
      expected: 'Friday, January 10th 2020, 3:25:50 pm'
    },
    {
      name: 'ISO with milliseconds and literal Z',
      format: 'YYYY-MM-DDTHH:mm:ss.SSS[Z]',
      tz: 'UTC',
      expected: '2020-01-10T15:25:50.123Z'
    },
    { name: 'offsets', format: 'Z ZZ', tz: 'America/New_York', expected: '-05:00 -0500' },
    { name: 'half-hour offset', format: 'HH:mm Z', tz: 'Asia/Kolkata', expected: '20:55 +05:30' },
    {
      name: 'short forms',
      format: 'YY M D H m s ddd MMM d Q A hh',
      tz: 'UTC',
      expected: '20 1 10 15 25 50 Fri Jan 5 1 PM 03'
    },
    { name: 'unix seconds and milliseconds', format: 'X x', tz: 'UTC', expected: '1578669950 1578669950123' },
    { name: 'ordinals', format: '[11]Do', tz: 'Pacific/Kiritimati', expected: '1111th' }
  ])('$name', ({ format, tz, expected }) => {
    expect(formatDate(date, format, tz)).toBe(expected);
  });
});
