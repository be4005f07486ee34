/**
 * Date rendering for tag and label expressions (`{{date 'YYYYMMDD' tz='Asia/Tokyo'}}`), with the
 * common moment.js format tokens, so that patterns written for docker/metadata-action keep working.
 * Built on Intl only: no date library in the bundle.
 */

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December'
];
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** moment's default format, used when an expression gives none */
export const DEFAULT_DATE_FORMAT = 'YYYY-MM-DDTHH:mm:ssZ';

// Longest tokens first so that `YYYY` is not read as two `YY`; `[...]` is moment's literal escape.
const TOKENS = /\[([^\]]*)\]|YYYY|YY|Q|MMMM|MMM|MM|M|Do|DD|D|dddd|ddd|d|HH|H|hh|h|mm|m|ss|s|SSS|SS|S|A|a|ZZ|Z|X|x/g;

/** Whether Intl knows the IANA time zone (`UTC`, `Europe/Paris`, `Asia/Tokyo`, …). */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

interface Fields {
  year: number;
  month: number; // 1-12
  day: number;
  weekday: number; // 0 = Sunday
  hour: number; // 0-23
  minute: number;
  second: number;
  millisecond: number;
  offsetMinutes: number;
}

function fieldsIn(date: Date, timeZone: string): Fields {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
    weekday: 'long'
  }).formatToParts(date);
  const get = (type: Intl.DateTimeFormatPartTypes): string => parts.find((p) => p.type === type)?.value ?? '0';
  const year = Number(get('year'));
  const month = Number(get('month'));
  const day = Number(get('day'));
  const hour = Number(get('hour')) % 24;
  const minute = Number(get('minute'));
  const second = Number(get('second'));
  const millisecond = date.getUTCMilliseconds();
  const wall = Date.UTC(year, month - 1, day, hour, minute, second, millisecond);
  return {
    year,
    month,
    day,
    weekday: WEEKDAYS.indexOf(get('weekday')),
    hour,
    minute,
    second,
    millisecond,
    offsetMinutes: Math.round((wall - date.getTime()) / 60000)
  };
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

function ordinal(n: number): string {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  return `${n}${['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'}`;
}

function offset(minutes: number, colon: boolean): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60), 2)}${colon ? ':' : ''}${pad(abs % 60, 2)}`;
}

/**
 * Renders `date` in `timeZone` (default UTC) with moment-style tokens: YYYY YY Q MMMM MMM MM M Do DD D
 * dddd ddd d HH H hh h mm m ss s SSS SS S A a ZZ Z X x, and `[literal]` text. Other characters are kept.
 * Throws a RangeError for an unknown time zone.
 */
export function formatDate(date: Date, format: string = DEFAULT_DATE_FORMAT, timeZone = 'UTC'): string {
  const f = fieldsIn(date, timeZone);
  const hour12 = f.hour % 12 === 0 ? 12 : f.hour % 12;
  return format.replace(TOKENS, (token: string, literal: string | undefined) => {
    if (literal !== undefined) return literal;
    switch (token) {
      case 'YYYY':
        return pad(f.year, 4);
      case 'YY':
        return pad(f.year % 100, 2);
      case 'Q':
        return String(Math.floor((f.month - 1) / 3) + 1);
      case 'MMMM':
        return MONTHS[f.month - 1];
      case 'MMM':
        return MONTHS[f.month - 1].slice(0, 3);
      case 'MM':
        return pad(f.month, 2);
      case 'M':
        return String(f.month);
      case 'Do':
        return ordinal(f.day);
      case 'DD':
        return pad(f.day, 2);
      case 'D':
        return String(f.day);
      case 'dddd':
        return WEEKDAYS[f.weekday];
      case 'ddd':
        return WEEKDAYS[f.weekday].slice(0, 3);
      case 'd':
        return String(f.weekday);
      case 'HH':
        return pad(f.hour, 2);
      case 'H':
        return String(f.hour);
      case 'hh':
        return pad(hour12, 2);
      case 'h':
        return String(hour12);
      case 'mm':
        return pad(f.minute, 2);
      case 'm':
        return String(f.minute);
      case 'ss':
        return pad(f.second, 2);
      case 's':
        return String(f.second);
      case 'SSS':
        return pad(f.millisecond, 3);
      case 'SS':
        return pad(Math.floor(f.millisecond / 10), 2);
      case 'S':
        return String(Math.floor(f.millisecond / 100));
      case 'A':
        return f.hour < 12 ? 'AM' : 'PM';
      case 'a':
        return f.hour < 12 ? 'am' : 'pm';
      case 'ZZ':
        return offset(f.offsetMinutes, false);
      case 'Z':
        return offset(f.offsetMinutes, true);
      case 'X':
        return String(Math.floor(date.getTime() / 1000));
      case 'x':
        return String(date.getTime());
      default:
        return token;
    }
  });
}
