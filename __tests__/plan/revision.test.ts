import { readInputs } from '../../src/inputs/read.js';
import { InputError } from '../../src/plan/errors.js';
import { needsRevision, parseRef, parseRevision, revisionRefusal } from '../../src/plan/revision.js';
import { parseCliArgs, UsageError } from '../../src/cli/args.js';

// Without git: what needs the commit, and the flags that give it.

// mode: metadata reads the same inputs without needing a Dockerfile here.
const inputs = (given: Record<string, string | undefined>) =>
  readInputs((name) => ({ mode: 'metadata', ...given })[name] ?? '', process.cwd());

test.each([
  { name: 'a literal tag: nothing', given: { tags: '127.0.0.1:5000/app:1.0' }, expected: undefined },
  {
    name: 'a raw tag and a version rule: nothing',
    given: { tags: 'type=raw,value=1.0\ntype=semver,pattern={{version}}' },
    expected: undefined
  },
  {
    name: 'type=sha',
    given: { tags: 'type=raw,value=1.0\ntype=sha' },
    expected: 'the tag rule type=sha'
  },
  {
    name: 'the default rules (type=sha among them)',
    given: {},
    expected: "the default tag rules' type=sha (tags is empty)"
  },
  {
    name: '{{sha}} in a raw rule',
    given: { tags: 'type=raw,value=build-{{sha}}' },
    expected: 'the tag rule type=raw,value=build-{{sha}}'
  },
  {
    name: '{{sha}} in a build-arg',
    given: { tags: 'type=raw,value=1.0', 'build-args': 'REV={{sha}}' },
    expected: 'build-args: REV={{sha}}'
  },
  {
    name: '{{sha}} in a label',
    given: { tags: 'type=raw,value=1.0', labels: 'rev={{ sha }}' },
    expected: 'labels: rev={{ sha }}'
  },
  {
    name: '{{sha}} in an annotation',
    given: { tags: 'type=raw,value=1.0', annotations: 'index:rev={{sha}}' },
    expected: 'annotations: index:rev={{sha}}'
  },
  {
    name: "{{sha}} in one platform's build-arg",
    given: {
      tags: 'type=raw,value=1.0',
      platforms: 'linux/amd64,linux/arm64',
      'build-args': 'A=1\nlinux/arm64=REV={{sha}}'
    },
    expected: 'build-args: REV={{sha}}'
  },
  {
    name: "{{sha}} in the flavor's suffix",
    given: { tags: 'type=raw,value=1.0', flavor: 'suffix=-{{sha}}' },
    expected: 'the flavor’s {{sha}}'
  }
])('needsRevision: $name', ({ given, expected }) => {
  expect(needsRevision(inputs({ images: '127.0.0.1:5000/app', ...given }))).toBe(expected);
});

test.each(['abcdef1', 'ABCDEF1234567890abcdef1234567890abcdef12'])('parseRevision accepts %s', (value) => {
  expect(parseRevision(value)).toBe(value.toLowerCase());
});

test.each(['abc', 'HEAD', 'v1.2.3', 'g123456789'])('parseRevision refuses %s', (value) => {
  expect(() => parseRevision(value)).toThrow(InputError);
});

test.each(['refs/heads/main', 'refs/tags/v1.2.3', 'refs/pull/42/merge'])('parseRef accepts %s', (value) => {
  expect(parseRef(value)).toBe(value);
});

test.each(['main', 'v1.2.3', 'refs/heads/', 'refs/pull/x/merge'])('parseRef refuses %s', (value) => {
  expect(() => parseRef(value)).toThrow(InputError);
});

test('the command line takes --revision and --ref; a bad one is a usage error naming the flag', () => {
  expect(parseCliArgs(['--revision', 'ABCDEF1', '--ref', 'refs/tags/v1.0.0']).source).toEqual({
    revision: 'abcdef1',
    ref: 'refs/tags/v1.0.0'
  });
  expect(parseCliArgs([]).source).toEqual({});
  expect(() => parseCliArgs(['--ref', 'v1.0.0'])).toThrow(
    new UsageError(
      '--ref: "v1.0.0" is not accepted; expected a full ref: refs/heads/<branch>, refs/tags/<tag> or refs/pull/<number>/merge'
    )
  );
});

test('without git, the refusal names what needs the commit, the directory and the flag that gives it', () => {
  const error = revisionRefusal('the tag rule type=sha', '/src/app');
  expect(error).toBeInstanceOf(InputError);
  expect(error.input).toBe('revision');
  expect(error.message).toContain(
    'the commit the image is built from, because the tag rule type=sha needs it and /src/app is not a git checkout with a commit: pass --revision <commit id>'
  );
});
