import type { Context } from '../../../src/plan/context.js';
import { formatDate } from '../../../src/plan/dates.js';
import { globalResolver, prNumber } from '../../../src/plan/tags/expressions.js';
import { context } from '../../support/context.js';

// {{date}} and {{commit_date}} render through formatDate.
describe('formatDate', () => {
  const date = new Date('2020-01-10T15:25:50.123Z');
  test.each([
    { name: 'compact date', format: 'YYYYMMDD', tz: 'UTC', expected: '20200110' },
    { name: 'Tokyo time', format: 'YYYYMMDD-HHmmss', tz: 'Asia/Tokyo', expected: '20200111-002550' },
    {
      name: '12-hour with names',
      format: 'dddd, MMMM Do YYYY, h:mm:ss a',
      tz: 'UTC',
      expected: 'Friday, January 10th 2020, 3:25:50 pm'
    },
    {
      name: 'ISO with milliseconds and literal Z',
      format: 'YYYY-MM-DDTHH:mm:ss.SSS[Z]',
      tz: 'UTC',
      expected: '2020-01-10T15:25:50.123Z'
    },
    { name: 'offsets', format: 'Z ZZ', tz: 'America/New_York', expected: '-05:00 -0500' },
    { name: 'half-hour offset', format: 'HH:mm Z', tz: 'Asia/Kolkata', expected: '20:55 +05:30' },
    {
      name: 'short forms',
      format: 'YY M D H m s ddd MMM d Q A hh',
      tz: 'UTC',
      expected: '20 1 10 15 25 50 Fri Jan 5 1 PM 03'
    },
    { name: 'unix seconds and milliseconds', format: 'X x', tz: 'UTC', expected: '1578669950 1578669950123' },
    { name: 'ordinals', format: '[11]Do', tz: 'Pacific/Kiritimati', expected: '1111th' }
  ])('$name', ({ format, tz, expected }) => {
    expect(formatDate(date, format, tz)).toBe(expected);
  });
});

// The value of each global expression, as tag rules, the flavor, labels and annotations get it.
describe('globalResolver', () => {
  const now = new Date('2024-03-05T14:07:09Z');
  const value = (ctx: Context, name: string, args: string[] = [], hash: Record<string, string> = {}) =>
    globalResolver(ctx, now)({ name, args, hash });

  test('a push to the default branch', () => {
    const ctx = context({ commitDate: new Date('2024-02-01T10:00:00Z') });
    expect(
      Object.fromEntries(
        ['branch', 'tag', 'sha', 'base_ref', 'is_default_branch', 'is_not_default_branch', 'date', 'commit_date'].map(
          (name) => [name, value(ctx, name)]
        )
      )
    ).toEqual({
      branch: 'main',
      tag: '',
      sha: '860c190',
      base_ref: '',
      is_default_branch: 'true',
      is_not_default_branch: 'false',
      date: '2024-03-05T14:07:09+00:00',
      commit_date: '2024-02-01T10:00:00+00:00'
    });
    expect(value(ctx, 'date', ['YYYY-MM-DD HH:mm'], { tz: 'Asia/Tokyo' })).toBe('2024-03-05 23:07');
  });

  test('a tag push: the tag, no branch, base_ref from the payload', () => {
    const ctx = context({ ref: 'refs/tags/v1.2.3', baseRef: 'main' });
    expect([value(ctx, 'tag'), value(ctx, 'branch'), value(ctx, 'base_ref'), value(ctx, 'is_default_branch')]).toEqual([
      'v1.2.3',
      '',
      'main',
      'false'
    ]);
  });

  test('SOURCE_DATE_EPOCH dates both the build and the commit', () => {
    const ctx = context({
      sourceDateEpoch: new Date('2020-01-10T15:25:50Z'),
      commitDate: new Date('2024-02-01T10:00:00Z')
    });
    expect([value(ctx, 'date'), value(ctx, 'commit_date')]).toEqual([
      '2020-01-10T15:25:50+00:00',
      '2020-01-10T15:25:50+00:00'
    ]);
  });

  test('a scheduled run of another branch counts as the default branch; a tag never does', () => {
    expect(value(context({ eventName: 'schedule', ref: 'refs/heads/nightly' }), 'is_default_branch')).toBe('true');
    expect(value(context({ eventName: 'push', ref: 'refs/heads/nightly' }), 'is_default_branch')).toBe('false');
    expect(value(context({ eventName: 'schedule', ref: 'refs/tags/v1' }), 'is_default_branch')).toBe('false');
  });

  test("a pull request: base_ref is the PR's base, its number from the ref or the payload", () => {
    const pr = context({
      eventName: 'pull_request',
      ref: 'refs/pull/42/merge',
      pr: { number: 42, baseRef: 'main', headRef: 'feature' }
    });
    expect([value(pr, 'base_ref'), value(pr, 'branch'), prNumber(pr)]).toEqual(['main', '', '42']);
    expect(prNumber(context({ pr: { number: 7, baseRef: 'main', headRef: 'feature' } }))).toBe('7');
    expect(prNumber(context())).toBe('');
  });

  test('an expression it does not know is named in the error, never rendered as empty', () => {
    expect(() => value(context(), 'verison')).toThrow('unknown expression {{verison}}');
  });
});
