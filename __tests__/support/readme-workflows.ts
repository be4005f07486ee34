/**
 * The README's workflows, and the substitutions that turn each into the copy a local runner
 * (nektos/act) runs here (__tests__/fixtures/workflows/). A unit test keeps the two equal; the
 * end-to-end test runs the copies.
 *
 * The substitutions, and why:
 * 1. `uses: OWNER/multiarch-publish@v1` becomes `uses: ./` (this checkout), with the stack's
 *    BuildKit: `driver: remote`, `endpoint: ${{ env.BUILDKIT_HOST }}` (no Docker engine here for
 *    the docker-container driver).
 * 2. `docker/login-action` steps go: remote actions cannot be fetched here; credentials come from
 *    DOCKER_CONFIG instead, as login-action leaves them.
 * 3. The image (`ghcr.io/${{ github.repository }}`, `ghcr.io/acme/app`) becomes `${{ env.IMAGE }}`,
 *    a repository of the local registry.
 * 4. A job whose first step is not `actions/checkout@v4` gets one: act runs `uses: ./` from the
 *    job's workspace, empty without a checkout (GitHub fetches the action by name instead).
 * 5. The build-test-publish steps (the README shows steps only) run in the Quick start's job, and
 *    their test step, `docker run` of each platform (no Docker engine here), becomes a read of each
 *    platform's manifest from the registry: TEST_STEP_RUN.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const WORKFLOW_COPIES = path.join(ROOT, '__tests__/fixtures/workflows');

/* eslint-disable @typescript-eslint/no-explicit-any -- workflows are untyped YAML */
type Yaml = any;

/** The first ```yaml block after a README heading. */
function yamlAfter(readme: string, heading: string): string {
  const at = readme.indexOf(`\n${heading}\n`);
  if (at < 0) throw new Error(`README has no heading ${heading}`);
  const block = /```yaml\n([\s\S]*?)```/.exec(readme.slice(at));
  if (!block) throw new Error(`README has no yaml block under ${heading}`);
  return block[1];
}

export type WorkflowName = 'quick-start' | 'matrix' | 'build-test-publish';

/** Each README workflow as the README shows it (parsed). */
export function readmeWorkflows(
  readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8')
): Record<WorkflowName, Yaml> {
  return {
    'quick-start': parse(yamlAfter(readme, '## Quick start')),
    matrix: parse(yamlAfter(readme, '### A matrix of native runners, then a merge')),
    'build-test-publish': parse(yamlAfter(readme, '### Build, test, then publish'))
  };
}

/** The committed copy act runs (parsed). */
export function workflowCopy(name: WorkflowName): Yaml {
  return parse(readFileSync(path.join(WORKFLOW_COPIES, `${name}.yml`), 'utf8'));
}

const IMAGES = ['ghcr.io/${{ github.repository }}', 'ghcr.io/acme/app'];
const CHECKOUT = { uses: 'actions/checkout@v4' };

/**
 * The test step of build → test → publish, here: every platform of the built digest must be in
 * the registry (the index read with the credentials of DOCKER_CONFIG's auth registry; the password
 * goes to curl on stdin, never in argv).
 */
export const TEST_STEP_RUN = [
  'for p in linux/amd64 linux/arm64; do',
  '  printf \'user = "%s:%s"\\n\' "$REGISTRY_USER" "$(cat "$REGISTRY_PASSWORD_FILE")" |',
  '    curl -sf -K - -H "Accept: application/vnd.oci.image.index.v1+json" \\',
  '      "http://${IMAGE%%/*}/v2/${IMAGE#*/}/manifests/${{ steps.build.outputs.digest }}" |',
  '    grep -q "\\"architecture\\": *\\"${p#linux/}\\""',
  'done',
  ''
].join('\n');

function replaceImages(value: Yaml): Yaml {
  if (typeof value === 'string') return IMAGES.reduce((s, image) => s.split(image).join('${{ env.IMAGE }}'), value);
  if (Array.isArray(value)) return value.map(replaceImages);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceImages(v)]));
  return value;
}

function substituteSteps(steps: Yaml[]): Yaml[] {
  const out = steps
    .filter((step) => !String(step.uses ?? '').startsWith('docker/login-action@'))
    .map((step) => {
      if (step.uses === 'OWNER/multiarch-publish@v1')
        return { ...step, uses: './', with: { ...step.with, driver: 'remote', endpoint: '${{ env.BUILDKIT_HOST }}' } };
      if (step.name === "Test each platform's image") return { ...step, run: TEST_STEP_RUN };
      return step;
    });
  return out[0]?.uses === CHECKOUT.uses ? out : [{ ...CHECKOUT }, ...out];
}

/** The README workflow `name` with the substitutions above applied: what its copy must equal. */
export function forAct(name: WorkflowName, readme: Yaml): Yaml {
  let workflow = readme;
  if (name === 'build-test-publish') {
    const base = readmeWorkflows()['quick-start'];
    workflow = { ...base, jobs: { image: { 'runs-on': base.jobs.image['runs-on'], steps: readme } } };
  }
  workflow = replaceImages(workflow);
  const jobs = Object.fromEntries(
    Object.entries(workflow.jobs as Record<string, Yaml>).map(([id, job]) => [
      id,
      { ...job, steps: substituteSteps(job.steps) }
    ])
  );
  return { ...workflow, jobs };
}
