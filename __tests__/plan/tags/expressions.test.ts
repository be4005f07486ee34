import { formatDate } from '../../../src/plan/dates.js';

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
