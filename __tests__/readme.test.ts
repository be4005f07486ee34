import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse } from 'yaml';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const action = parse(readFileSync(path.join(root, 'action.yml'), 'utf8')) as {
  inputs: Record<string, { default?: string }>;
  outputs: Record<string, unknown>;
  runs: Record<string, string>;
};
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
// Imported by its path: jest.config.js has no type declarations, and only its coverage floors are read.
const jestConfig = (await import(pathToFileURL(path.join(root, 'jest.config.js')).href)).default as {
  coverageThreshold: Record<string, { lines: number }>;
};

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

/** The README's section under `## <heading>`, to the next `## `. */
function section(heading: string): string {
  return readme.split(`\n## ${heading}\n`)[1]?.split('\n## ')[0] ?? '';
}

/**
 * The `src/` map under "How it works": each entry is a line indented by two spaces per level,
 * naming a folder (`plan/`) or a root file (`ports.ts`), with continuation lines indented deeper.
 * Returns each folder (`plan`, `plan/tags`) with the `.ts` files its entry names, and the root files.
 */
function moduleMap(): { folders: Map<string, string[]>; rootFiles: string[] } {
  const block = /```\nsrc\/\n([\s\S]*?)```/.exec(section('How it works'))?.[1] ?? '';
  const folders = new Map<string, string[]>();
  const rootFiles: string[] = [];
  const parents: string[] = [];
  let current: string | undefined;
  for (const line of block.split('\n')) {
    const match = /^( +)([\w-]+)(\/|\.ts)(?= |$)(.*)$/.exec(line);
    const entry = match && match[1].length <= 4 ? match : undefined;
    if (entry) {
      const depth = entry[1].length / 2 - 1;
      if (entry[3] === '.ts') {
        rootFiles.push(`${entry[2]}.ts`);
        current = undefined;
        continue;
      }
      parents.length = depth;
      parents.push(entry[2]);
      current = parents.join('/');
      folders.set(current, []);
    }
    if (current)
      folders.get(current)!.push(...[...(entry ? entry[4] : line).matchAll(/\b([\w-]+\.ts)\b/g)].map((m) => m[1]));
  }
  return { folders, rootFiles };
}

/** Every folder of src/ (relative, `plan/tags`) with its .ts files, and the root files. */
function sourceTree(): { folders: Map<string, string[]>; rootFiles: string[] } {
  const src = path.join(root, 'src');
  const folders = new Map<string, string[]>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(path.join(src, dir), { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const rel = dir ? `${dir}/${entry.name}` : entry.name;
      folders.set(
        rel,
        readdirSync(path.join(src, rel)).filter((f) => f.endsWith('.ts'))
      );
      walk(rel);
    }
  };
  walk('');
  const rootFiles = readdirSync(src).filter((f) => f.endsWith('.ts'));
  return { folders, rootFiles };
}

describe('"How it works" shows src/ as it is', () => {
  const shown = moduleMap();
  const actual = sourceTree();

  test('the map names every folder of src/, and no other', () => {
    expect([...shown.folders.keys()].sort()).toEqual([...actual.folders.keys()].sort());
  });

  test('and every file at the root of src/', () => {
    expect(shown.rootFiles.sort()).toEqual(actual.rootFiles.sort());
  });

  test.each([...actual.folders.keys()].sort().map((folder) => ({ folder })))(
    '$folder/: its entry names each of its modules, and none that is not there',
    ({ folder }) => {
      expect([...new Set(shown.folders.get(folder) ?? [])].sort()).toEqual(actual.folders.get(folder)!.sort());
    }
  );

  test("text.ts's line names each of its helpers", () => {
    const exported = [...readFileSync(path.join(root, 'src/text.ts'), 'utf8').matchAll(/^export function (\w+)/gm)].map(
      (m) => m[1]
    );
    const line = /^ {2}text\.ts +(.*)$/m.exec(section('How it works'))?.[1] ?? '';
    expect(exported.length).toBeGreaterThan(0);
    expect(exported.filter((name) => !new RegExp(`\\b${name}\\b`).test(line))).toEqual([]);
  });
});

describe('figures in prose are what the code and dist/ hold', () => {
  const config = jestConfig.coverageThreshold;

  /** The floor jest.config.js holds for a folder: its globs (a single file's own floor left out). */
  function floors(folder: string): number[] {
    return Object.entries(config)
      .filter(([key]) => key.startsWith(`./src/${folder}`) && /[*!]/.test(key.slice(`./src/${folder}`.length)))
      .map(([, t]) => t.lines);
  }

  test('the coverage floors the Development section states are jest.config.js floors', () => {
    const sentence = /\(`jest\.config\.js`: ([^)]*)\)/.exec(section('Development'))?.[1] ?? '';
    const claims = [...sentence.matchAll(/`([\w/]+)\/` (\d+) %/g)].map((m) => ({ folder: m[1], floor: Number(m[2]) }));
    expect(claims.map((c) => c.folder)).toEqual(['plan', 'inputs', 'pipeline', 'tools/registry']);
    for (const { folder, floor } of claims)
      expect({ folder, floors: floors(folder) }).toEqual({ folder, floors: [floor] });
  });

  test('so does "How it works" for pipeline/', () => {
    const claim = /every file of `pipeline\/` has at least (\d+) % of its lines covered/.exec(section('How it works'));
    expect(claim).not.toBeNull();
    expect(floors('pipeline')).toEqual([Number(claim![1])]);
  });

  test('the bundle sizes stated are those of dist/ (within 10 %), and the installers are in the lazy chunks', () => {
    const claim = /Today `dist\/index\.js` is ([\d.]+) MB and the chunks loaded\s+by `import\(\)` ([\d.]+) MB/.exec(
      section('Development')
    );
    expect(claim).not.toBeNull();
    const dist = path.join(root, 'dist');
    const chunks = readdirSync(dist).filter((f) => /^\d+\.index\.js$/.test(f));
    const entryMb = statSync(path.join(dist, 'index.js')).size / 1e6;
    const lazyMb = chunks.reduce((sum, f) => sum + statSync(path.join(dist, f)).size, 0) / 1e6;
    expect(Math.abs(entryMb - Number(claim![1])) / entryMb).toBeLessThan(0.1);
    expect(Math.abs(lazyMb - Number(claim![2])) / lazyMb).toBeLessThan(0.1);
    const installer = /function installRelease\(/;
    expect(installer.test(readFileSync(path.join(dist, 'index.js'), 'utf8'))).toBe(false);
    expect(chunks.some((f) => installer.test(readFileSync(path.join(dist, f), 'utf8')))).toBe(true);
  });
});
