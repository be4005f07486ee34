/**
 * One path per build flag, on the real stack with the bundled action run the runner's way:
 * - per-platform builds (a `file` of its own for linux/arm64) keep `attestation-format:
 *   reference`: every platform's attestation in the pushed index is in the older form;
 * - one platform with provenance is pushed as an index, and that index carries the index
 *   annotations; without an attestation it is a plain manifest, and the run still succeeds;
 * - `outputs`, with build-push-action's meaning: `type=docker,dest=app.tar` writes a Docker
 *   archive of the image under its tags (nothing pushed without push; with push: true, beside
 *   the published index); Docker's leg recipe (an image output pushed by digest) runs as
 *   written; `type=cacheonly` builds and pushes nothing; a bad value is refused before anything
 *   is built.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { Registry, platformId } from './support/registry.js';
import { waitForStack, type StackEnv } from './support/stack.js';
import { annotations, expectSucceeded, log, randomSha, repoOf, uniqueRepo, useHarness } from './support/harness.js';

const CASE_TIMEOUT_MS = 600_000;

const stack = await waitForStack();
const describeStack = stack.ok ? describe : describe.skip;

/** A file out of a tar archive, as text. */
function fromTar(archive: string, member: string): string {
  const r = spawnSync('tar', ['-xOf', archive, member], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`tar -xOf ${archive} ${member}: ${r.stderr}`);
  return r.stdout;
}

/** The `buildx build` command lines the step printed. */
function buildCommands(output: string): string[] {
  return output.split('\n').filter((l) => /^\[command\].*\bbuild --builder\b/.test(l));
}

