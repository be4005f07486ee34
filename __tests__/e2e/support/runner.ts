import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stepEnv, stepResult, type StepOptions, type StepResult } from './step-env.js';

export { parseCommandFile, type StepOptions, type StepResult } from './step-env.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const DIST = path.join(ROOT, 'dist/index.js');

/**
 * Runs the bundled action the way the GitHub runner does: `node dist/index.js` with each input
 * as INPUT_<NAME>, the runner's command files, and the context variables.
 */
export async function runStep(options: StepOptions): Promise<StepResult> {
  const { files, env } = stepEnv(options);
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>(
    (resolve, reject) => {
      const child = spawn(process.execPath, [DIST], { cwd: options.workspace, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300000);
      child.on('error', reject);
      child.on('close', (c) => {
        clearTimeout(timer);
        resolve({ code: c ?? -1, stdout: out, stderr: err });
      });
    }
  );
  return stepResult(files, code, stdout, stderr);
}
