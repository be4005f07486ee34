/**
 * Refused early, naming the cause (issue 19, items 8, 9 and 11), with the bundled action run the
 * runner's way against the real stack:
 * - secret-envs naming an unset variable, load with no Docker engine, an sbom value buildx would
 *   refuse: refused before buildx is started, naming the input;
 * - a remote builder endpoint nothing listens at: refused at once, naming the endpoint, without
 *   the bootstrap's retries; one that answers something else: the failure names the endpoint;
 * - what the user reads: no credentials said as none, a refused connection as refused, and a run
 *   without a push says what it would move. (The cache importer's error never being the
 *   explanation is a unit test, failure.test.ts: here `cache-to` gets ignore-error=true and the
 *   preflight refuses a push without credentials first, so no build fails with both.)
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { waitForStack, type StackEnv } from './support/stack.js';
import { annotations, expectSucceeded, log, randomSha, uniqueRepo, useHarness } from './support/harness.js';

const CASE_TIMEOUT_MS = 300_000;

const stack = await waitForStack();
const describeStack = stack.ok ? describe : describe.skip;

/** A TCP port nothing listens on: bound, read, and closed again. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Whether the run started buildx at all (its `[command]` lines name it). */
function startedBuildx(text: string): boolean {
  return text.split('\n').some((line) => line.startsWith('[command]') && /buildx/.test(line));
}

