// A month as a calendar grid (six weeks from the locale's first weekday), and the day a stored
// date or moment falls on in the organization's time zone.
import { zonedInputValue } from '../../../lib/forms/format';

export interface Month {
  year: number;
  month: number; // 1..12
}

export function ymd(year: number, month: number, day: number): string {
  const d = new Date(Date.UTC(year, month - 1, day));
  return d.toISOString().slice(0, 10);
}

export function addDays(day: string, n: number): string {
  const d = new Date(day + 'T00:00:00Z');
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

export function shiftMonth(m: Month, delta: number): Month {
  const i = m.year * 12 + (m.month - 1) + delta;
  return { year: Math.floor(i / 12), month: (i % 12) + 1 };
}

/** 1 = Monday … 7 = Sunday, as Intl.Locale's weekInfo counts. */
export function firstDayOfWeek(locale: string): number {
  try {
    const l = new Intl.Locale(locale) as Intl.Locale & { weekInfo?: { firstDay: number }; getWeekInfo?: () => { firstDay: number } };
    const info = l.getWeekInfo?.() ?? l.weekInfo;
    if (info && info.firstDay >= 1 && info.firstDay <= 7) return info.firstDay;
  } catch {
    /* an old engine */
  }
  return /^en-(US|CA)|^ja|^he/.test(locale) || locale === 'en' ? 7 : 1;
}

/** The 42 days (six weeks) shown for a month, starting on the locale's first weekday. */
export function monthGrid(m: Month, firstDay: number): string[] {
  const first = new Date(Date.UTC(m.year, m.month - 1, 1));
  const weekday = first.getUTCDay() === 0 ? 7 : first.getUTCDay(); // 1..7, Monday first
  const back = (weekday - firstDay + 7) % 7;
  const start = addDays(ymd(m.year, m.month, 1), -back);
  return Array.from({ length: 42 }, (_, i) => addDays(start, i));
}

/** The calendar day of a stored value: a date as is, a moment in `timeZone`. */
export function dayOf(value: unknown, timeZone: string): string | null {
  if (typeof value !== 'string' || !value) return null;
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  const local = zonedInputValue(value, timeZone);
  return local ? local.slice(0, 10) : null;
}

/** The days from `start` to `end` inclusive (at most `cap`; an end before the start is the start). */
export function daysBetween(start: string, end: string | null, cap = 62): string[] {
  if (!end || end <= start) return [start];
  const out: string[] = [];
  for (let d = start; d <= end && out.length < cap; d = addDays(d, 1)) out.push(d);
  return out;
}

/** Names of the weekdays in display order, short. */
export function weekdayNames(locale: string, firstDay: number): string[] {
  const fmt = new Intl.DateTimeFormat(locale, { weekday: 'short', timeZone: 'UTC' });
  // 2024-01-01 was a Monday.
  return Array.from({ length: 7 }, (_, i) => fmt.format(new Date(Date.UTC(2024, 0, 1 + ((firstDay - 1 + i) % 7)))));
}

export function monthTitle(m: Month, locale: string): string {
  return new Intl.DateTimeFormat(locale, { year: 'numeric', month: 'long', timeZone: 'UTC' }).format(new Date(Date.UTC(m.year, m.month - 1, 1)));
}

export function todayIn(timeZone: string): string {
  return dayOf(new Date().toISOString(), timeZone) ?? new Date().toISOString().slice(0, 10);
}