describeStack('build flags and outputs on every build path', () => {
  const env = stack.ok ? stack.env : ({} as StackEnv);
  const h = useHarness(env, 'build-flags');

  test(
    "per-platform file with attestation-format reference: every platform's attestation is in the older form",
    async () => {
      const image = `${env.registry}/${uniqueRepo('flags-reference')}`;
      const repo = repoOf(image);
      const ws = h.workspace('arch');
      copyFileSync(path.join(ws, 'Dockerfile'), path.join(ws, 'Dockerfile.arm64'));
      const result = await h.main('per-platform file, attestation-format reference', {
        workspace: ws,
        inputs: h.inputs(image, {
          platforms: 'linux/amd64,linux/arm64',
          file: 'linux/arm64=Dockerfile.arm64',
          tags: 'type=raw,value=v1',
          'attestation-format': 'reference'
        }),
        event: { sha: randomSha() }
      });
      expectSucceeded(result, 'the per-platform build with attestation-format reference');
      // One build per platform (a retried one prints its command again), each asked for the older form.
      const builds = buildCommands(result.stdout);
      expect([...new Set(builds.map((line) => /--platform (\S+)/.exec(line)?.[1]))].sort()).toEqual([
        'linux/amd64',
        'linux/arm64'
      ]);
      for (const line of builds) expect(line).toContain('oci-artifact=false');
      const index = await h.registry.manifest(repo, result.outputs.digest);
      const entries = index!.body.manifests ?? [];
      const images = Registry.images(entries);
      expect(images.map((e) => platformId(e.platform!)).sort()).toEqual(['linux/amd64', 'linux/arm64']);
      for (const img of images) {
        const att = entries.find((e) => e.annotations?.['vnd.docker.reference.digest'] === img.digest);
        expect(att).toBeDefined();
        const body = await h.registry.manifest<{ subject?: unknown; artifactType?: string }>(repo, att!.digest);
        // The OCI artifact form has a subject and an artifactType; the reference form neither.
        expect({
          platform: platformId(img.platform!),
          subject: body?.body.subject,
          type: body?.body.artifactType
        }).toEqual({ platform: platformId(img.platform!), subject: undefined, type: undefined });
      }
    },
    CASE_TIMEOUT_MS
  );

  test(
    'one platform with provenance: the pushed index carries the index annotations',
    async () => {
      const image = `${env.registry}/${uniqueRepo('flags-one-index')}`;
      const repo = repoOf(image);
      const sha = randomSha();
      const result = await h.main('one platform, provenance on', {
        workspace: h.workspace('arch'),
        inputs: h.inputs(image, { platforms: 'linux/amd64', tags: 'type=raw,value=v1' }),
        event: { sha }
      });
      expectSucceeded(result, 'the one-platform build');
      const index = await h.registry.manifest(repo, 'v1');
      expect(index!.body.mediaType).toBe('application/vnd.oci.image.index.v1+json');
      expect(Registry.images(index!.body.manifests).map((e) => platformId(e.platform!))).toEqual(['linux/amd64']);
      expect(index!.body.annotations).toEqual(
        expect.objectContaining({
          'org.opencontainers.image.revision': sha,
          'org.opencontainers.image.version': 'v1'
        })
      );
    },
    CASE_TIMEOUT_MS
  );

  test(
    'one platform without an attestation: a plain manifest, with no index annotation asked for',
    async () => {
      const image = `${env.registry}/${uniqueRepo('flags-one-manifest')}`;
      const repo = repoOf(image);
      const result = await h.main('one platform, provenance off', {
        workspace: h.workspace('arch'),
        inputs: h.inputs(image, { platforms: 'linux/amd64', tags: 'type=raw,value=v1', provenance: 'false' }),
        event: { sha: randomSha() }
      });
      expectSucceeded(result, 'the one-platform build without provenance');
      expect(buildCommands(result.stdout).join('\n')).not.toContain('--annotation index:');
      const pushed = await h.registry.manifest(repo, 'v1');
      expect(pushed!.body.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
      expect(pushed!.body.annotations).toEqual(expect.objectContaining({ 'org.opencontainers.image.version': 'v1' }));
    },
    CASE_TIMEOUT_MS
  );

  /** The image a Docker archive holds: its tags, and its config's architecture and revision label. */
  function archived(archive: string): { tags: string[]; architecture: string; revision: string } {
    const [entry] = JSON.parse(fromTar(archive, 'manifest.json')) as Array<{ Config: string; RepoTags: string[] }>;
    const config = JSON.parse(fromTar(archive, entry.Config)) as {
      architecture: string;
      config: { Labels: Record<string, string> };
    };
    return {
      tags: entry.RepoTags,
      architecture: config.architecture,
      revision: config.config.Labels['org.opencontainers.image.revision']
    };
  }

  test(
    'outputs: type=docker,dest=app.tar without push: a Docker archive of the image under its tags, nothing pushed',
    async () => {
      const image = `${env.registry}/${uniqueRepo('flags-tarball')}`;
      const ws = h.workspace('arch');
      const sha = randomSha();
      const result = await h.main('outputs type=docker,dest=app.tar', {
        workspace: ws,
        inputs: h.inputs(image, {
          platforms: 'linux/amd64',
          tags: 'type=raw,value=v1',
          outputs: 'type=docker,dest=app.tar'
        }),
        event: { sha }
      });
      expectSucceeded(result, 'the build with a docker archive output');
      // What a later step reads: `docker load < app.tar` would give it these tags.
      expect(archived(path.join(ws, 'app.tar'))).toEqual({
        tags: [`${image}:v1`],
        architecture: 'amd64',
        revision: sha
      });
      expect(await h.registry.tags(repoOf(image))).toEqual([]);
    },
    CASE_TIMEOUT_MS
  );

  test(
    'outputs with push: true: the archive is written beside the published index',
    async () => {
      const image = `${env.registry}/${uniqueRepo('flags-tarball-push')}`;
      const ws = h.workspace('arch');
      const sha = randomSha();
      const result = await h.main('outputs type=docker,dest=app.tar, push true', {
        workspace: ws,
        inputs: h.inputs(image, {
          platforms: 'linux/amd64',
          tags: 'type=raw,value=v1',
          push: 'true',
          outputs: 'type=docker,dest=app.tar'
        }),
        event: { sha }
      });
      expectSucceeded(result, 'the build with push and a docker archive output');
      expect(archived(path.join(ws, 'app.tar'))).toEqual({
        tags: [`${image}:v1`],
        architecture: 'amd64',
        revision: sha
      });
      const tagged = await h.registry.manifest(repoOf(image), 'v1');
      expect(tagged!.digest).toBe(result.outputs.digest);
    },
    CASE_TIMEOUT_MS
  );

  test(
    "outputs: Docker's leg recipe (type=image,push-by-digest=true,push=true, no push input): pushed by digest as written, no tag, the digest output names it",
    async () => {
      const image = `${env.registry}/${uniqueRepo('flags-leg-recipe')}`;
      const repo = repoOf(image);
      const result = await h.main('outputs type=image,push-by-digest=true', {
        workspace: h.workspace('arch'),
        inputs: h.inputs(image, {
          platforms: 'linux/amd64',
          tags: 'type=raw,value=v1',
          outputs: 'type=image,push-by-digest=true,name-canonical=true,push=true'
        }),
        event: { sha: randomSha() }
      });
      expectSucceeded(result, "Docker's leg recipe");
      expect(result.outputs.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      const pushed = await h.registry.manifest(repo, result.outputs.digest);
      expect(pushed?.digest).toBe(result.outputs.digest);
      expect((await h.registry.tags(repo)).filter((t) => !t.startsWith('buildcache'))).toEqual([]);
    },
    CASE_TIMEOUT_MS
  );

  test(
    'outputs: type=cacheonly builds, and pushes nothing',
    async () => {
      const image = `${env.registry}/${uniqueRepo('flags-cacheonly')}`;
      const result = await h.main('outputs type=cacheonly', {
        workspace: h.workspace('arch'),
        inputs: h.inputs(image, { platforms: 'linux/amd64', outputs: 'type=cacheonly' }),
        event: { sha: randomSha() }
      });
      expectSucceeded(result, 'the cacheonly build');
      const builds = buildCommands(result.stdout);
      expect(builds).toHaveLength(1);
      expect(builds[0]).toContain('--output type=cacheonly');
      expect(builds[0]).not.toContain('push-by-digest');
      expect(await h.registry.tags(repoOf(image))).toEqual([]);
    },
    CASE_TIMEOUT_MS
  );

  test(
    'outputs: a bad value is refused before anything is built, naming the input, the value and what is accepted',
    async () => {
      const image = `${env.registry}/${uniqueRepo('flags-bad-output')}`;
      const ws = h.workspace('arch');
      const result = await h.main('outputs type=tarball', {
        workspace: ws,
        inputs: h.inputs(image, { platforms: 'linux/amd64', outputs: 'type=tarball,dest=app.tar' }),
        event: { sha: randomSha() }
      });
      expect(result.code).not.toBe(0);
      const [error] = annotations(result, 'error');
      expect(error).toContain('input "outputs": "type=tarball,dest=app.tar" is not accepted');
      expect(error).toContain('type=docker,dest=app.tar');
      expect(log(result)).not.toMatch(/\[command\].*buildx|\[command\].* build /);
      expect(existsSync(path.join(ws, 'app.tar'))).toBe(false);
      expect(await h.registry.tags(repoOf(image))).toEqual([]);
    },
    CASE_TIMEOUT_MS
  );
});
