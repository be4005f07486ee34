import { errorOf } from '../../support/errors.js';
import { InputError } from '../../../src/plan/errors.js';
import { defaultTagRules, parseTagRules } from '../../../src/plan/tags/rules.js';

describe('parseTagRules', () => {
  test('empty input gives the defaults', () => {
    expect(parseTagRules('  \n# nothing\n')).toEqual(defaultTagRules());
    expect(defaultTagRules().map((r) => [r.raw, r.priority])).toEqual([
      ['type=schedule', 1000],
      ['type=ref,event=branch', 600],
      ['type=ref,event=tag', 500],
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
      name: 'semver with match=',
      line: 'type=semver,pattern={{version}},"match=v(\\d.\\d.\\d)$"',
      rule: {
        type: 'semver',
        raw: 'type=semver,pattern={{version}},"match=v(\\d.\\d.\\d)$"',
        enable: 'true',
        priority: 900,
        pattern: '{{version}}',
        match: 'v(\\d.\\d.\\d)$'
      }
    },
    {
      name: 'match with a group the pattern lacks is accepted (it gives no tag)',
      line: 'type=match,pattern=v(\\d),group=2',
      rule: {
        type: 'match',
        raw: 'type=match,pattern=v(\\d),group=2',
        enable: 'true',
        priority: 800,
        pattern: 'v(\\d)',
        group: 2
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
    'one rule a line: type=semver|pep440,pattern=…[,match=…][,value=…] | type=match,pattern=…[,group=N] | type=ref,event=branch|tag|pr | type=sha[,format=short|long] | type=raw,value=… | type=edge[,branch=…] | type=schedule[,pattern=…], with enable=true|false, priority=<integer>, prefix=, suffix=; or a bare tag; or a full image reference such as ghcr.io/acme/app:1.2.3';
  test.each([
    { name: 'unknown type', line: 'type=version', why: 'unknown type "version"' },
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
      name: 'group not a number',
      line: 'type=match,pattern=v(\\d),group=one',
      why: 'group must be a capture group number, not "one"'
    },
    {
      name: 'semver without pattern',
      line: 'type=semver',
      why: 'type=semver needs pattern=, e.g. pattern={{version}}'
    },
    {
      name: 'bad match= regex on semver',
      line: 'type=semver,pattern={{version}},match=v(',
      why: 'invalid regular expression: Invalid regular expression: /v(/: Unterminated group'
    },
    { name: 'match without pattern', line: 'type=match,group=1', why: 'type=match needs pattern=<regular expression>' },
    { name: 'ref without event', line: 'type=ref', why: 'type=ref needs event=branch, event=tag or event=pr' },
    { name: 'bad event', line: 'type=ref,event=push', why: 'event must be branch, tag or pr, not "push"' },
    { name: 'bad sha format', line: 'type=sha,format=medium', why: 'format must be short or long, not "medium"' },
    { name: 'raw without value', line: 'type=raw', why: 'type=raw needs value=<tag>' },
    { name: 'priority not an integer', line: 'type=sha,priority=high', why: 'priority must be an integer, not "high"' },
    {
      name: 'attribute twice',
      line: 'type=sha,format=long,format=short',
      why: '"format" given twice (a comma separates attributes: quote a field that holds one, e.g. "format=a,b")'
    },
    {
      name: 'two rules on one line',
      line: 'type=semver,pattern={{version}},type=ref,event=branch',
      why: 'two rules on one line: a comma separates the attributes of one rule, so write each rule on its own line'
    },
    {
      name: 'unknown expression',
      line: 'type=raw,value={{brunch}}',
      why: 'unknown expression {{brunch}}; known here: branch, tag, sha, base_ref, is_default_branch, is_not_default_branch, date, commit_date'
    },
    {
      name: 'version expression outside semver',
      line: 'type=raw,value={{version}}',
      why: 'unknown expression {{version}}; known here: branch, tag, sha, base_ref, is_default_branch, is_not_default_branch, date, commit_date'
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

describe('parseTagRules: full image references, as build-push-action takes them', () => {
  test.each([
    {
      name: 'registry, path and tag',
      line: 'ghcr.io/acme/app:latest',
      rule: {
        type: 'raw',
        raw: 'ghcr.io/acme/app:latest',
        enable: 'true',
        priority: 200,
        value: 'latest',
        image: 'ghcr.io/acme/app'
      }
    },
    {
      name: 'registry with a port',
      line: '127.0.0.1:5000/acme/app:1.2.3',
      rule: {
        type: 'raw',
        raw: '127.0.0.1:5000/acme/app:1.2.3',
        enable: 'true',
        priority: 200,
        value: '1.2.3',
        image: '127.0.0.1:5000/acme/app'
      }
    },
    {
      name: 'a Docker Hub library image',
      line: 'app:1.0',
      rule: { type: 'raw', raw: 'app:1.0', enable: 'true', priority: 200, value: '1.0', image: 'app' }
    },
    {
      name: 'a bare tag stays a tag',
      line: 'v1.2.3',
      rule: { type: 'raw', raw: 'v1.2.3', enable: 'true', priority: 200, value: 'v1.2.3' }
    },
    {
      name: 'a line with type= stays a rule',
      line: 'type=raw,value=edge',
      rule: { type: 'raw', raw: 'type=raw,value=edge', enable: 'true', priority: 200, value: 'edge' }
    }
  ])('$name', ({ line, rule }) => {
    expect(parseTagRules(line)).toEqual([rule]);
  });

  const accepted =
    'a full image reference [registry[:port]/]name[:tag] such as ghcr.io/acme/app:1.2.3 (the name lower-case, the tag 1 to 128 characters from [A-Za-z0-9_.-]; no digest), a bare tag, or a rule with type=';
  test.each([
    { name: 'a digest', line: 'ghcr.io/acme/app@sha256:' + 'a'.repeat(64), why: 'a digest cannot be a tag' },
    { name: 'upper-case owner', line: 'ghcr.io/Acme/app:1.0', why: '"ghcr.io/Acme/app" must be lower-case' },
    { name: 'a bad tag', line: 'ghcr.io/acme/app:-x', why: '"-x" is not a valid tag' },
    { name: 'an empty tag', line: 'ghcr.io/acme/app:', why: '"" is not a valid tag' },
    {
      name: 'a bad path component',
      line: 'ghcr.io/acme/app_:1.0',
      why: '"ghcr.io/acme/app_" is not a valid image name'
    },
    { name: 'a bad registry host', line: 'ghcr-.io/acme/app:1.0', why: '"ghcr-.io/acme/app" is not a valid image name' }
  ])('rejects $name', ({ line, why }) => {
    expect(() => parseTagRules(line)).toThrow(new InputError('tags', line, `${accepted} (${why})`));
  });
});

test('a name with a slash and no registry host and no tag stays a tag, refused, naming both readings', () => {
  expect(() => parseTagRules('release/1.0')).toThrow(
    new InputError(
      'tags',
      'release/1.0',
      'a tag of 1 to 128 characters from [A-Za-z0-9_.-], not starting with "." or "-"; for the Docker Hub image write docker.io/release/1.0 (published as :latest) or release/1.0:latest'
    )
  );
});

describe('issue 21: tags as build-push-action and metadata-action write them', () => {
  const ref = (raw: string, image: string, value: string, note?: string) => ({
    type: 'raw',
    raw,
    enable: 'true',
    priority: 200,
    value,
    image,
    ...(note ? { note } : {})
  });

  test('a comma-separated line is a list of references, as build-push-action splits it', () => {
    expect(parseTagRules('reg.io/app:latest,reg.io/app:1.0.0')).toEqual([
      ref('reg.io/app:latest', 'reg.io/app', 'latest'),
      ref('reg.io/app:1.0.0', 'reg.io/app', '1.0.0')
    ]);
    // spaces after the commas, a quoted item, and lines mixed with rules
    expect(parseTagRules('reg.io/app:a, "reg.io/app:b"\ntype=sha').map((r) => r.raw)).toEqual([
      'reg.io/app:a',
      'reg.io/app:b',
      'type=sha'
    ]);
  });

  test('an item of a comma list that is refused names the line and its commas', () => {
    const error = errorOf(InputError, () => parseTagRules('reg.io/app:latest,reg.io/App:1'));
    expect(error.value).toBe('reg.io/App:1');
    expect(error.accepted).toContain(
      'it is item 2 of 2 of the line "reg.io/app:latest,reg.io/App:1", split at its commas as build-push-action splits tags'
    );
  });

  test('a comma inside quotes stays in the item, and the error says where it came from', () => {
    const error = errorOf(InputError, () => parseTagRules('"reg.io/app:a,b",reg.io/app:c'));
    expect(error.value).toBe('reg.io/app:a,b');
    expect(error.accepted).toContain('"a,b" is not a valid tag');
    expect(error.accepted).toContain('item 1 of 2 of the line');
  });

  test.each([
    ['ghcr.io/owner/app', 'ghcr.io/owner/app'],
    ['127.0.0.1:5000/acme/app', '127.0.0.1:5000/acme/app'],
    ['localhost/app', 'localhost/app'],
    ['docker.io/owner/app', 'docker.io/owner/app']
  ])(
    'a name with a registry host and no tag (%s) is :latest, as build-push-action reads it, and says so',
    (line, image) => {
      expect(parseTagRules(line)).toEqual([
        ref(line, image, 'latest', `"${line}" has no tag: published as ${image}:latest, as build-push-action reads it`)
      ]);
    }
  );

  test('an attribute a rule does not know is ignored with a note, as metadata-action ignores it', () => {
    const [edge, sha, semver] = parseTagRules(
      'type=edge,onlatest=false\ntype=sha,event=pr\ntype=semver,pattern={{version}},patern=x'
    );
    expect(edge).toMatchObject({ type: 'edge', raw: 'type=edge,onlatest=false' });
    expect(edge.note).toBe(
      'type=edge,onlatest=false: "onlatest" is not an attribute of type=edge and is ignored (known: type, enable, priority, prefix, suffix, branch)'
    );
    expect(sha).toMatchObject({ type: 'sha', format: 'short' });
    expect(sha.note).toContain('"event" is not an attribute of type=sha and is ignored');
    expect(semver).toMatchObject({ type: 'semver', pattern: '{{version}}' });
    expect(semver.note).toContain('"patern" is not an attribute of type=semver');
  });

  test('a misspelt required attribute is still refused: the rule cannot work without it', () => {
    expect(() => parseTagRules('type=semver,patern={{version}}')).toThrow(/type=semver needs pattern=/);
  });
});
