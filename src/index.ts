import * as core from '@actions/core';
import { actionEdges } from './edges-actions.js';
import { run } from './main.js';
import { post } from './post.js';

// The runner starts this file for both `main` and `post`; main marks its own run in the state.
const edges = actionEdges();
if (core.getState('isPost') === 'true') {
  await post(edges).catch((error: Error) => core.warning(`clean-up: ${error.message}`));
} else {
  core.saveState('isPost', 'true');
  try {
    await run({ edges, env: process.env, cwd: process.env.GITHUB_WORKSPACE || process.cwd() });
  } catch (error) {
    core.setFailed(error instanceof Error ? error.message : String(error));
  }
}
