import { parse as parseYaml } from 'yaml';
import { InputError, type InputName } from './errors.js';
import { parsePlatforms, type Platform } from './platforms.js';
import { firstLine } from '../text.js';
import { driverOptsProblem, hasOpt } from './driver-opts.js';

/**
 * The `nodes` input: one BuildKit node per machine, each pinned to the platforms it builds
 * natively, combined into one buildx builder. Two spellings:
 *
 * - the YAML list setup-buildx-action's `append` input takes, plus `driver` per entry:
 *   `- name: pi`, `endpoint: tcp://pi.lan:1234`, `platforms: linux/arm64`, `driver-opts: [...]`,
 *   `buildkitd-flags: ...`;
 * - one line per node, `PLATFORM[,PLATFORM...]=ENDPOINT`, the endpoint in buildx's own form
 *   (`linux/arm64=tcp://pi.lan:1234`), the driver following from its scheme.
 */

export type NodeDriver = 'remote' | 'docker-container' | 'kubernetes';

export const NODE_DRIVERS: readonly NodeDriver[] = ['remote', 'docker-container', 'kubernetes'];

export interface NodeSpec {
  /** The buildx node name: as given, or made from the first platform (`linux-arm64`). */
  name: string;
  /** False when `name` was made up here; kubernetes then prefixes the builder's name (see buildxNodeName). */
  nameGiven: boolean;
  driver: NodeDriver;
  /** In buildx's form; '' for kubernetes (buildx takes none) and for the local Docker host. */
  endpoint: string;
  /** What this node builds natively, in the order given. */
  platforms: Platform[];
  /** `key=value` each, as buildx's --driver-opt takes them. */
  driverOpts: string[];
  buildkitdFlags: string;
}

/** A bad node spec: says which node, besides the value and what is accepted. */
export class NodeInputError extends InputError {
  constructor(
    input: InputName,
    readonly node: string,
    value: string,
    accepted: string
  ) {
    super(input, value, accepted);
    this.message = `input "${input}", node ${node}: ${JSON.stringify(value)} is not accepted; expected ${accepted}`;
  }
}

const KEYS = ['name', 'endpoint', 'driver', 'driver-opts', 'buildkitd-flags', 'platforms'] as const;

/** Endpoint schemes each driver takes, as buildx validates them. */
const SCHEMES: Record<NodeDriver, readonly string[]> = {
  // buildx's remote driver: a BuildKit address as buildctl dials it.
  remote: ['tcp', 'unix', 'ssh', 'docker-container', 'kube-pod', 'npipe'],
  // A Docker host the buildkit container is started on (or a docker context name).
  'docker-container': ['ssh', 'tcp', 'unix', 'npipe'],
  // buildx takes no endpoint for kubernetes; `kubernetes://[namespace]` only selects the driver.
  kubernetes: ['kubernetes']
};

// The driver an endpoint implies when none is named: ssh:// is a Docker host (the laptop + server
// case), every other buildx scheme reaches a BuildKit daemon directly.
const DRIVER_OF_SCHEME: Record<string, NodeDriver> = {
  tcp: 'remote',
  unix: 'remote',
  'docker-container': 'remote',
  'kube-pod': 'remote',
  npipe: 'remote',
  ssh: 'docker-container',
  kubernetes: 'kubernetes'
};

const ALL_SCHEMES = Object.keys(DRIVER_OF_SCHEME)
  .map((s) => `${s}://`)
  .join(', ');

// buildx's rule for builder and node names.
const NAME = /^[a-zA-Z][a-zA-Z0-9._-]*$/;
// A kubernetes node name is the name of its Deployment: an RFC 1123 label.
const K8S_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

interface RawNode {
  /** How errors name it before its name is known: `"pi"` or `#2`. */
  label: string;
  /** The text it came from, for errors about the node as a whole. */
  source: string;
  name?: string;
  driver?: string;
  endpoint?: string;
  platforms?: string[];
  driverOpts: string[];
  buildkitdFlags: string;
}

/**
 * Parses the `nodes` input (either form) into validated node specs. Empty text is no nodes.
 * Throws NodeInputError/InputError naming the node for anything buildx would refuse later.
 */
export function parseNodes(text: string, input: InputName = 'nodes'): NodeSpec[] {
  const raws = isYamlList(text) ? readYaml(text, input) : readLines(text, input);
  const nodes = raws.map((raw) => toSpec(raw, input));
  checkTogether(nodes, raws, input);
  return nodes;
}

function isYamlList(text: string): boolean {
  const first = text
    .split('\n')
    .map((line) => line.trim())
    .find((line) => line !== '' && !line.startsWith('#'));
  return first !== undefined && /^-(\s|$)/.test(first);
}

