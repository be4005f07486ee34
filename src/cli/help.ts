/** --help, generated from the input specs, so every input of the action is listed with its description. */
import { DEFAULTS, INPUTS } from '../inputs/specs.js';
import { COMMAND, OWN_FLAGS } from './args.js';

/** --help: generated from the input list, so every input of the action is there with its description. */
export function usage(): string {
  const lines = [
    `Usage: ${COMMAND} [flags]`,
    '',
    'Builds every platform of a container image concurrently with buildx and pushes one multi-arch',
    'index with its tags: the same pipeline as the GitHub Action, with the commit, ref and repository',
    'read from the git repository in the current directory.',
    '',
    "Inputs (the action's inputs, by the same names):"
  ];
  for (const input of INPUTS) {
    const spelling =
      input.kind === 'boolean'
        ? input.name.startsWith('no-')
          ? `--${input.name}[=false]`
          : `--${input.name}, --no-${input.name}`
        : `--${input.name} VALUE`;
    const extra = [
      input.kind === 'list' ? 'Repeatable: each occurrence is one line.' : '',
      // An expression default (github-token's ${{ github.token }}) exists on the runner only.
      DEFAULTS[input.name] && !DEFAULTS[input.name]?.startsWith('${{') ? `[default: ${DEFAULTS[input.name]}]` : '',
      input.name === 'github-token'
        ? 'On a shared machine prefer --secret-envs GIT_AUTH_TOKEN=VARIABLE: flags are visible to other users.'
        : '',
      input.name === 'secrets'
        ? 'On a shared machine prefer --secret-envs or --secret-files: flags are visible to other users.'
        : '',
      input.name === 'sign-key'
        ? 'Give a key file path here, and the password in COSIGN_PASSWORD rather than --sign-key-password: flags are visible to other users.'
        : ''
    ].filter(Boolean);
    lines.push(`  ${spelling}`, ...wrap([input.description, ...extra].join(' '), 6, 100));
  }
  lines.push('', 'Command line:');
  for (const own of OWN_FLAGS)
    lines.push(
      `  ${own.flag === 'help' ? '-h, ' : ''}--${own.flag}${own.value ? ` ${own.value}` : ''}`,
      ...wrap(own.description, 6, 100)
    );
  lines.push(
    '',
    'Exit status: 0 done, 1 the build or push failed (the reason on stderr), 2 bad flags or input values,',
    '130 interrupted (SIGINT or SIGTERM: what the run started is stopped and its builder removed first).',
    '',
    'Example:',
    `  ${COMMAND} --images 127.0.0.1:5000/demo/hello --platforms linux/amd64,linux/arm64 \\`,
    '    --driver remote --endpoint unix:///run/buildkit/buildkitd.sock \\',
    '    --tags type=sha --tags type=raw,value=latest',
    ''
  );
  return lines.join('\n');
}

function wrap(text: string, indent: number, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && indent + line.length + 1 + word.length > width) {
      out.push(' '.repeat(indent) + line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) out.push(' '.repeat(indent) + line);
  return out;
}
