import { readFileSync } from 'node:fs';
import path from 'node:path';
import { forAct, readmeWorkflows, ROOT, workflowCopy, type WorkflowName } from './support/readme-workflows.js';

// The workflows act runs end to end are the README's, with only the documented substitutions.

const NAMES: WorkflowName[] = ['quick-start', 'matrix', 'build-test-publish'];

describe("the README's workflows and the copies act runs", () => {
  const readme = readmeWorkflows();

  test.each(NAMES)('%s: the copy is the README workflow with the substitutions', (name) => {
    expect(workflowCopy(name)).toEqual(forAct(name, readme[name]));
  });

  test('a change to a README workflow shows up as a difference', () => {
    const changed = readmeWorkflows(
      readmeText().replace(
        'platforms: linux/amd64,linux/arm64\n          push:',
        'platforms: linux/amd64\n          push:'
      )
    );
    expect(forAct('quick-start', changed['quick-start'])).not.toEqual(workflowCopy('quick-start'));
  });

  test('the substitutions: the action by path with the stack BuildKit, no login step, a checkout first, the local image', () => {
    const legSteps = forAct('matrix', readme.matrix).jobs.leg.steps;
    expect(legSteps).toEqual([
      { uses: 'actions/checkout@v4' },
      {
        uses: './',
        with: {
          mode: 'platform',
          images: '${{ env.IMAGE }}',
          platforms: '${{ matrix.platform }}',
          driver: 'remote',
          endpoint: '${{ env.BUILDKIT_HOST }}'
        }
      }
    ]);
  });
});

function readmeText(): string {
  return readFileSync(path.join(ROOT, 'README.md'), 'utf8');
}