function readLines(text: string, input: InputName): RawNode[] {
  const out: RawNode[] = [];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const label = `#${out.length + 1}`;
    const eq = line.indexOf('=');
    if (eq <= 0 || eq === line.length - 1)
      throw new NodeInputError(
        input,
        label,
        line,
        'PLATFORM[,PLATFORM...]=ENDPOINT (e.g. linux/arm64=tcp://pi.lan:1234), or a YAML list of nodes'
      );
    out.push({
      label,
      source: line,
      endpoint: line.slice(eq + 1).trim(),
      platforms: splitList(line.slice(0, eq)),
      driverOpts: [],
      buildkitdFlags: ''
    });
  }
  return out;
}

function readYaml(text: string, input: InputName): RawNode[] {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    const reason = (err as Error).message.split('\n')[0];
    throw new InputError(input, firstLine(text), `a YAML list of nodes (${reason})`);
  }
  if (!Array.isArray(doc)) throw new InputError(input, firstLine(text), 'a YAML list of nodes');
  return doc.map((item: unknown, i) => {
    const label = `#${i + 1}`;
    const source = JSON.stringify(item);
    if (item === null || typeof item !== 'object' || Array.isArray(item))
      throw new NodeInputError(input, label, String(source), `a mapping with keys ${KEYS.join(', ')}`);
    const entry = item as Record<string, unknown>;
    const named = typeof entry.name === 'string' ? `"${entry.name}"` : label;
    for (const key of Object.keys(entry)) {
      if (!(KEYS as readonly string[]).includes(key))
        throw new NodeInputError(input, named, key, `one of the keys ${KEYS.join(', ')}`);
    }
    const str = (key: string): string | undefined => {
      const v = entry[key];
      if (v === undefined || v === null) return undefined;
      if (typeof v !== 'string') throw new NodeInputError(input, named, JSON.stringify(v), `a string for ${key}`);
      return v.trim();
    };
    const list = (key: string): string[] | undefined => {
      const v = entry[key];
      if (v === undefined || v === null) return undefined;
      if (typeof v === 'string') return splitList(v, key === 'driver-opts' ? /\n/ : /[,\n]/);
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.map((x: string) => x.trim());
      throw new NodeInputError(input, named, JSON.stringify(v), `a list of strings for ${key}`);
    };
    return {
      label: named,
      source,
      name: str('name'),
      driver: str('driver'),
      endpoint: str('endpoint'),
      platforms: list('platforms'),
      driverOpts: list('driver-opts') ?? [],
      buildkitdFlags: str('buildkitd-flags') ?? ''
    };
  });
}

