import * as core from './commands.js';
import type { Edges } from '../ports.js';
import { neutraliseCommands } from '../tools/exec.js';

/** The action's edges: inputs, outputs, state, log groups and the summary, the runner's way (commands.ts). */
export function actionEdges(): Edges {
  return {
    log: {
      // core.info prints as is; warnings, debug lines and group names are escaped by commands.ts.
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
      await core.appendSummary(markdown);
    }
  };
}
