import * as core from '@actions/core';
import type { Edges } from '../ports.js';
import { neutraliseCommands } from '../tools/exec.js';

/** The action's edges: inputs, outputs, state, log groups and the summary through @actions/core. */
export function actionEdges(): Edges {
  return {
    log: {
      // core.info prints as is; warnings, debug lines and group names are escaped by @actions/core.
      info: (m) => core.info(neutraliseCommands(m)),
      warning: (m) => core.warning(m),
      debug: (m) => core.debug(m),
      group: (name, fn) => core.group(name, fn),
      setSecret: (v) => core.setSecret(v)
    },
    input: (name) => core.getInput(name),
    setOutput: (name, value) => core.setOutput(name, value),
    exportVariable: (name, value) => core.exportVariable(name, value),
    saveState: (name, value) => core.saveState(name, value),
    getState: (name) => core.getState(name),
    summary: async (markdown) => {
      if (!process.env.GITHUB_STEP_SUMMARY) return;
      await core.summary.addRaw(markdown).write();
    }
  };
}
