/**
 * The runner's side of a JavaScript action, written here rather than loaded from @actions/core:
 * that package imports its HTTP client (undici, for OIDC tokens this action never asks for) at
 * load, which was half of the main bundle and a good part of every run's start-up. The protocol
 * is the runner's: workflow commands on stdout (`::name key=value::message`, escaped), and
 * `name<<DELIMITER` blocks appended to the GITHUB_OUTPUT and GITHUB_STATE files.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { EOL } from 'node:os';

/** A message: `%`, CR and LF escaped, so that one command stays one line. */
function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A property value: also `:` and `,`, which end a value. */
function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

function issue(command: string, message: string, properties: Record<string, string | number | undefined> = {}): void {
  const props = Object.entries(properties)
    .filter((e): e is [string, string | number] => e[1] !== undefined && e[1] !== '')
    .map(([k, v]) => `${k}=${escapeProperty(String(v))}`)
    .join(',');
  process.stdout.write(`::${command}${props ? ` ${props}` : ''}::${escapeData(message)}${EOL}`);
}

/** Appends `name<<DELIMITER` … to a runner file, or issues the old command when there is none. */
function fileCommand(variable: 'GITHUB_OUTPUT' | 'GITHUB_STATE', command: string, name: string, value: string): void {
  const file = process.env[variable];
  if (!file) {
    process.stdout.write(EOL);
    issue(command, value, { name });
    return;
  }
  if (!existsSync(file)) throw new Error(`${variable} names ${file}, which does not exist`);
  const delimiter = `ghadelimiter_${randomUUID()}`;
  if (name.includes(delimiter) || value.includes(delimiter))
    throw new Error(`the value of ${name} contains the delimiter ${delimiter}`);
  appendFileSync(file, `${name}<<${delimiter}${EOL}${value}${EOL}${delimiter}${EOL}`, 'utf8');
}

export function getInput(name: string): string {
  return (process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim();
}
export const setOutput = (name: string, value: string): void => fileCommand('GITHUB_OUTPUT', 'set-output', name, value);
export const saveState = (name: string, value: string): void => fileCommand('GITHUB_STATE', 'save-state', name, value);
export const getState = (name: string): string => process.env[`STATE_${name}`] ?? '';

export const info = (message: string): void => void process.stdout.write(`${message}${EOL}`);
export const debug = (message: string): void => issue('debug', message);
export const warning = (message: string): void => issue('warning', message);
export const setSecret = (secret: string): void => issue('add-mask', secret);
/** An error annotation, on a file's line when given. */
export function error(message: string, where: { file?: string; startLine?: number } = {}): void {
  issue('error', message, { file: where.file, line: where.startLine });
}
/** The step fails with this message (exit code 1 when the process ends). */
export function setFailed(message: string): void {
  process.exitCode = 1;
  error(message);
}

/** A collapsible log group around fn, closed however fn ends. */
export async function group<T>(name: string, fn: () => Promise<T>): Promise<T> {
  issue('group', name);
  try {
    return await fn();
  } finally {
    issue('endgroup', '');
  }
}

/** Appends Markdown to the job summary (GITHUB_STEP_SUMMARY), when the runner gives one. */
export async function appendSummary(markdown: string): Promise<void> {
  const file = process.env.GITHUB_STEP_SUMMARY;
  if (file) await appendFile(file, markdown, 'utf8');
}
