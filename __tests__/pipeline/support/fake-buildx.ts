/*
 * buildx, faked at the process seam: a Runner that answers the commands the pipeline starts
 * (version, create, inspect --bootstrap, build, imagetools inspect/create, rm) against an
 * in-memory registry, and records every argv. A command can be told to fail, once or always,
 * with the output a real buildx gives.
 */
import { writeFileSync } from 'node:fs';
import type { RunOptions, RunResult, Runner } from '../../../src/ports.js';
import { ExecError } from '../../../src/tools/exec.js';
import {
  MemoryRegistry,
  OCI_MANIFEST,
  parseRef,
  platformOf,
  sha256,
  type Descriptor,
  type ImageConfig
} from '../../support/memory-registry.js';

export interface Call {
  command: string;
  args: string[];
  options: RunOptions;
}

export interface Fault {
  /** A command kind (`build`, `imagetools create`, …; see `kindOf`) or a pattern of the argv line. */
  match: string | RegExp;
  stderr: string;
  stdout?: string;
  code?: number;
  /** How many calls fail; `always` for every one. */
  times: number | 'always';
}

/** What a build pushed: the image, the digest it reported, the platforms it built. */
export interface Pushed {
  image: string;
  digest: string;
  platforms: string[];
}

/** A node as `buildx inspect` lists it; one not running shows no BuildKit version. */
export interface FakeNode {
  name: string;
  endpoint: string;
  status: string;
  buildkitVersion?: string;
  platforms: string[];
}

export const BUILDX_VERSION_OUTPUT = 'github.com/docker/buildx v0.36.1 3f1a2b3c4d5e\n';

export class FakeBuildx {
  readonly calls: Call[] = [];
  readonly pushed: Pushed[] = [];
  /** The tags a `--load` build would have put in the image store. */
  readonly loaded: string[] = [];
  /** Builders that exist; `default` always does. */
  readonly builders = new Set<string>(['default']);
  /** The platforms of the last build: what `history logs` replays. */
  private lastBuilt: string[] = [];
  /** The platforms a bootstrapped builder lists. */
  builderPlatforms = ['linux/amd64', 'linux/amd64/v2', 'linux/arm64', 'linux/arm/v7'];
  /**
   * A builder of nodes (remote driver), as `inspect` lists them; unset, a docker-container builder
   * of one running node named after it, on `builderPlatforms`.
   */
  nodes?: FakeNode[];
  /** Plain progress a successful build prints (cache steps that failed, …). */
  buildProgress = '#1 [internal] load build definition from Dockerfile\n#1 DONE 0.0s\n';
  private readonly faults: Fault[] = [];
  /** Whether `docker version` finds a Docker engine (the load check asks it). */
  engine = true;

  constructor(readonly registry: MemoryRegistry) {}

  /** Fails the matching command with this output, once by default. */
  fail(
    match: string | RegExp,
    stderr: string,
    options: { times?: number | 'always'; code?: number; stdout?: string } = {}
  ): void {
    this.faults.push({ match, stderr, times: options.times ?? 1, code: options.code ?? 1, stdout: options.stdout });
  }

  /** Each call as `buildx <argv>`: the binary and its prefix (docker buildx, a plugin path) left out. */
  get lines(): string[] {
    return this.calls.map((c) => ['buildx', ...buildxArgs(c.command, c.args)].join(' '));
  }

  readonly runner: Runner = async (command, args, options = {}) => {
    this.calls.push({ command, args, options });
    const argv = buildxArgs(command, args);
    const line = argv.join(' ');
    const fault = this.faults.find(
      (f) => f.times !== 0 && (typeof f.match === 'string' ? kindOf(argv) === f.match : f.match.test(line))
    );
    if (fault) {
      if (typeof fault.times === 'number') fault.times--;
      return this.exit(
        command,
        args,
        { code: fault.code ?? 1, stdout: fault.stdout ?? '', stderr: fault.stderr },
        options
      );
    }
    const result = this.answer(argv);
    return this.exit(command, args, result, options);
  };

  private exit(command: string, args: string[], result: RunResult, options: RunOptions): RunResult {
    if (result.code !== 0 && !options.allowFailure) throw new ExecError(verbs(command, args), result);
    return result;
  }

