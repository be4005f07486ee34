/** `mode: matrix`: builds nothing; names each leg's runner and sets the `matrix` output. */
import type { Inputs } from '../plan/inputs.js';
import { matrixLines, runnerMatrix, type RunnerMatrix } from '../plan/runners.js';
import type { Session } from './session.js';

export async function planMatrix(session: Session, inputs: Inputs): Promise<RunnerMatrix> {
  const result = runnerMatrix(inputs.platforms, inputs.runners);
  await session.phase('Matrix', async () => {
    for (const line of matrixLines(result)) session.log.info(line);
  });
  session.edges.setOutput('matrix', JSON.stringify(result.matrix));
  await session.edges.summary(session.masker.mask(matrixMarkdown(result)));
  return result;
}

/** The job summary of a matrix plan: each leg's runner, and which platforms QEMU will build. */
export function matrixMarkdown(result: RunnerMatrix): string {
  const lines = [
    '## Multi-arch image: the legs (mode matrix, nothing built)',
    '',
    '| Platform | Runner |',
    '|---|---|'
  ];
  for (const line of matrixLines(result)) {
    const [platform, rest] = line.split(' → ');
    lines.push(`| \`${platform}\` | ${rest} |`);
  }
  if (result.emulated.length > 0)
    lines.push(
      '',
      `No native runner for ${result.emulated.map((p) => `\`${p}\``).join(', ')}: built under QEMU. A \`runners\` line (\`${result.emulated[0]}=LABEL\`) gives it a machine of its own.`
    );
  return `${lines.join('\n')}\n`;
}
