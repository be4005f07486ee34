import { InputError, type InputName } from './errors.js';
import { parseKeyValues, parseList } from './list.js';

/** Registries refuse longer tags (distribution reference grammar). */
export const TAG_MAX_LENGTH = 128;
/** Registries refuse longer repository names, domain included. */
export const NAME_MAX_LENGTH = 255;

const ACCEPTED_IMAGE =
  'an image name without tag or digest: [registry[:port]/]path, path components of lower-case letters, digits and separators (. _ __ -), e.g. ghcr.io/owner/app or owner/app';

// distribution/reference grammar (after lower-casing)
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = '(?:[a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])';
const DOMAIN = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-f:.]+\\])(?::[0-9]+)?$`);
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/**
 * The registry host of an image name, by Docker's rule: the first path component when it looks like
 * a host (has a dot or a port, or is localhost), else docker.io. The one home of this rule.
 */
export function registryHost(name: string): string {
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  return slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost') ? first : 'docker.io';
}

/**
 * Whether a registry host (as registryHost gives it: a port, IPv6 in brackets) is this machine:
 * localhost, 127.0.0.0/8 or ::1. Only such a registry is reached over plain HTTP or an unverified certificate.
 */
export function isLoopbackHost(host: string): boolean {
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '');
  return name === 'localhost' || name === '::1' || /^127(\.\d{1,3}){3}$/.test(name);
}

/**
 * Validates and normalizes one image name from the `images` input: lower-cased (registries refuse
 * upper-case owners, the most common push error), checked against the reference grammar, and
 * refused when it carries a tag or digest (tags come from the `tags` input). Accepts `name=<ref>`.
 */
export function parseImage(value: string, input: InputName = 'images'): string {
  const given = value.trim();
  const raw = given.startsWith('name=') ? given.slice('name='.length).trim() : given;
  const fail = (why: string): never => {
    throw new InputError(input, given, `${ACCEPTED_IMAGE} (${why})`);
  };
  if (raw === '') fail('empty name');
  if (raw.includes('@')) fail('a digest is not accepted in an image name');
  const name = raw.toLowerCase();
  const host = registryHost(name);
  const hasDomain = name.startsWith(`${host}/`);
  const domain = hasDomain ? host : '';
  const path = hasDomain ? name.slice(host.length + 1) : name;
  const components = path.split('/');
  if (components[components.length - 1].includes(':'))
    fail('a tag is not accepted in an image name; put tags in the "tags" input');
  if (hasDomain && !DOMAIN.test(domain)) fail(`"${domain}" is not a valid registry host`);
  for (const component of components) {
    if (!PATH_COMPONENT.test(component)) fail(`"${component}" is not a valid path component`);
  }
  if (name.length > NAME_MAX_LENGTH) fail(`longer than ${NAME_MAX_LENGTH} characters`);
  return name;
}

/**
 * Parses the whole `images` input: one image a line (or comma separated), or metadata-action's
 * csv form `name=ghcr.io/owner/app,enable=false`, where `name=` may be left out
 * (`ghcr.io/owner/app,enable=false`). Returns the enabled names, normalized, once each.
 */
export function parseImages(raw: string, input: InputName = 'images'): string[] {
  const names: string[] = [];
  for (const line of parseList(raw)) {
    if (!line.includes('=')) {
      for (const item of parseList(line, { comma: true })) names.push(parseImage(item, input));
      continue;
    }
    let name: string | undefined;
    let enable = true;
    for (const [key, value] of parseKeyValues(line)) {
      // A field without `=` is the name, as metadata-action reads `ghcr.io/owner/app,enable=false`.
      if (value === '' && !/^(name|enable)$/i.test(key) && !line.includes(`${key}=`)) {
        if (name !== undefined)
          throw new InputError(input, line, 'one image a line: [name=]<image>[,enable=true|false]');
        name = parseImage(key, input);
        continue;
      }
      switch (key.toLowerCase()) {
        case 'name':
          if (name !== undefined)
            throw new InputError(input, line, 'one image a line: [name=]<image>[,enable=true|false]');
          name = parseImage(value, input);
          break;
        case 'enable':
          if (!/^(true|false)$/i.test(value)) throw new InputError(input, line, 'enable=true or enable=false');
          enable = value.toLowerCase() === 'true';
          break;
        default:
          throw new InputError(input, line, '[name=]<image>[,enable=true|false]');
      }
    }
    if (name === undefined) throw new InputError(input, line, '[name=]<image>[,enable=true|false]');
    if (enable) names.push(name);
  }
  return [...new Set(names)];
}

/**
 * Turns any text into a tag a registry accepts: runs of characters outside [A-Za-z0-9_.-] (slashes
 * included) become one `-`, leading `.` and `-` are dropped, and the result is cut to 128 characters.
 * May return '' when nothing usable is left.
 */
export function safeTag(value: string): string {
  return value
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/^[.-]+/, '')
    .slice(0, TAG_MAX_LENGTH);
}

/** Checks a tag the user wrote verbatim; returns it unchanged or throws naming the input. */
export function validateTag(tag: string, input: InputName = 'tags'): string {
  if (!TAG.test(tag)) {
    throw new InputError(
      input,
      tag,
      `a tag of 1 to ${TAG_MAX_LENGTH} characters from [A-Za-z0-9_.-], not starting with "." or "-"`
    );
  }
  return tag;
}
