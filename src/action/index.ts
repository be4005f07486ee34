import * as core from '@actions/core';
import { actionEdges } from './io.js';
import { run } from '../pipeline/run.js';
import { Failure } from '../pipeline/failure.js';
import { post } from '../pipeline/post.js';
import { cancelAll } from '../tools/exec.js';
import { errorText } from '../text.js';
import { Masker } from '../ports.js';

// The runner starts this file for both `main` and `post`; main marks its own run in the state.
const edges = actionEdges();
if (core.getState('isPost') === 'true') {
  await post(edges).catch((error: Error) => core.warning(`clean-up: ${error.message}`));
} else {
  // The runner cancels a job with SIGINT, then SIGTERM. Every process this step started runs in a
  // process group of its own, so without this a cancelled build would go on (and push) on its own.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      cancelAll();
      core.setFailed(`cancelled (${signal}): stopped the commands this step had started`);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
  core.saveState('isPost', 'true');
  // The run's masker, so that the failure annotation is masked like every line the run printed:
  // a RUN step that echoed a secret and failed must not put it in the annotation either.
  const masker = new Masker();
  try {
    await run({ edges, env: process.env, cwd: process.env.GITHUB_WORKSPACE || process.cwd(), masker });
  } catch (error) {
    const message = masker.mask(errorText(error));
    if (error instanceof Failure && error.file) {
      // A Dockerfile error is annotated on its line, as setFailed would annotate the step.
      core.error(message, { file: error.file, startLine: error.line });
      process.exitCode = 1;
    } else {
      core.setFailed(message);
    }
  }
}
