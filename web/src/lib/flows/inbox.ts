// The inbox's filters as the API takes them: a day picked in the browser's calendar becomes
// the instant it starts (or, for "until", the instant the next day starts), in UTC.

/** The start of a `YYYY-MM-DD` day in the browser's zone, as ISO 8601 UTC; undefined for blank. */
export function dayStart(day: string): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const d = new Date(`${day}T00:00:00`);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** The end of a day: the start of the next one (the filter is "before"). */
export function dayEnd(day: string): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const d = new Date(`${day}T00:00:00`);
  if (Number.isNaN(d.getTime())) return undefined;
  d.setDate(d.getDate() + 1);
  return d.toISOString();
}

/** The CSS class and message key of a request's status (unknown ones show as they are). */
export function statusClass(status: string): string {
  return 'st-' + status.replace(/[^a-z_]/gi, '');
}
