import { InputError } from '../../src/plan/errors.js';
import { parseImage, parseImages, safeTag, validateTag } from '../../src/plan/image.js';

describe('parseImage', () => {
  test.each([
    { name: 'Docker Hub short name', given: 'nginx', expected: 'nginx' },
    { name: 'Docker Hub owner/name', given: 'owner/app', expected: 'owner/app' },
    { name: 'upper-case owner is lower-cased', given: 'ghcr.io/MyOrg/My-App', expected: 'ghcr.io/myorg/my-app' },
    { name: 'upper-case registry host is lower-cased', given: 'GHCR.IO/owner/app', expected: 'ghcr.io/owner/app' },
    { name: 'registry with port', given: 'localhost:5000/team/app', expected: 'localhost:5000/team/app' },
    { name: 'IPv6 registry', given: '[::1]:5000/app', expected: '[::1]:5000/app' },
    {
      name: 'separators in path',
      given: 'registry.example.com/a.b/c__d/e--f/g_h',
      expected: 'registry.example.com/a.b/c__d/e--f/g_h'
    },
    { name: 'name= form', given: 'name=ghcr.io/Owner/app', expected: 'ghcr.io/owner/app' },
    { name: 'surrounding spaces', given: '  owner/app  ', expected: 'owner/app' }
  ])('$name', ({ given, expected }) => {
    expect(parseImage(given)).toBe(expected);
  });

  test.each([
    { name: 'a tag', given: 'ghcr.io/owner/app:1.0', why: 'a tag is not accepted' },
    { name: 'a tag on a short name', given: 'nginx:latest', why: 'a tag is not accepted' },
    { name: 'registry host without path', given: 'localhost:5000', why: 'a tag is not accepted' },
    {
      name: 'a digest',
      given: 'owner/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
      why: 'a digest is not accepted'
    },
    { name: 'a space', given: 'owner/my app', why: '"my app" is not a valid path component' },
    { name: 'leading separator', given: 'owner/-app', why: '"-app" is not a valid path component' },
    { name: 'trailing separator', given: 'owner/app.', why: '"app." is not a valid path component' },
    { name: 'three underscores', given: 'owner/a___b', why: '"a___b" is not a valid path component' },
    { name: 'empty component', given: 'ghcr.io//app', why: '"" is not a valid path component' },
    { name: 'bad host', given: 'bad-.example.com/app', why: '"bad-.example.com" is not a valid registry host' },
    { name: 'empty', given: '', why: 'empty name' },
    { name: 'too long', given: `ghcr.io/${'a'.repeat(250)}`, why: 'longer than 255 characters' }
  ])('rejects $name', ({ given, why }) => {
    let error: unknown;
    try {
      parseImage(given);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).input).toBe('images');
    expect((error as InputError).value).toBe(given.trim());
    expect((error as InputError).accepted).toContain(why);
  });
});

describe('parseImages', () => {
  test.each([
    {
      name: 'one a line',
      raw: 'ghcr.io/owner/app\ndocker.io/owner/app',
      expected: ['ghcr.io/owner/app', 'docker.io/owner/app']
    },
    { name: 'comma separated', raw: 'ghcr.io/owner/app, owner/app', expected: ['ghcr.io/owner/app', 'owner/app'] },
    {
      name: 'csv form with enable',
      raw: 'name=ghcr.io/Owner/app\nname=owner/app,enable=false',
      expected: ['ghcr.io/owner/app']
    },
    {
      name: 'name first without name=, disabled (metadata-action form)',
      raw: 'ghcr.io/user/app,enable=false\nowner/app',
      expected: ['owner/app']
    },
    {
      name: 'name first without name=, enabled',
      raw: 'ghcr.io/User/app,enable=true',
      expected: ['ghcr.io/user/app']
    },
    {
      name: 'duplicates after lower-casing',
      raw: 'ghcr.io/Owner/app\nghcr.io/owner/app',
      expected: ['ghcr.io/owner/app']
    },
    { name: 'comments and blanks', raw: '# registries\n\nowner/app\n', expected: ['owner/app'] },
    { name: 'empty', raw: '', expected: [] }
  ])('$name', ({ raw, expected }) => {
    expect(parseImages(raw)).toEqual(expected);
  });

  test.each([
    { name: 'bad enable', raw: 'name=owner/app,enable=yes' },
    { name: 'unknown key', raw: 'name=owner/app,tag=1' },
    { name: 'no name', raw: 'enable=true' }
  ])('rejects $name', ({ raw }) => {
    expect(() => parseImages(raw)).toThrow(InputError);
  });

  test.each([
    { name: 'two bare names', raw: 'owner/app,other/app,enable=true' },
    { name: 'a bare name and name=', raw: 'owner/app,name=other/app' }
  ])('rejects $name on one line', ({ raw }) => {
    expect(() => parseImages(raw)).toThrow(
      new InputError('images', raw, 'one image a line: [name=]<image>[,enable=true|false]')
    );
  });
});

describe('safeTag', () => {
  test.each([
    { name: 'plain', given: 'v1.2.3', expected: 'v1.2.3' },
    { name: 'slashes', given: 'feature/x', expected: 'feature-x' },
    { name: 'runs of bad characters become one dash', given: 'a//b  c@@d', expected: 'a-b-c-d' },
    { name: 'leading dot and dash', given: '.-hidden', expected: 'hidden' },
    { name: 'leading slash', given: '/x', expected: 'x' },
    { name: 'semver build metadata', given: '1.2.3+build.5', expected: '1.2.3-build.5' },
    { name: 'non-ASCII', given: 'café', expected: 'caf-' },
    { name: 'nothing usable', given: '///', expected: '' },
    { name: 'cut to 128', given: 'b'.repeat(200), expected: 'b'.repeat(128) }
  ])('$name', ({ given, expected }) => {
    expect(safeTag(given)).toBe(expected);
  });
});

describe('validateTag', () => {
  test.each([
    { name: 'semver', tag: '1.2.3' },
    { name: 'underscore first', tag: '_x' },
    { name: '128 chars', tag: 'a'.repeat(128) }
  ])('accepts $name', ({ tag }) => {
    expect(validateTag(tag)).toBe(tag);
  });

  test.each([
    { name: 'leading dash', tag: '-x' },
    { name: 'leading dot', tag: '.x' },
    { name: 'slash', tag: 'a/b' },
    { name: 'empty', tag: '' },
    { name: '129 chars', tag: 'a'.repeat(129) }
  ])('rejects $name', ({ tag }) => {
    expect(() => validateTag(tag, 'cache-tag')).toThrow(
      new InputError('cache-tag', tag, 'a tag of 1 to 128 characters from [A-Za-z0-9_.-], not starting with "." or "-"')
    );
  });
});
