import { parseKeyValues, parseList } from '../../src/plan/list.js';

describe('parseList, one item a line', () => {
  test.each([
    { name: 'undefined', raw: undefined, expected: [] },
    { name: 'empty', raw: '', expected: [] },
    { name: 'one item', raw: 'KEY=value', expected: ['KEY=value'] },
    { name: 'newline separated', raw: 'A=1\nB=2', expected: ['A=1', 'B=2'] },
    { name: 'CRLF line ends', raw: 'A=1\r\nB=2\r\n', expected: ['A=1', 'B=2'] },
    { name: 'commas stay inside an item', raw: 'LIST=a,b,c\nB=2', expected: ['LIST=a,b,c', 'B=2'] },
    { name: 'blank and whitespace-only lines dropped', raw: '\nA=1\n   \n\tB=2\n\n', expected: ['A=1', 'B=2'] },
    { name: 'surrounding spaces trimmed', raw: '  A=1  \n\tB=2\t', expected: ['A=1', 'B=2'] },
    { name: '# comment lines dropped', raw: '# build args\nA=1\n  # indented comment\nB=2', expected: ['A=1', 'B=2'] },
    {
      name: '# inside an item is kept',
      raw: 'COLOR=#ff0000\nA=1 # not a comment',
      expected: ['COLOR=#ff0000', 'A=1 # not a comment']
    },
    { name: 'a fully quoted line is unquoted', raw: '"A=x,y"\nB=2', expected: ['A=x,y', 'B=2'] },
    { name: 'a quote inside a line is kept', raw: 'A="x"', expected: ['A="x"'] },
    { name: 'a lone quote is kept', raw: '"', expected: ['"'] }
  ])('$name', ({ raw, expected }) => {
    expect(parseList(raw)).toEqual(expected);
  });
});

describe('parseList with comma', () => {
  test.each([
    { name: 'comma separated', raw: 'linux/amd64,linux/arm64', expected: ['linux/amd64', 'linux/arm64'] },
    {
      name: 'comma and space',
      raw: 'linux/amd64, linux/arm64 , linux/arm/v7',
      expected: ['linux/amd64', 'linux/arm64', 'linux/arm/v7']
    },
    { name: 'newline separated', raw: 'linux/amd64\nlinux/arm64', expected: ['linux/amd64', 'linux/arm64'] },
    {
      name: 'newlines and commas mixed',
      raw: 'linux/amd64,linux/arm64\nlinux/riscv64',
      expected: ['linux/amd64', 'linux/arm64', 'linux/riscv64']
    },
    { name: 'CRLF line ends', raw: 'linux/amd64\r\nlinux/arm64\r\n', expected: ['linux/amd64', 'linux/arm64'] },
    { name: 'empty fields dropped', raw: 'a,,b,', expected: ['a', 'b'] },
    { name: 'only commas', raw: ',', expected: [] },
    { name: 'only commas and spaces', raw: ' , ,, ', expected: [] },
    { name: 'double quotes keep a comma', raw: 'a,"b,c",d', expected: ['a', 'b,c', 'd'] },
    { name: 'quoted field after a space', raw: 'a, "b,c"', expected: ['a', 'b,c'] },
    { name: 'doubled quote inside quotes', raw: '"say ""hi""",x', expected: ['say "hi"', 'x'] },
    {
      name: '# comment line dropped',
      raw: '# first the native one\nlinux/amd64\n#linux/s390x\nlinux/arm64',
      expected: ['linux/amd64', 'linux/arm64']
    },
    {
      name: 'blank lines dropped',
      raw: '\n\nlinux/amd64\n   \nlinux/arm64\n',
      expected: ['linux/amd64', 'linux/arm64']
    }
  ])('$name', ({ raw, expected }) => {
    expect(parseList(raw, { comma: true })).toEqual(expected);
  });
});

describe('parseKeyValues', () => {
  test.each([
    {
      name: 'two pairs',
      record: 'type=ref,event=branch',
      expected: [
        ['type', 'ref'],
        ['event', 'branch']
      ]
    },
    {
      name: 'spaces around fields and keys trimmed',
      record: ' type = raw , value=x ',
      expected: [
        ['type', 'raw'],
        ['value', 'x']
      ]
    },
    { name: 'a value keeps its later = signs', record: 'value=a=b=c', expected: [['value', 'a=b=c']] },
    {
      name: 'a field without = is a key with an empty value',
      record: 'type=raw,foo',
      expected: [
        ['type', 'raw'],
        ['foo', '']
      ]
    },
    {
      name: 'empty value',
      record: 'prefix=,suffix=-x',
      expected: [
        ['prefix', ''],
        ['suffix', '-x']
      ]
    },
    {
      name: 'a quoted field keeps its commas',
      record: 'type=match,"pattern=\\d{1,3}"',
      expected: [
        ['type', 'match'],
        ['pattern', '\\d{1,3}']
      ]
    },
    { name: 'quoted value after = is unquoted', record: 'value= "x y"', expected: [['value', 'x y']] },
    {
      name: 'empty fields skipped',
      record: 'a=1,,b=2',
      expected: [
        ['a', '1'],
        ['b', '2']
      ]
    },
    { name: 'empty record', record: '', expected: [] },
    // The docstring shows key2="a,b", but a quote that does not open the field is literal in CSV: the comma splits.
    {
      name: 'key="a,b" splits at the comma (quote the whole field instead)',
      record: 'key=v,key2="a,b"',
      expected: [
        ['key', 'v'],
        ['key2', '"a'],
        ['b"', '']
      ]
    }
  ])('$name', ({ record, expected }) => {
    expect(parseKeyValues(record)).toEqual(expected);
  });
});
