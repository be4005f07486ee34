/**
 * A cache can only make a build faster, never red: the bundled action, run the runner's way,
 * against a registry that takes the image but refuses the cache push (as GHCR refuses a fork's
 * token, or a token without write on the cache's repository). The refusal is a real 403 DENIED
 * from a proxy in front of the stack's registry, on the cache ref's manifest PUT only.
 */
import { waitForStack } from './support/stack.js';
import { annotations, expectSucceeded, pushEvent, randomSha, uniqueRepo, useHarness } from './support/harness.js';
import { startFaultProxy } from '../support/fault-proxy.js';

const CASE_TIMEOUT_MS = 300_000;
/** The ports BuildKit talks plain HTTP to, besides 5000 and 5001. */
const PROXY_PORTS = [5002, 5003, 5004, 5005, 5006, 5007, 5008, 5009];

const stack = await waitForStack();
if (!stack.ok) console.log(`skipping the cache-safety end-to-end tests: ${stack.reason}`);
const describeStack = stack.ok ? describe : describe.skip;

describeStack('a cache never turns a published build red', () => {
  const env = stack.ok ? stack.env : (undefined as never);
  const h = useHarness(env, 'cache-safety');

  test(
    'a registry that refuses the cache push: green, the image and its tag published, one warning naming the platforms, the ref and the cause',
    async () => {
      const proxy = await startFaultProxy({
        target: `http://${env.registry}`,
        port: PROXY_PORTS,
        failureRate: 0,
        faults: [],
        decide: ({ method, path }) => (method === 'PUT' && /\/manifests\/buildcache$/.test(path) ? '403' : undefined)
      });
      h.cleanup(() => proxy.close());
      const repo = uniqueRepo('cache-refused');
      const image = `127.0.0.1:${proxy.port}/${repo}`;

      const result = await h.main('cache refused', {
        workspace: h.workspace('cache'),
        inputs: h.inputs(image, { platforms: 'linux/amd64,linux/arm64' }),
        event: pushEvent('refs/heads/main', randomSha())
      });

      expectSucceeded(result, 'a build whose cache push is refused');
      expect(proxy.stats().injected['403']).toBeGreaterThan(0);
      const cacheWarnings = annotations(result, 'warning').filter((w) => w.includes('cache'));
      expect(cacheWarnings).toEqual([
        expect.stringMatching(
          new RegExp(
            `^linux/amd64, linux/arm64: the registry cache ${image.replace(/[.]/g, '\\.')}:buildcache could not be written \\(refused \\(403: no write access\\)\\); the build went on without it: .*denied`
          )
        )
      ]);
      // Published all the same: the tag is on the index the digest output names; no cache ref landed.
      expect(result.outputs.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      const main = await h.registry.manifest(repo, 'main');
      expect(main?.digest).toBe(result.outputs.digest);
      expect(await h.registry.manifest(repo, 'buildcache')).toBeUndefined();
    },
    CASE_TIMEOUT_MS
  );

  test(
    'a matrix leg whose cache push is refused: green, handed off, and the warning names its own platform and ref',
    async () => {
      const proxy = await startFaultProxy({
        target: `http://${env.registry}`,
        port: PROXY_PORTS,
        failureRate: 0,
        faults: [],
        decide: ({ method, path }) =>
          method === 'PUT' && /\/manifests\/buildcache-linux-arm64$/.test(path) ? '403' : undefined
      });
      h.cleanup(() => proxy.close());
      const repo = uniqueRepo('cache-refused-leg');
      const image = `127.0.0.1:${proxy.port}/${repo}`;

      const result = await h.main('cache refused, arm64 leg', {
        workspace: h.workspace('cache'),
        inputs: h.inputs(image, { mode: 'platform', platforms: 'linux/arm64' }),
        event: pushEvent('refs/heads/main', randomSha())
      });

      expectSucceeded(result, 'a leg whose cache push is refused');
      expect(annotations(result, 'warning').filter((w) => w.includes('cache'))).toEqual([
        expect.stringMatching(
          new RegExp(
            `^linux/arm64: the registry cache ${image.replace(/[.]/g, '\\.')}:buildcache-linux-arm64 could not be written \\(refused \\(403: no write access\\)\\)`
          )
        )
      ]);
      expect(result.outputs.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(await h.registry.manifest(repo, 'buildcache-linux-arm64')).toBeUndefined();
    },
    CASE_TIMEOUT_MS
  );
});