function toSpec(raw: RawNode, input: InputName): NodeSpec {
  const { label } = raw;
  if (!raw.platforms || raw.platforms.length === 0)
    throw new NodeInputError(input, label, raw.source, 'platforms: the platforms this node builds (e.g. linux/arm64)');
  let platforms: Platform[];
  try {
    platforms = parsePlatforms(raw.platforms, input);
  } catch (err) {
    if (err instanceof InputError) throw new NodeInputError(input, label, err.value, err.accepted);
    throw err;
  }

  const endpoint = raw.endpoint ?? '';
  const scheme = schemeOf(endpoint);
  let driver: NodeDriver;
  if (raw.driver !== undefined && raw.driver !== '') {
    if (!(NODE_DRIVERS as readonly string[]).includes(raw.driver))
      throw new NodeInputError(input, label, raw.driver, `a driver among ${NODE_DRIVERS.join(', ')}`);
    driver = raw.driver as NodeDriver;
  } else if (endpoint === '') {
    throw new NodeInputError(
      input,
      label,
      raw.source,
      `an endpoint (${ALL_SCHEMES}) or a driver (${NODE_DRIVERS.join(', ')})`
    );
  } else {
    const implied = scheme === undefined ? undefined : DRIVER_OF_SCHEME[scheme];
    if (!implied) throw new NodeInputError(input, label, endpoint, `an endpoint starting with one of ${ALL_SCHEMES}`);
    driver = implied;
  }

  const driverOpts = [...raw.driverOpts];
  checkEndpoint(driver, endpoint, scheme, label, input);
  if (driver === 'kubernetes' && scheme === 'kubernetes') {
    // kubernetes://NAMESPACE is shorthand for the namespace driver-opt.
    const namespace = endpoint.slice('kubernetes://'.length).replace(/\/+$/, '');
    if (namespace !== '' && !hasOpt(driverOpts, 'namespace')) driverOpts.push(`namespace=${namespace}`);
  }
  const problem = driverOptsProblem(driver, driverOpts);
  if (problem) throw new NodeInputError(input, label, problem.value, problem.accepted);
  if (driver === 'kubernetes' && !hasOpt(driverOpts, 'nodeselector')) {
    const arches = [...new Set(platforms.map((p) => p.arch))];
    if (arches.length !== 1)
      throw new NodeInputError(
        input,
        label,
        platforms.map((p) => p.id).join(','),
        'a nodeselector driver-opt (e.g. nodeselector=kubernetes.io/arch=arm64) when a kubernetes node has platforms of several architectures'
      );
    // Pins the BuildKit pod to cluster nodes of that architecture, so it never emulates.
    driverOpts.push(`nodeselector=kubernetes.io/arch=${arches[0]}`);
  }
  if (raw.buildkitdFlags !== '' && driver === 'remote')
    throw new NodeInputError(
      input,
      label,
      raw.buildkitdFlags,
      'no buildkitd-flags for a remote node (buildx cannot pass flags to a daemon it does not start; set them where that buildkitd runs)'
    );

  const nameGiven = raw.name !== undefined && raw.name !== '';
  const name = nameGiven ? (raw.name as string) : platforms[0].id.replace(/\//g, '-');
  if (!NAME.test(name))
    throw new NodeInputError(
      input,
      label,
      name,
      'a name that starts with a letter, then letters, digits, ".", "_" or "-"'
    );
  if (driver === 'kubernetes' && nameGiven && (!K8S_NAME.test(name) || name.length > 63))
    throw new NodeInputError(
      input,
      label,
      name,
      'a kubernetes node name usable as a Deployment name: lower-case letters, digits and "-", at most 63 characters'
    );
  return {
    name,
    nameGiven,
    driver,
    endpoint: driver === 'kubernetes' ? '' : endpoint,
    platforms,
    driverOpts,
    buildkitdFlags: raw.buildkitdFlags
  };
}

function checkEndpoint(
  driver: NodeDriver,
  endpoint: string,
  scheme: string | undefined,
  label: string,
  input: InputName
): void {
  const accepted = SCHEMES[driver].map((s) => `${s}://`).join(', ');
  if (endpoint === '') {
    // docker-container with no endpoint runs on the local Docker host; kubernetes needs none.
    if (driver === 'remote')
      throw new NodeInputError(input, label, endpoint, `an endpoint for a remote node: ${accepted}`);
    return;
  }
  if (scheme === undefined) {
    // buildx also takes a docker context's name as a docker-container endpoint.
    if (driver === 'docker-container' && /^[a-zA-Z0-9][a-zA-Z0-9_.+-]*$/.test(endpoint)) return;
    throw new NodeInputError(
      input,
      label,
      endpoint,
      driver === 'docker-container' ? `${accepted} or a docker context name` : `${accepted}`
    );
  }
  if (!SCHEMES[driver].includes(scheme))
    throw new NodeInputError(input, label, endpoint, `for the ${driver} driver an endpoint starting with ${accepted}`);
  const rest = endpoint.slice(scheme.length + 3);
  if (scheme !== 'kubernetes' && rest.replace(/\/+/g, '') === '')
    throw new NodeInputError(input, label, endpoint, `an address after ${scheme}:// (e.g. ${example(scheme)})`);
  if (scheme === 'tcp' && !/^(\[[0-9a-fA-F:.]+\]|[^:/[\]]+):\d+\/?$/.test(rest))
    throw new NodeInputError(input, label, endpoint, 'tcp://HOST:PORT (e.g. tcp://pi.lan:1234)');
  if (scheme === 'unix' && !rest.startsWith('/'))
    throw new NodeInputError(
      input,
      label,
      endpoint,
      'unix:// followed by an absolute path (unix:///run/buildkit/buildkitd.sock)'
    );
}

function example(scheme: string): string {
  const examples: Record<string, string> = {
    tcp: 'tcp://pi.lan:1234',
    unix: 'unix:///run/buildkit/buildkitd.sock',
    ssh: 'ssh://me@xeon.lan',
    'docker-container': 'docker-container://buildkitd',
    'kube-pod': 'kube-pod://buildkitd-0',
    npipe: 'npipe:////./pipe/docker_engine'
  };
  return examples[scheme] ?? `${scheme}://…`;
}

function checkTogether(nodes: NodeSpec[], raws: RawNode[], input: InputName): void {
  const owner = new Map<string, string>();
  const names = new Map<string, string>();
  nodes.forEach((node, i) => {
    const label = raws[i].label;
    for (const p of node.platforms) {
      const first = owner.get(p.id);
      if (first !== undefined)
        throw new NodeInputError(
          input,
          label,
          p.id,
          `each platform on one node only; ${p.id} is already on node ${first}`
        );
      owner.set(p.id, label);
    }
    // buildx lowers names; two that differ in case would be one node.
    const key = node.name.toLowerCase();
    const other = names.get(key);
    if (other !== undefined)
      throw new NodeInputError(input, label, node.name, `a name no other node has (node ${other} has it)`);
    names.set(key, label);
  });
  // One builder has one driver: buildx refuses to append a node of another.
  const first = nodes[0];
  nodes.forEach((node, i) => {
    if (node.driver !== first.driver)
      throw new NodeInputError(
        input,
        raws[i].label,
        raws[i].source,
        `the same driver as node ${raws[0].label} (${first.driver}; this one is ${node.driver}): one builder has one driver, so name it with driver: in the YAML form`
      );
  });
}

function schemeOf(endpoint: string): string | undefined {
  const m = /^([a-z][a-z0-9+.-]*):\/\//i.exec(endpoint);
  return m ? m[1].toLowerCase() : undefined;
}

function splitList(text: string, sep: RegExp = /[,\n]/): string[] {
  return text
    .split(sep)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
