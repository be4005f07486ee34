import { editDistance, errorText, firstLine, lastLines } from '../src/text.js';

describe('editDistance: optimal string alignment', () => {
  test.each([
    { name: 'equal', a: 'linux/amd64', b: 'linux/amd64', expected: 0 },
    { name: 'one insertion', a: 'amd64', b: 'amdd64', expected: 1 },
    { name: 'one deletion', a: 'arm64', b: 'rm64', expected: 1 },
    { name: 'one substitution', a: 'arm64', b: 'arm65', expected: 1 },
    { name: 'adjacent swap costs one', a: 'amd64', b: 'adm64', expected: 1 },
    { name: 'swap plus substitution', a: '--push', b: '--psuj', expected: 2 },
    { name: 'from empty', a: '', b: 'riscv', expected: 5 },
    { name: 'to empty', a: 's390x', b: '', expected: 5 },
    { name: 'no letter in common', a: 'ppc64le', b: 'arm', expected: 7 }
  ])('$name', ({ a, b, expected }) => {
    expect(editDistance(a, b)).toBe(expected);
  });
});

describe('lastLines', () => {
  test.each([
    { name: 'the last two of four', text: 'a\nb\nc\nd', n: 2, expected: 'c\nd' },
    { name: 'trailing blank lines left out', text: 'a\nb\n\n\n', n: 1, expected: 'b' },
    { name: 'fewer lines than asked', text: 'only', n: 5, expected: 'only' },
    { name: 'empty text', text: '', n: 3, expected: '' }
  ])('$name', ({ text, n, expected }) => {
    expect(lastLines(text, n)).toBe(expected);
  });
});

describe('errorText', () => {
  test.each([
    { name: 'an Error: its message', given: new TypeError('fetch failed'), expected: 'fetch failed' },
    { name: 'a string', given: 'exit code 2', expected: 'exit code 2' },
    { name: 'a number', given: 42, expected: '42' },
    { name: 'undefined', given: undefined, expected: 'undefined' }
  ])('$name', ({ given, expected }) => {
    expect(errorText(given)).toBe(expected);
  });
});

describe('firstLine', () => {
  test.each([
    { name: 'one line', value: 'refused', expected: 'refused' },
    { name: 'several lines', value: 'ERROR: denied\nat line 2\n', expected: 'ERROR: denied' },
    { name: 'blank lines before it', value: '\n\n  first\nsecond', expected: 'first' },
    { name: 'an Error: its message', value: new Error('dial tcp: refused\nstack'), expected: 'dial tcp: refused' },
    { name: 'anything else thrown', value: 42, expected: '42' },
    { name: 'empty', value: '', expected: '' }
  ])('$name', ({ value, expected }) => {
    expect(firstLine(value)).toBe(expected);
  });
});
