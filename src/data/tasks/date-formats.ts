/**
 * The human date formats of the date-normalisation task, each rendering a calendar date as people write it.
 * Numeric formats put the day first (the European convention: "03/05/1998" is 3 May 1998), so no source is
 * ambiguous. Two-digit years ("98") stand for the one year with those last two digits in the task's 100-year
 * window.
 */

export const MONTH_NAMES: readonly string[] = [
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
  'December',
];
export const WEEKDAY_NAMES: readonly string[] = [
  'Sunday',
  'Monday',
  'Tuesday',
  'Wednesday',
  'Thursday',
  'Friday',
  'Saturday',
];

/** A calendar date: month 1–12, day 1–31; weekday 0 (Sunday) – 6. */
export interface CalendarDate {
  year: number;
  month: number;
  day: number;
  weekday: number;
}

export interface DateFormat {
  /** A pattern-like name: d/dd day, do ordinal day, M/MM month number, MMM/MMMM month name, yy/yyyy year, ddd/dddd weekday; lower-case names are written in lower case. */
  name: string;
  /** How 3 May 1998 (a Sunday) looks. */
  example: string;
  /** Whether the year is written with two digits. */
  twoDigitYear: boolean;
  render(date: CalendarDate): string;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');
const yy = (y: number): string => pad2(y % 100);
const month = (d: CalendarDate): string => MONTH_NAMES[d.month - 1]!;
const mon = (d: CalendarDate): string => month(d).slice(0, 3);
const weekday = (d: CalendarDate): string => WEEKDAY_NAMES[d.weekday]!;

/** 1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, ..., 21st, 22nd, 23rd, ..., 31st. */
export function ordinal(n: number): string {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  const suffix = teen ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

function format(name: string, example: string, render: (d: CalendarDate) => string): DateFormat {
  // A two-digit year is a lone "yy" in the name (not part of "yyyy").
  const twoDigitYear = name.split(/[^y]+/).includes('yy');
  return Object.freeze({ name, example, twoDigitYear, render });
}

/** Every format of the task. */
export const DATE_FORMATS: readonly DateFormat[] = Object.freeze([
  format('d MMMM yyyy', '3 May 1998', (d) => `${d.day} ${month(d)} ${d.year}`),
  format('MMMM d, yyyy', 'May 3, 1998', (d) => `${month(d)} ${d.day}, ${d.year}`),
  format('dd/MM/yyyy', '03/05/1998', (d) => `${pad2(d.day)}/${pad2(d.month)}/${d.year}`),
  format('yyyy-MM-dd', '1998-05-03', (d) => `${d.year}-${pad2(d.month)}-${pad2(d.day)}`),
  format('dddd, MMMM d yyyy', 'Sunday, May 3 1998', (d) => `${weekday(d)}, ${month(d)} ${d.day} ${d.year}`),
  format(
    'do of mmmm yy',
    '3rd of may 98',
    (d) => `${ordinal(d.day)} of ${month(d).toLowerCase()} ${yy(d.year)}`,
  ),
  format('d MMM yyyy', '3 May 1998', (d) => `${d.day} ${mon(d)} ${d.year}`),
  format('MMM d, yyyy', 'May 3, 1998', (d) => `${mon(d)} ${d.day}, ${d.year}`),
  format('dd.MM.yyyy', '03.05.1998', (d) => `${pad2(d.day)}.${pad2(d.month)}.${d.year}`),
  format('d-MMM-yy', '3-May-98', (d) => `${d.day}-${mon(d)}-${yy(d.year)}`),
  format('MMMM do yyyy', 'May 3rd 1998', (d) => `${month(d)} ${ordinal(d.day)} ${d.year}`),
  format('ddd d MMM yyyy', 'Sun 3 May 1998', (d) => `${weekday(d).slice(0, 3)} ${d.day} ${mon(d)} ${d.year}`),
  format('yyyy/MM/dd', '1998/05/03', (d) => `${d.year}/${pad2(d.month)}/${pad2(d.day)}`),
  format('d MMMM yyyy (upper case)', '3 MAY 1998', (d) => `${d.day} ${month(d).toUpperCase()} ${d.year}`),
  format(
    'the do of MMMM, yyyy',
    'the 3rd of May, 1998',
    (d) => `the ${ordinal(d.day)} of ${month(d)}, ${d.year}`,
  ),
  format('yyyyMMdd', '19980503', (d) => `${d.year}${pad2(d.month)}${pad2(d.day)}`),
  format('d/M/yy', '3/5/98', (d) => `${d.day}/${d.month}/${yy(d.year)}`),
  format('dddd d MMMM yyyy', 'Sunday 3 May 1998', (d) => `${weekday(d)} ${d.day} ${month(d)} ${d.year}`),
  format('mmm d yyyy', 'may 3 1998', (d) => `${mon(d).toLowerCase()} ${d.day} ${d.year}`),
  format(
    'dddd the do of MMMM yyyy',
    'Sunday the 3rd of May 1998',
    (d) => `${weekday(d)} the ${ordinal(d.day)} of ${month(d)} ${d.year}`,
  ),
]);

/** The ISO 8601 form YYYY-MM-DD (the task's target). */
export function isoDate(date: CalendarDate): string {
  return `${date.year}-${pad2(date.month)}-${pad2(date.day)}`;
}

const DAY_MS = 86_400_000;

/** The calendar date `days` days after 1970-01-01 (proleptic Gregorian, UTC). */
export function dateFromEpochDay(days: number): CalendarDate {
  const d = new Date(days * DAY_MS);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    weekday: d.getUTCDay(),
  };
}

/** Days from 1970-01-01 to the given date (years below 100 are taken literally, unlike Date.UTC). */
export function epochDay(year: number, month: number, day: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  return Math.round(d.getTime() / DAY_MS);
}
