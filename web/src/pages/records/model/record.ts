// Reading a record the way the records views need it: a column's value (form fields live in
// `data`, the record's own properties beside it), which cells can be edited in place, and a
// record's title for cards and the calendar.
import { formatValue, type Names } from '../../../lib/forms/format';
import type { FieldDef, RecordInfo } from '../../../lib/forms/types';
import { SYSTEM_IDS } from './filter';

export function valueOf(r: RecordInfo, fieldId: string): unknown {
  switch (fieldId) {
    case 'created_at':
      return r.created_at;
    case 'created_by':
      return r.created_by;
    case 'updated_at':
      return r.updated_at;
    case 'updated_by':
      return r.updated_by;
    case 'owner_department':
      return (r as RecordInfo & { owner_department_id?: string | null }).owner_department_id ?? null;
    case 'status':
      return r.status;
    default:
      return r.data[fieldId];
  }
}

/** The definition a value is displayed with (system properties shown as their value's type). */
export function displayDef(f: FieldDef): FieldDef {
  if (f.type === 'owner_department') return { ...f, type: 'department' };
  if (f.type === 'status') return { ...f, type: 'text' };
  return f;
}

/** Types a grid cell edits in place, in the cell itself. */
export const INLINE_EDIT = new Set(['text', 'email', 'phone', 'url', 'number', 'money', 'percent', 'date', 'datetime', 'select', 'rating']);
/** Types edited in a small panel under the cell, with the fill-in page's input. */
export const PANEL_EDIT = new Set(['textarea', 'multiselect', 'member', 'members', 'department', 'departments', 'attachment', 'image', 'signature', 'location']);

export function isEditable(f: FieldDef, readonly: Set<string>): boolean {
  if (SYSTEM_IDS.has(f.id) || readonly.has(f.id)) return false;
  return f.type === 'checkbox' || INLINE_EDIT.has(f.type) || PANEL_EDIT.has(f.type);
}

/** The value to store for what was typed in a cell: blank text clears the field. */
export function cleanedInput(f: FieldDef, raw: unknown): unknown {
  if (raw === undefined || raw === '') return null;
  if (Array.isArray(raw) && raw.length === 0) return null;
  if (typeof raw === 'string' && ['text', 'email', 'phone', 'url', 'textarea'].includes(f.type) && raw.trim() === '') return null;
  return raw;
}

export function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** A one-line title: the first of `titleFields` the record has a value for. */
export function recordTitle(r: RecordInfo, titleFields: FieldDef[], locale: string, timeZone: string, names: Names): string {
  for (const f of titleFields) {
    const v = r.data[f.id];
    if (v !== null && v !== undefined && v !== '') {
      const s = formatValue(f, v, locale, timeZone, names);
      if (s) return s;
    }
  }
  return '';
}
