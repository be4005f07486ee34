/** The one in-memory Edges of the unit tests: inputs from a map, outputs, state and summary kept. */
import type { Edges } from '../../src/ports.js';
import { recordingLog, type RecordingLog } from './log.js';

export interface MemoryEdges extends Edges {
  log: RecordingLog;
  outputs: Map<string, string>;
  state: Map<string, string>;
  /** Every piece of markdown appended to the summary, in order. */
  summaries: string[];
}

/** `inputs` are the raw input texts by name ('' when absent); `state` what a main step saved before. */
export function memoryEdges(inputs: Record<string, string> = {}, state: Record<string, string> = {}): MemoryEdges {
  const given = new Map(Object.entries(inputs));
  const saved = new Map(Object.entries(state));
  const outputs = new Map<string, string>();
  const summaries: string[] = [];
  return {
    log: recordingLog(),
    outputs,
    state: saved,
    summaries,
    input: (name) => given.get(name) ?? '',
    setOutput: (name, value) => void outputs.set(name, value),
    saveState: (name, value) => void saved.set(name, value),
    getState: (name) => saved.get(name) ?? '',
    summary: async (markdown) => void summaries.push(markdown)
  };
}
