import type { Edges } from '../../../src/ports.js';
import { recordingLog, type RecordingLog } from '../../support/log.js';

/** Edges kept in memory: inputs given, outputs and state in records, summaries in a list, a recording Log. */
export interface MemoryEdges extends Omit<RecordingLog, 'log'> {
  edges: Edges;
  outputs: Record<string, string>;
  state: Record<string, string>;
  summaries: string[];
}

export function memoryEdges(inputs: Record<string, string> = {}, state: Record<string, string> = {}): MemoryEdges {
  const { log, ...recorded } = recordingLog();
  const mem: Omit<MemoryEdges, 'edges'> = { ...recorded, outputs: {}, state: { ...state }, summaries: [] };
  const edges: Edges = {
    log,
    input: (name) => inputs[name] ?? '',
    setOutput: (name, value) => void (mem.outputs[name] = value),
    saveState: (name, value) => void (mem.state[name] = value),
    getState: (name) => mem.state[name] ?? '',
    summary: async (markdown) => void mem.summaries.push(markdown)
  };
  return { ...mem, edges };
}
