import { InputError } from '../../../src/plan/errors.js';
import { parseFlavor } from '../../../src/plan/tags/flavor.js';
import { context } from '../../support/context.js';
import { run } from './support.js';

describe('flavor', () => {
  test.each([
    {
      name: 'prefix with onlatest and suffix without',
      ctx: context({ ref: 'refs/tags/v1.2.3' }),
      flavor: 'latest=auto\nprefix=app-,onlatest=true\nsuffix=-alpine',
      tags: [
        'app-1.2.3-alpine',
        'app-1.2-alpine',
        'app-1-alpine',
        'app-v1.2.3-alpine',
        'sha-860c190-alpine',
        'app-latest'
      ],
      version: 'app-1.2.3-alpine',
      floating: ['app-1.2-alpine', 'app-1-alpine', 'app-latest']
    },
    {
      name: 'suffix on latest too',
      ctx: context({ ref: 'refs/tags/v1.2.3' }),
      flavor: 'suffix=-slim,onlatest=true',
      tags: ['1.2.3-slim', '1.2-slim', '1-slim', 'v1.2.3-slim', 'sha-860c190-slim', 'latest-slim'],
      version: '1.2.3-slim',
      floating: ['1.2-slim', '1-slim', 'latest-slim']
    },
    {
      name: 'latest=false',
      ctx: context({ ref: 'refs/tags/v1.2.3' }),
      flavor: 'latest=false',
      tags: ['1.2.3', '1.2', '1', 'v1.2.3', 'sha-860c190'],
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
