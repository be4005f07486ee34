import { InputError } from '../errors.js';
import { parseKeyValues, parseList } from '../list.js';
import { GLOBAL_EXPRESSIONS } from './expressions.js';
import { checkTemplate } from './template.js';

/* The `flavor` input (metadata-action syntax): `latest` and a prefix/suffix for every tag. */

export interface Flavor {
  latest: 'auto' | 'true' | 'false';
  prefix: string;
  /** apply the prefix to `latest` too */
  prefixLatest: boolean;
  suffix: string;
  suffixLatest: boolean;
}

const ACCEPTED_FLAVOR =
  'one setting a line: latest=auto|true|false, prefix=<text>[,onlatest=true|false], suffix=<text>[,onlatest=true|false]';

/** Parses the `flavor` input (metadata-action syntax). Throws InputError('flavor', line, …). */
export function parseFlavor(raw: string): Flavor {
  const flavor: Flavor = { latest: 'auto', prefix: '', prefixLatest: false, suffix: '', suffixLatest: false };
  for (const line of parseList(raw)) {
    const fail = (why: string): never => {
      throw new InputError('flavor', line, `${ACCEPTED_FLAVOR} (${why})`);
    };
    const pairs = parseKeyValues(line);
    const [first, ...rest] = pairs;
    if (!first) continue;
    const key = first[0].toLowerCase();
    const value = first[1];
    switch (key) {
      case 'latest':
        if (!['auto', 'true', 'false'].includes(value)) fail(`latest must be auto, true or false, not "${value}"`);
        if (rest.length > 0) fail('latest takes no other attribute');
        flavor.latest = value as Flavor['latest'];
        break;
      case 'prefix':
      case 'suffix': {
        try {
          checkTemplate(value, GLOBAL_EXPRESSIONS);
        } catch (err) {
          fail((err as Error).message);
        }
        let onLatest = false;
        for (const [k, v] of rest) {
          if (k.toLowerCase() !== 'onlatest') fail(`unknown attribute "${k}"`);
          if (!/^(true|false)$/i.test(v)) fail(`onlatest must be true or false, not "${v}"`);
          onLatest = v.toLowerCase() === 'true';
        }
        if (key === 'prefix') {
          flavor.prefix = value;
          flavor.prefixLatest = onLatest;
        } else {
          flavor.suffix = value;
          flavor.suffixLatest = onLatest;
        }
        break;
      }
      default:
        fail(`unknown setting "${first[0]}"`);
    }
  }
  return flavor;
}