  private answer(argv: string[]): RunResult {
    const ok = (stdout = '', stderr = ''): RunResult => ({ code: 0, stdout, stderr });
    const error = (stderr: string): RunResult => ({ code: 1, stdout: '', stderr });
    const flag = (name: string): string | undefined => {
      const i = argv.indexOf(name);
      return i >= 0 ? argv[i + 1] : undefined;
    };
    const last = argv[argv.length - 1];
    switch (kindOf(argv)) {
      case 'version':
        return ok(BUILDX_VERSION_OUTPUT);
      case 'create':
        this.builders.add(flag('--name')!);
        return ok(`${flag('--name')}\n`);
      case 'inspect': {
        const name = flag('--builder')!;
        if (!this.builders.has(name)) return error(`ERROR: no builder "${name}" found\n`);
        return ok(
          inspectText(
            name,
            this.nodes ? 'remote' : 'docker-container',
            this.nodes ?? [
              {
                name: `${name}0`,
                endpoint: 'unix:///var/run/docker.sock',
                status: 'running',
                buildkitVersion: 'v0.32.2',
                platforms: this.builderPlatforms
              }
            ]
          )
        );
      }
      case 'rm':
        if (!this.builders.delete(last)) return error(`ERROR: no builder "${last}" found\n`);
        return ok();
      case 'build':
        return this.build(argv);
      case 'imagetools inspect --raw': {
        const got = this.registry.get(last);
        return got ? ok(got.raw) : error(`ERROR: ${last}: not found\n`);
      }
      case 'imagetools inspect --format': {
        const got = this.registry.get(last);
        if (!got) return error(`ERROR: ${last}: not found\n`);
        return ok(JSON.stringify(this.imageOf(got.raw, got.digest)));
      }
      case 'imagetools create':
        return this.create(argv);
      case 'history':
        return ok('', this.statusStream());
      case 'docker':
        // Not buildx: the docker CLI asking for its engine (load).
        return this.engine
          ? ok('28.0.4\n')
          : {
              code: 1,
              stdout: '\n',
              stderr:
                'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n'
            };
      default:
        return { code: 127, stdout: '', stderr: `fake buildx: no answer for ${argv.join(' ')}\n` };
    }
  }

  /** `{{json .Image}}`: the config of an image, or platform → config for an index. */
  private imageOf(raw: string, digest: string): ImageConfig | Record<string, ImageConfig> {
    const parsed = JSON.parse(raw) as { manifests?: Descriptor[] };
    if (!parsed.manifests) return this.registry.configs.get(digest)!;
    const out: Record<string, ImageConfig> = {};
    for (const m of parsed.manifests) {
      const config = this.registry.configs.get(m.digest);
      if (config && m.platform)
        out[[m.platform.os, m.platform.architecture, m.platform.variant].filter(Boolean).join('/')] = config;
    }
    return out;
  }

  /**
   * `history logs --progress rawjson`: the last build's steps as BuildKit's status stream (on
   * stderr, as buildx prints it): per platform a FROM, then a RUN of 1 s, 3 s for a platform not amd64.
   */
  private statusStream(): string {
    const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
    const vertexes = this.lastBuilt.flatMap((p) => [
      { digest: `sha256:from-${p}`, name: `[${p} 1/2] FROM busybox`, started: at(0), completed: at(0), cached: true },
      {
        digest: `sha256:run-${p}`,
        name: `[${p} 2/2] RUN make`,
        started: at(0),
        completed: at(p === 'linux/amd64' ? 1 : 3)
      }
    ]);
    return `${JSON.stringify({ vertexes })}\n`;
  }