describeStack('refused early, naming the cause', () => {
  const env = stack.ok ? stack.env : ({} as StackEnv);
  const h = useHarness(env, 'refuse-early');
  const event = () => ({ name: 'push', ref: 'refs/heads/main', sha: randomSha() });

  test(
    'secret-envs naming a variable that is not set: refused before buildx starts, naming the input, the id and the variable',
    async () => {
      const image = `${env.registry}/${uniqueRepo('secret-env-unset')}`;
      const result = await h.main('secret-envs unset', {
        workspace: h.workspace('arch'),
        inputs: h.inputs(image, { platforms: 'linux/amd64', 'secret-envs': 'tok=E2E_NOT_SET_ANYWHERE' }),
        event: event()
      });
      expect(result.code).not.toBe(0);
      expect(log(result)).toContain(
        'input "secret-envs": "tok=E2E_NOT_SET_ANYWHERE" is not accepted; expected a variable set in the step\'s environment: E2E_NOT_SET_ANYWHERE is not set'
      );
      expect(startedBuildx(log(result))).toBe(false);
    },
    CASE_TIMEOUT_MS
  );

  test(
    'secret-envs naming a variable set but empty (a fork pull request): a warning, and the build goes on',
    async () => {
      const image = `${env.registry}/${uniqueRepo('secret-env-empty')}`;
      const result = await h.main('secret-envs empty', {
        workspace: h.workspace('arch'),
        inputs: h.inputs(image, { platforms: 'linux/amd64', push: 'false', 'secret-envs': 'tok=E2E_EMPTY_SECRET' }),
        env: { E2E_EMPTY_SECRET: '' },
        event: event()
      });
      expectSucceeded(result, 'the build with an empty secret');
      expect(annotations(result, 'warning')).toContain(
        'secret-envs: E2E_EMPTY_SECRET is set but empty (as on a pull request from a fork, which gets no secrets): the secret tok is empty'
      );
    },
    CASE_TIMEOUT_MS
  );

  test(
    'load: true with no Docker engine answering: refused before buildx starts, naming the input and the socket',
    async () => {
      const image = `${env.registry}/${uniqueRepo('load-no-engine')}`;
      const socket = `/tmp/e2e-no-docker-${randomSha().slice(0, 8)}.sock`;
      const result = await h.main('load, no engine', {
        workspace: h.workspace('arch'),
        inputs: h.inputs(image, { load: 'true', push: 'false' }),
        env: { DOCKER_HOST: `unix://${socket}` },
        event: event()
      });
      expect(result.code).not.toBe(0);
      expect(log(result)).toContain(
        `input "load": "true" is not accepted; expected false here, or a Docker engine to load the image into: none answers at DOCKER_HOST=unix://${socket} (`
      );
      expect(log(result)).not.toContain('closed pipe');
      expect(startedBuildx(log(result))).toBe(false);
    },
    CASE_TIMEOUT_MS
  );

  test(
    'sbom: yes, which buildx would refuse after the builder started: refused first, saying what is accepted',
    async () => {
      const image = `${env.registry}/${uniqueRepo('sbom-word')}`;
      const result = await h.main('sbom yes', {
        workspace: h.workspace('arch'),
        inputs: h.inputs(image, { platforms: 'linux/amd64', sbom: 'yes' }),
        event: event()
      });
      expect(result.code).not.toBe(0);
      expect(log(result)).toContain(
        'input "sbom": "yes" is not accepted; expected true or false, or key=value options, comma separated, as buildx --sbom takes them'
      );
      expect(startedBuildx(log(result))).toBe(false);
    },
    CASE_TIMEOUT_MS
  );

  test(
    'sbom: 0, which buildx reads as false: the release is built and proven without an SBOM, as asked',
    async () => {
      const repo = uniqueRepo('sbom-zero');
      const image = `${env.registry}/${repo}`;
      const sha = randomSha();
      const result = await h.main('sbom 0', {
        workspace: h.workspace('arch'),
        inputs: h.inputs(image, { platforms: 'linux/amd64', sbom: '0', tags: 'type=sha,prefix=' }),
        event: { name: 'push', ref: 'refs/heads/main', sha }
      });
      expectSucceeded(result, 'the sbom: 0 run');
      expect(await h.registry.tags(repo)).toContain(sha.slice(0, 7));
    },
    CASE_TIMEOUT_MS
  );

  test(
    'a remote endpoint nothing listens at (a missing socket, a refused port): refused at once, naming it, with no bootstrap retried',
    async () => {
      const port = await closedPort();
      for (const [endpoint, why] of [
        ['unix:///tmp/e2e-nobody-listens-here.sock', 'no socket at /tmp/e2e-nobody-listens-here.sock (no such file)'],
        [`tcp://127.0.0.1:${port}`, `nothing listens on 127.0.0.1:${port} (connection refused)`]
      ]) {
        const image = `${env.registry}/${uniqueRepo('dead-endpoint')}`;
        const result = await h.main(`dead endpoint ${endpoint}`, {
          workspace: h.workspace('arch'),
          inputs: h.inputs(image, { platforms: 'linux/amd64', endpoint }),
          event: event()
        });
        expect(result.code).not.toBe(0);
        expect(log(result)).toContain(
          `input "endpoint": ${JSON.stringify(endpoint)} is not accepted; expected a BuildKit endpoint that answers: ${why}`
        );
        expect(log(result)).not.toMatch(/starting builder \S+: attempt 1 of/);
        expect(log(result)).not.toContain('buildx create');
      }
    },
    CASE_TIMEOUT_MS
  );

  test(
    'a remote endpoint that answers, but not as BuildKit (the registry): the failure names the endpoint, not the registry',
    async () => {
      const endpoint = `tcp://${env.registry}`;
      const image = `${env.authRegistry}/${uniqueRepo('wrong-endpoint')}`;
      const result = await h.main('endpoint is a registry', {
        workspace: h.workspace('arch'),
        // The images go to another registry, so the message cannot name the endpoint by chance.
        inputs: h.inputs(image, { platforms: 'linux/amd64', push: 'false', endpoint, retries: '0' }),
        event: event()
      });
      expect(result.code).not.toBe(0);
      expect(log(result)).toMatch(new RegExp(`starting builder \\S+ against endpoint ${endpoint} failed 1 time`));
      expect(log(result)).not.toContain(`against ${env.authRegistry}`);
    },
    CASE_TIMEOUT_MS
  );

  test(
    "a base image on a registry with no credentials configured: 'no credentials for' it, not 'refused the credentials'",
    async () => {
      const image = `${env.registry}/${uniqueRepo('no-credentials')}`;
      const result = await h.main('no credentials', {
        workspace: h.workspace('arch'),
        // No DOCKER_CONFIG and no ~/.docker/config.json here: no credentials at all.
        inputs: h.inputs(image, { platforms: 'linux/amd64', push: 'false', 'build-args': `BASE=${env.authBaseImage}` }),
        event: event()
      });
      expect(result.code).not.toBe(0);
      const [first, second] = annotations(result, 'error')[0].split('\n');
      expect(first).toBe(
        `no credentials for ${env.authRegistry}: it asks for them (401 Unauthorized). Log in to ${env.authRegistry} before this step (docker/login-action on GitHub; docker login or a DOCKER_CONFIG holding credentials elsewhere).`
      );
      expect(second).toContain(`${env.authRegistry}/v2/base/busybox/manifests/latest: 401 Unauthorized`);
    },
    CASE_TIMEOUT_MS
  );

  test(
    'a registry nothing listens at: the failure says connection refused, never connection dropped',
    async () => {
      const image = `127.0.0.1:${await closedPort()}/${uniqueRepo('refused')}`;
      const result = await h.main('registry refused', {
        workspace: h.workspace('arch'),
        inputs: h.inputs(image, { platforms: 'linux/amd64', retries: '0' }),
        event: event()
      });
      expect(result.code).not.toBe(0);
      expect(annotations(result, 'error').join('\n')).toContain('connection refused');
      expect(log(result)).not.toContain('connection dropped');
    },
    CASE_TIMEOUT_MS
  );

  test(
    'without a push, the summary says the tags are the ones it would move',
    async () => {
      const image = `${env.registry}/${uniqueRepo('would-move')}`;
      const result = await h.main('push false summary', {
        workspace: h.workspace('arch'),
        inputs: h.inputs(image, { platforms: 'linux/amd64', push: 'false', tags: 'type=raw,value=one' }),
        event: event()
      });
      expectSucceeded(result, 'the push: false run');
      expect(result.summary).toContain(`### Tags it would move\n\n- \`${image}:one\``);
      expect(result.summary).not.toContain('### Tags\n');
    },
    CASE_TIMEOUT_MS
  );
});
