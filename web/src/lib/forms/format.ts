// Stored values as people read them: numbers with their decimals and currency, dates in the
// organization's time zone, options by label. Pure functions, so lists, record pages and the
// history all say the same thing.
import type { FieldDef, FormDef, LocationValue, SelectOption, Values } from './types';

export interface Names {
  member: (id: string) => string;
  department: (id: string) => string;
  file: (id: string) => string;
}

const PLAIN: Names = { member: (id) => id, department: (id) => id, file: (id) => id };

function num(settings: Record<string, unknown> | undefined, key: string, fallback: number): number {
  const v = settings?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

export function options(f: FieldDef): SelectOption[] {
  const raw = f.settings?.options;
  return Array.isArray(raw) ? (raw as SelectOption[]) : [];
}

export function optionFor(f: FieldDef, id: unknown): SelectOption | null {
  return options(f).find((o) => o.id === id) ?? null;
}

export function formatNumber(value: number, decimals: number, locale: string): string {
  return new Intl.NumberFormat(locale, { minimumFractionDigits: decimals, maximumFractionDigits: decimals }).format(value);
}

export function formatMoney(value: number, currency: string, decimals: number, locale: string): string {
  try {
    return new Intl.NumberFormat(locale, { style: 'currency', currency, minimumFractionDigits: decimals, maximumFractionDigits: decimals }).format(value);
  } catch {
    return `${currency} ${formatNumber(value, decimals, locale)}`;
  }
}

/** `YYYY-MM-DD` as a local calendar date (no time zone shift). */
export function formatDay(iso: string, locale: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m) return iso;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' }).format(d);
}

/** A stored UTC instant in `timeZone`. */
export function formatInstant(iso: string, locale: string, timeZone: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  try {
    return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(d);
  } catch {
    return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(d);
  }
}

/** The wall-clock `YYYY-MM-DDTHH:mm` of a UTC instant in `timeZone` (a datetime-local input's value). */
export function zonedInputValue(iso: string, timeZone: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    }).formatToParts(d);
  } catch {
    return iso.slice(0, 16);
  }
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '00';
  return `${get('year')}-${get('month')}-${get('day')}T${get('hour')}:${get('minute')}`;
}

export function formatLocation(v: LocationValue): string {
  const coords = `${v.lat.toFixed(5)}, ${v.lng.toFixed(5)}`;
  return v.address ? `${v.address} (${coords})` : coords;
}

/** One line of text for a stored value (lists, history, the success page). */
export function formatValue(f: FieldDef, value: unknown, locale: string, timeZone: string, names: Names = PLAIN): string {
  if (value === null || value === undefined || value === '') return '';
  const s = f.settings;
  switch (f.type) {
    case 'number':
      return typeof value === 'number' ? formatNumber(value, num(s, 'decimals', 2), locale) + (s?.unit ? ` ${s.unit}` : '') : String(value);
    case 'money':
      return typeof value === 'number' ? formatMoney(value, String(s?.currency ?? 'CNY'), num(s, 'decimals', 2), locale) : String(value);
    case 'percent':
      return typeof value === 'number' ? formatNumber(value * 100, num(s, 'decimals', 2), locale) + '%' : String(value);
    case 'rating': {
      const max = num(s, 'max', 5);
      const n = typeof value === 'number' ? Math.max(0, Math.min(max, Math.round(value))) : 0;
      return '★'.repeat(n) + '☆'.repeat(max - n);
    }
    case 'checkbox':
      return value === true ? '✓' : '';
    case 'select':
      return optionFor(f, value)?.label ?? String(value);
    case 'multiselect':
      return Array.isArray(value) ? value.map((v) => optionFor(f, v)?.label ?? String(v)).join(', ') : String(value);
    case 'date':
      return typeof value === 'string' ? formatDay(value, locale) : String(value);
    case 'datetime':
    case 'created_at':
    case 'updated_at':
      return typeof value === 'string' ? formatInstant(value, locale, timeZone) : String(value);
    case 'member':
    case 'created_by':
    case 'updated_by':
      return typeof value === 'string' ? names.member(value) : String(value);
    case 'members':
      return Array.isArray(value) ? value.map((v) => names.member(String(v))).join(', ') : String(value);
    case 'department':
      return typeof value === 'string' ? names.department(value) : String(value);
    case 'departments':
      return Array.isArray(value) ? value.map((v) => names.department(String(v))).join(', ') : String(value);
    case 'attachment':
    case 'image':
      return Array.isArray(value) ? value.map((v) => names.file(String(v))).join(', ') : String(value);
    case 'signature':
      return '✍';
    case 'location':
      return value && typeof value === 'object' && 'lat' in value ? formatLocation(value as LocationValue) : String(value);
    case 'subtable':
      return Array.isArray(value) ? `${value.length} ×` : '';
    case 'formula': {
      const d = s?.decimals;
      if (typeof value === 'number') return typeof d === 'number' ? formatNumber(value, d, locale) : new Intl.NumberFormat(locale, { maximumFractionDigits: 10 }).format(value);
      if (typeof value === 'boolean') return value ? '✓' : '✗';
      if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)) return formatDay(value, locale);
      if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T[\d:]+Z$/.test(value)) return formatInstant(value, locale, timeZone);
      if (Array.isArray(value)) return value.map(String).join(', ');
      return String(value);
    }
    default:
      if (typeof value === 'object') return JSON.stringify(value);
      return String(value);
  }
}

/** How a linked record is named: its form's first single-line text (or serial) value. */
export function recordTitle(form: FormDef | null | undefined, data: Values | null | undefined, fallback: string): string {
  if (form && data) {
    for (const type of ['text', 'serial']) {
      const f = form.fields.find((x) => x.type === type && typeof data[x.id] === 'string' && data[x.id]);
      if (f) return String(data[f.id]);
    }
  }
  return fallback;
}