  private build(argv: string[]): RunResult {
    const values = (name: string): string[] => argv.flatMap((a, i) => (a === name ? [argv[i + 1]] : []));
    const platforms = values('--platform')[0].split(',');
    this.lastBuilt = platforms;
    const labels = Object.fromEntries(
      values('--label').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)])
    );
    const annotations = (level: string) =>
      Object.fromEntries(
        values('--annotation')
          .filter((a) => a.startsWith(`${level}:`))
          .map((a) => a.slice(level.length + 1))
          .map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)])
      );
    const provenance = argv.find((a) => a.startsWith('--provenance='))?.slice('--provenance='.length) ?? 'false';
    const output = values('--output')[0];
    const builder = values('--builder')[0];
    let metadata: Record<string, unknown> = { 'buildx.build.ref': `${builder}/${builder}0/fakebuildref` };
    if (output) {
      const image = /(?:^|,)name=([^,]+)/.exec(output)![1];
      const images = platforms.map((p) => this.registry.pushImage(image, p, labels, annotations('manifest')));
      let digest: string;
      if (images.length === 1 && provenance === 'false') {
        digest = images[0].digest;
      } else {
        const withAttestations =
          provenance === 'false' ? images : [...images, ...images.map((i) => this.registry.pushAttestation(image, i))];
        digest = this.registry.pushIndex(image, withAttestations, annotations('index'));
      }
      this.pushed.push({ image, digest, platforms });
      metadata = { ...metadata, 'containerimage.digest': digest, 'image.name': image };
    } else if (argv.includes('--load')) {
      const config = JSON.stringify({ ...platformOf(platforms[0]), config: { Labels: labels } });
      this.loaded.push(...values('--tag'));
      metadata = {
        ...metadata,
        'containerimage.config.digest': sha256(config),
        'containerimage.digest': sha256(`${config}manifest`)
      };
    }
    writeFileSync(values('--metadata-file')[0], JSON.stringify(metadata));
    return { code: 0, stdout: '', stderr: this.buildProgress };
  }

  private create(argv: string[]): RunResult {
    const annotations: Record<string, string> = {};
    const tags: string[] = [];
    const sources: string[] = [];
    let dryRun = false;
    for (let i = 2; i < argv.length; i++) {
      if (argv[i] === '--builder') i++;
      else if (argv[i] === '--dry-run') dryRun = true;
      else if (argv[i] === '--annotation') {
        const a = argv[++i].replace(/^index:/, '');
        annotations[a.slice(0, a.indexOf('='))] = a.slice(a.indexOf('=') + 1);
      } else if (argv[i] === '--tag') tags.push(argv[++i]);
      else sources.push(argv[i]);
    }
    const found = sources.map((s) => ({ source: s, got: this.registry.get(s) }));
    const absent = found.find((f) => !f.got);
    if (absent) return { code: 1, stdout: '', stderr: `ERROR: ${absent.source}: not found\n` };
    let raw: string;
    if (found.length === 1 && Object.keys(annotations).length === 0) {
      raw = found[0].got!.raw;
    } else {
      const manifests: Descriptor[] = found.flatMap(({ got }) => {
        const parsed = JSON.parse(got!.raw) as { manifests?: Descriptor[] };
        if (parsed.manifests) return parsed.manifests;
        const config = this.registry.configs.get(got!.digest)!;
        return [
          {
            mediaType: OCI_MANIFEST,
            digest: got!.digest,
            size: got!.raw.length,
            platform: platformOf([config.os, config.architecture, config.variant].filter(Boolean).join('/'))
          }
        ];
      });
      raw = JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests,
        ...(Object.keys(annotations).length > 0 ? { annotations } : {})
      });
    }
    // --dry-run: the index it would push, on stdout, and nothing pushed.
    if (dryRun) return { code: 0, stdout: `${raw}\n`, stderr: '' };
    const children = (JSON.parse(raw) as { manifests?: Descriptor[] }).manifests ?? [];
    for (const tag of tags) {
      const { name, tag: t, digest } = parseRef(tag);
      // Into another repository, as buildx does: every manifest the index lists comes along.
      for (const child of children) {
        const from = sources.map((src) => this.registry.get(`${parseRef(src).name}@${child.digest}`)).find(Boolean);
        if (from) this.registry.put(name, from.raw, from.mediaType);
      }
      const stored = this.registry.put(name, raw);
      // `--tag name@sha256:…` names nothing: the bytes are copied by digest, and must hash to it.
      if (digest && digest !== stored)
        return { code: 1, stdout: '', stderr: `ERROR: ${tag}: the index has digest ${stored}\n` };
      if (!digest) this.registry.tag(name, t!, stored);
    }
    return { code: 0, stdout: '', stderr: '' };
  }
}

/** buildx's own argv: `docker buildx X` and `/…/docker-buildx X` are both `X`. */
export function buildxArgs(command: string, args: string[]): string[] {
  if (command === 'docker' && args[0] === 'buildx') return args.slice(1);
  if (/(^|\/)(docker-)?buildx$/.test(command)) return args;
  return [command, ...args];
}

/** The kind of a buildx command, as faults name it. */
export function kindOf(argv: string[]): string {
  if (argv[0] === 'imagetools' && argv[1] === 'inspect')
    return argv.includes('--raw') ? 'imagetools inspect --raw' : 'imagetools inspect --format';
  if (argv[0] === 'imagetools') return `imagetools ${argv[1]}`;
  return argv[0];
}

function verbs(command: string, args: string[]): string {
  const words = [command];
  for (const arg of args) {
    if (arg.startsWith('-') || words.length > 3) break;
    words.push(arg);
  }
  return words.join(' ');
}

/** `buildx inspect` text: the builder, then each node (a pinned platform marked `*`, as buildx does). */
function inspectText(name: string, driver: string, nodes: FakeNode[]): string {
  const lines = [`Name:          ${name}`, `Driver:        ${driver}`, '', 'Nodes:'];
  for (const node of nodes) {
    lines.push(
      `Name:             ${node.name}`,
      `Endpoint:         ${node.endpoint}`,
      `Status:           ${node.status}`
    );
    if (node.buildkitVersion) lines.push(`BuildKit version: ${node.buildkitVersion}`);
    lines.push(`Platforms:        ${node.platforms.map((p, i) => (i === 0 ? `${p}*` : p)).join(', ')}`, '');
  }
  return lines.join('\n');
}
