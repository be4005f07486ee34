import type { InputName } from '../plan/errors.js';
import { accessSync, constants, statSync } from 'node:fs';
import { driverOptFields, TLS_FILE_OPTS } from '../plan/driver-opts.js';
import { NodeInputError, parseNodes, type NodeSpec } from '../plan/node-spec.js';

/**
 * Reads the `nodes` input: parsed and validated by plan/node-spec.ts, then checked against this
 * machine: every TLS file a remote node names (cacert, cert, key) must be a readable file here,
 * since buildx reads them only when it first dials the node, long after the run has started.
 */
export function readNodes(text: string, input: InputName = 'nodes'): NodeSpec[] {
  const nodes = parseNodes(text, input);
  for (const node of nodes) {
    if (node.driver !== 'remote') continue;
    for (const { opt, key, value: file } of node.driverOpts.flatMap((o) => driverOptFields(o) ?? [])) {
      if (!(TLS_FILE_OPTS as readonly string[]).includes(key)) continue;
      const problem = fileProblem(file);
      if (problem)
        throw new NodeInputError(
          input,
          `"${node.name}"`,
          opt,
          `${key}= a readable file on this machine (${file} ${problem})`
        );
    }
  }
  return nodes;
}

function fileProblem(file: string): string | undefined {
  let isFile: boolean;
  try {
    isFile = statSync(file).isFile();
  } catch {
    return 'does not exist';
  }
  if (!isFile) return 'is not a file';
  try {
    accessSync(file, constants.R_OK);
  } catch {
    return 'is not readable';
  }
  return undefined;
}
