/** The one in-memory Edges of the unit tests: inputs from a record, outputs, state and summary kept. */
import type { Edges } from '../../src/ports.js';
import { recordingLog, type RecordingLog } from './log.js';

export interface MemoryEdges extends Edges {
  log: RecordingLog;
  /** Each output set, by name. */
  outputs: Record<string, string>;
  /** What was saved for the post step, by name (with what a main step saved before, when given). */
  state: Record<string, string>;
  /** Every piece of markdown appended to the summary, in order. */
  summaries: string[];
}

/** `inputs` are the raw input texts by name ('' when absent); `state` what a main step saved before. */
export function memoryEdges(inputs: Record<string, string> = {}, state: Record<string, string> = {}): MemoryEdges {
  const outputs: Record<string, string> = {};
  const saved: Record<string, string> = { ...state };
  const summaries: string[] = [];
  return {
    log: recordingLog(),
    outputs,
    state: saved,
    summaries,
    input: (name) => inputs[name] ?? '',
    setOutput: (name, value) => void (outputs[name] = value),
    saveState: (name, value) => void (saved[name] = value),
    getState: (name) => saved[name] ?? '',
    summary: async (markdown) => void summaries.push(markdown)
  };
}
