/**
 * Issue 21: a build-push-action (+ metadata-action) workflow migrated by changing one line, run the
 * runner's way against the real stack. Each case is a break the 39-workflow trial found:
 * - literal references with no `images` (the images are the references' repositories), and the
 *   DOCKER_METADATA_OUTPUT_* variables later steps read;
 * - references comma-separated on one line;
 * - a name without a tag, read as `:latest`;
 * - `push` left empty on a pull request: nothing pushed, and the summary says why;
 * - `buildx-version: latest`, resolved from the release list and verified, from a release host stand-in;
 * - the git tag `v1.2.3` published beside the version tags; `type=edge,onlatest=false` and
 *   `linux/arm/v8`, accepted (dry runs).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseCommandFile } from './support/runner.js';
import type { StepOptions } from './support/runner.js';
import { waitForStack, type StackEnv } from './support/stack.js';
import { annotations, expectSucceeded, log, pushEvent, randomSha, uniqueRepo, useHarness } from './support/harness.js';

const CASE_TIMEOUT_MS = 600_000;

const stack = await waitForStack();
const describeStack = stack.ok ? describe : describe.skip;

function pullRequest(sha: string): StepOptions['event'] {
  return {
    name: 'pull_request',
    ref: 'refs/pull/7/merge',
    sha,
    payload: {
      number: 7,
      pull_request: { number: 7, head: { sha, ref: 'fix' }, base: { ref: 'main' } },
      repository: {
        name: 'app',
        full_name: 'acme/app',
        html_url: 'https://github.com/acme/app',
        default_branch: 'main'
      }
    }
  };
}

describeStack('migrating from build-push-action by one line (issue 21)', () => {
  const env = stack.ok ? stack.env : ({} as StackEnv);
  const h = useHarness(env, 'migration');
  const registry = h.registry;
  /** The harness's inputs with `images` left out, as a build-push-action workflow has none. */
  const noImages = (extra: Record<string, string>): Record<string, string> => {
    const inputs = h.inputs('', extra);
    delete inputs.images;
    return inputs;
  };

  test(
    'literal references and no images: published as written, and the DOCKER_METADATA_OUTPUT_* variables exported',
    async () => {
      const repo = uniqueRepo('literal');
      const image = `${env.registry}/${repo}`;
      const result = await h.main('literal references, no images', {
        workspace: h.workspace('arch'),
        inputs: noImages({ tags: `${image}:latest\n${image}:1.0.0`, platforms: 'linux/amd64' }),
        event: pushEvent('refs/heads/main', randomSha())
      });
      expectSucceeded(result, 'the literal-references run');
      const tags = await registry.tags(repo);
      expect(tags.filter((t) => t !== 'buildcache').sort()).toEqual(['1.0.0', 'latest']);
      const digest = result.outputs.digest;
      expect((await registry.manifest(repo, 'latest'))?.digest).toBe(digest);
      expect((await registry.manifest(repo, '1.0.0'))?.digest).toBe(digest);

      const exported = parseCommandFile(result.files.GITHUB_ENV);
      expect(exported.DOCKER_METADATA_OUTPUT_TAGS.split('\n')).toEqual([`${image}:latest`, `${image}:1.0.0`]);
      expect(exported.DOCKER_METADATA_OUTPUT_TAG_NAMES.split('\n')).toEqual(['latest', '1.0.0']);
      expect(exported.DOCKER_METADATA_OUTPUT_VERSION).toBe(result.outputs.version);
      const json = JSON.parse(exported.DOCKER_METADATA_OUTPUT_JSON) as Record<string, unknown>;
      expect(Object.keys(json)).toEqual(['tags', 'tag-names', 'labels', 'annotations']);
      expect(json.tags).toEqual([`${image}:latest`, `${image}:1.0.0`]);
      expect((json.labels as Record<string, string>)['org.opencontainers.image.revision']).toBeDefined();
      expect(exported.DOCKER_METADATA_OUTPUT_LABELS).toMatch(/^org\.opencontainers\.image\.\S+=/m);
      expect(exported.DOCKER_METADATA_OUTPUT_ANNOTATIONS.split('\n').every((a) => a.startsWith('manifest:'))).toBe(
        true
      );
    },
    CASE_TIMEOUT_MS
  );

  test(
    'references comma-separated on one line, with buildx-version: latest installed from the release list of a release host',
    async () => {
      const mirror = await startReleaseHost(env);
      h.cleanup(() => mirror.close());
      const repo = uniqueRepo('comma');
      const image = `${env.registry}/${repo}`;
      const result = await h.main('comma-separated references, buildx latest', {
        workspace: h.workspace('arch'),
        inputs: noImages({
          tags: `${image}:latest,${image}:1.0.0`,
          platforms: 'linux/amd64',
          'buildx-version': 'latest',
          'buildx-mirror': mirror.origin
        }),
        event: pushEvent('refs/heads/main', randomSha())
      });
      expectSucceeded(result, 'the comma-list run');
      expect((await registry.tags(repo)).filter((t) => t !== 'buildcache').sort()).toEqual(['1.0.0', 'latest']);
      // The list first, then the release it names, checksums before the binary.
      expect(mirror.requests).toEqual([
        'GET /buildx-releases.json',
        `GET /${env.buildxVersion}/checksums.txt`,
        `GET /${env.buildxVersion}/buildx-${env.buildxVersion}.linux-amd64`
      ]);
      expect(log(result)).toContain(
        `buildx-version latest: ${env.buildxVersion}, the newest release in ${mirror.origin}/buildx-releases.json`
      );
      expect(log(result)).toContain(`matches checksums.txt`);
    },
    CASE_TIMEOUT_MS
  );

  test(
    'a name without a tag is published as :latest, and the log says how it was read',
    async () => {
      const repo = uniqueRepo('no-tag');
      const image = `${env.registry}/${repo}`;
      const result = await h.main('a name without a tag', {
        workspace: h.workspace('arch'),
        inputs: noImages({ tags: image, platforms: 'linux/amd64' }),
        event: pushEvent('refs/heads/main', randomSha())
      });
      expectSucceeded(result, 'the no-tag run');
      expect((await registry.tags(repo)).filter((t) => t !== 'buildcache')).toEqual(['latest']);
      expect(annotations(result, 'warning')).toContain(
        `tags: "${image}" has no tag: published as ${image}:latest, as build-push-action reads it`
      );
    },
    CASE_TIMEOUT_MS
  );

  test(
    'push left empty on a pull request: built, nothing pushed, and the summary says why',
    async () => {
      const repo = uniqueRepo('pr-default');
      const image = `${env.registry}/${repo}`;
      const sha = randomSha();
      const result = await h.main('pull request, push empty', {
        workspace: h.workspace('arch'),
        inputs: h.inputs(image, { platforms: 'linux/amd64' }),
        event: pullRequest(sha)
      });
      expectSucceeded(result, 'the pull request build');
      expect(await registry.tags(repo)).toEqual([]);
      expect(result.outputs.digest).toBe('');
      expect(result.outputs.tags.split('\n')).toEqual([`${image}:pr-7`, `${image}:sha-${sha.slice(0, 7)}`]);
      expect(result.summary).toContain(
        '| Push | none: push is not set and this is a pull_request event, so nothing is pushed (set push: true to push from pull requests) |'
      );
      expect(log(result)).toContain('buildx build');
    },
    CASE_TIMEOUT_MS
  );

  test(
    'dry runs: the git tag v1.2.3 beside the version tags; type=edge,onlatest=false warned; linux/arm/v8 accepted as buildx takes it',
    async () => {
      const image = `${env.registry}/${uniqueRepo('dry')}`;
      const sha = randomSha();
      const release = await h.main('dry run of v1.2.3', {
        workspace: h.workspace('arch'),
        inputs: h.inputs(image, { 'dry-run': 'true', platforms: 'linux/amd64' }),
        event: pushEvent('refs/tags/v1.2.3', sha)
      });
      expectSucceeded(release, 'the v1.2.3 dry run');
      expect(release.outputs.tags.split('\n')).toEqual(
        ['1.2.3', '1.2', '1', 'v1.2.3', `sha-${sha.slice(0, 7)}`, 'latest'].map((t) => `${image}:${t}`)
      );
      expect(parseCommandFile(release.files.GITHUB_ENV).DOCKER_METADATA_OUTPUT_VERSION).toBe('1.2.3');

      const edge = await h.main('dry run of edge,onlatest', {
        workspace: h.workspace('arch'),
        inputs: h.inputs(image, { 'dry-run': 'true', platforms: 'linux/arm/v8', tags: 'type=edge,onlatest=false' }),
        event: pushEvent('refs/heads/main', sha)
      });
      expectSucceeded(edge, 'the edge dry run');
      expect(edge.outputs.tags).toBe(`${image}:edge`);
      expect(annotations(edge, 'warning')).toContain(
        'tags: type=edge,onlatest=false: "onlatest" is not an attribute of type=edge and is ignored (known: type, enable, priority, prefix, suffix, branch)'
      );
      // Kept as buildx keeps it (buildx v0.36.1 builds an image of platform arm/v8, not arm64).
      expect(edge.summary).toContain('| Platforms | `linux/arm/v8` |');
    },
    CASE_TIMEOUT_MS
  );
});

/** A release host with the stack's own buildx as its newest release, and setup-buildx's release list. */
async function startReleaseHost(
  env: StackEnv
): Promise<{ origin: string; requests: string[]; close(): Promise<void> }> {
  const binary = readFileSync(env.buildx);
  const tag = env.buildxVersion;
  const asset = `buildx-${tag}.linux-amd64`;
  const sums = `${createHash('sha256').update(binary).digest('hex')} *${asset}\n`;
  const list = JSON.stringify({
    latest: { tag_name: tag },
    [tag]: { tag_name: tag },
    'v0.1.0': { tag_name: 'v0.1.0' }
  });
  const files = new Map<string, string | Buffer>([
    ['/buildx-releases.json', list],
    [`/${tag}/checksums.txt`, sums],
    [`/${tag}/${asset}`, binary]
  ]);
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const body = files.get(req.url ?? '');
    res.writeHead(body === undefined ? 404 : 200);
    res.end(body ?? 'Not Found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  };
}
