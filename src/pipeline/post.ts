import { rm } from 'node:fs/promises';
import type { Edges } from '../ports.js';
import { Masker } from '../ports.js';
import { createRunner } from '../tools/exec.js';
import { loadState } from './state.js';
import { removeBuilder } from '../tools/buildx/builder.js';

/** Removes what main recorded it created, and nothing else. Never fails the job; safe to run twice. */
export async function post(edges: Edges): Promise<void> {
  const log = edges.log;
  const state = loadState(edges);
  if (!state) {
    log.info('nothing to clean up');
    return;
  }
  await log.group('Clean up', async () => {
    for (const builder of [state.builder, ...(state.fallbackBuilders ?? [])]) {
      if (!builder || !state.buildx) continue;
      try {
        const outcome = await removeBuilder(
          { bin: state.buildx, run: createRunner(log, new Masker()), log, retries: 0 },
          builder
        );
        log.info(outcome === 'removed' ? `removed builder ${builder}` : `builder ${builder} was already gone`);
      } catch (error) {
        log.warning(`could not remove builder ${builder}: ${(error as Error).message}`);
      }
    }
    if (state.tempDir)
      await rm(state.tempDir, { recursive: true, force: true }).catch((e: Error) =>
        log.warning(`could not remove ${state.tempDir}: ${e.message}`)
      );
  });
}
