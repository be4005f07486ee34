import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const action = parse(readFileSync(path.join(root, 'action.yml'), 'utf8')) as {
  inputs: Record<string, { default?: string }>;
  outputs: Record<string, unknown>;
  runs: Record<string, string>;
};
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');

/** Rows of the README table under `## <heading>`: first cell → second cell, backticks stripped. */
function tableRows(heading: string): Map<string, string> {
  const section = readme.split(`\n## ${heading}\n`)[1]?.split('\n## ')[0] ?? '';
  const rows = new Map<string, string>();
  for (const line of section.split('\n')) {
    const cells = line.split(/(?<!\\)\|/).map((c) => c.trim());
    if (cells.length < 4 || !cells[1].startsWith('`')) continue;
    rows.set(cells[1].replace(/`/g, ''), cells[2].replace(/`/g, ''));
  }
  return rows;
}

describe('the README documents the action as it is', () => {
  const inputs = tableRows('Inputs');
  const outputs = tableRows('Outputs');

  test.each(Object.entries(action.inputs).map(([name, spec]) => ({ name, defaultValue: spec.default ?? '' })))(
    'input $name is in the table with its default',
    ({ name, defaultValue }) => {
      expect(inputs.has(name)).toBe(true);
      expect(inputs.get(name)).toBe(defaultValue);
    }
  );

  test('the tables list nothing action.yml does not have', () => {
    expect([...inputs.keys()].filter((name) => !(name in action.inputs))).toEqual([]);
    expect([...outputs.keys()].sort()).toEqual(Object.keys(action.outputs).sort());
  });

  test('it starts with the two commands: the demo, then the tests', () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const commands = firstBlock
      .split('\n')
      .map((line) => line.replace(/#.*/, '').trim())
      .filter(Boolean);
    expect(commands).toEqual(['bash scripts/demo.sh', 'bash scripts/test.sh']);
  });

  test('action.yml runs on node24 with main and post', () => {
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.js', post: 'dist/index.js' });
  });
});

describe('every promise of the README names a test that exists', () => {
  const section = readme.split('\n## Promises and the tests that prove them\n')[1]?.split('\n## ')[0] ?? '';
  const rows = section
    .split('\n')
    .map((line) => line.split('|').map((c) => c.trim()))
    .filter((cells) => cells.length === 5 && cells[2].startsWith('`'))
    .map((cells) => ({ promise: cells[1], file: cells[2].replace(/`/g, ''), title: cells[3] }));

  test('the section lists the promises', () => {
    expect(rows.length).toBeGreaterThanOrEqual(20);
  });

  test.each(rows)('$promise: $file has a test titled "$title…"', ({ file, title }) => {
    const source = readFileSync(path.join(root, '__tests__/e2e', file), 'utf8');
    expect(source).toContain(title);
  });
});
