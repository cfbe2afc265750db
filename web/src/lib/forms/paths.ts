// Turning the JSON paths of server errors into the field (and property, or sub-table cell) the
// designer or the fill-in page should mark.
//
// The designer's paths point into the form definition: `$.fields[3].settings.options[1].label`,
// `$.fields[2].columns[0].name`. The fill-in page's point into the submission, keyed by what was
// sent (a field id or a name, which may hold spaces and dots): `$.data.Title`,
// `$.data.f_lines001[2].amount`, `$.data.Place.lat`.
import type { FieldDef, ServerFieldError } from './types';

export interface DesignTarget {
  field: number | null; // index in the form's fields, or null for the form itself
  column: number | null; // index in the sub-table's columns
  prop: string; // what inside: "name", "settings.max", "settings.options[1].label", "" for the field as a whole
}

const DESIGN = /^\$\.fields\[(\d+)\](?:\.columns\[(\d+)\])?(?:\.(.*))?$/;

export function parseDesignPath(path: string): DesignTarget {
  const m = DESIGN.exec(path);
  if (m) return { field: Number(m[1]), column: m[2] !== undefined ? Number(m[2]) : null, prop: m[3] ?? '' };
  const rest = path.replace(/^\$\.?/, '');
  return { field: null, column: null, prop: rest === 'fields' || rest.startsWith('fields.') ? '' : rest };
}

/** The key the designer files a field's problems under: its id, or `tableId/columnId`. */
export function designKey(fieldId: string, columnId?: string | null): string {
  return columnId ? `${fieldId}/${columnId}` : fieldId;
}

export interface PropError {
  prop: string;
  message: string;
}

/**
 * Server errors about a definition, filed by field (ids taken from `fields`, the definition that
 * was checked, so a reorder since does not move them); `form` holds the rest.
 */
export function fileDesignErrors(errors: ServerFieldError[], fields: FieldDef[]): Map<string, PropError[]> {
  const out = new Map<string, PropError[]>();
  const put = (key: string, e: PropError) => {
    const list = out.get(key) ?? [];
    list.push(e);
    out.set(key, list);
  };
  for (const e of errors) {
    const t = parseDesignPath(e.path);
    const f = t.field !== null ? fields[t.field] : undefined;
    const col = f && t.column !== null ? f.columns?.[t.column] : undefined;
    if (!f || (t.column !== null && !col)) put('form', { prop: t.field === null ? t.prop : e.path, message: e.message });
    else put(designKey(f.id, col?.id), { prop: t.prop, message: e.message });
  }
  return out;
}

/** Whether an error's property is `prop` or inside it (`settings.options` holds `settings.options[1].label`). */
export function propWithin(errorProp: string, prop: string): boolean {
  if (prop === '') return true;
  return errorProp === prop || errorProp.startsWith(prop + '.') || errorProp.startsWith(prop + '[');
}

export function messagesFor(list: PropError[] | undefined, prop: string): string[] {
  return (list ?? []).filter((e) => propWithin(e.prop, prop)).map((e) => e.message);
}

export interface DataTarget {
  field: string; // field id
  row: number | null;
  column: string | null; // column id
  rest: string; // inside the value: ".lat", "[2]"
}

/** The longest of `fields`' ids and names that `s` starts with, followed by the end, `.` or `[`. */
function matchKey(s: string, fields: FieldDef[]): { field: FieldDef; rest: string } | null {
  let best: { field: FieldDef; rest: string; len: number } | null = null;
  for (const f of fields) {
    for (const key of [f.id, f.name]) {
      if (!s.startsWith(key)) continue;
      const next = s[key.length];
      if (next !== undefined && next !== '.' && next !== '[') continue;
      if (!best || key.length > best.len) best = { field: f, rest: s.slice(key.length), len: key.length };
    }
  }
  return best ? { field: best.field, rest: best.rest } : null;
}

/** Which field (and sub-table cell) a submission error names, or null when none of the form's. */
export function parseDataPath(path: string, fields: FieldDef[], prefix = '$.data.'): DataTarget | null {
  if (!path.startsWith(prefix)) return null;
  const hit = matchKey(path.slice(prefix.length), fields);
  if (!hit) return null;
  const { field, rest } = hit;
  if (field.type === 'subtable') {
    const m = /^\[(\d+)\](?:\.(.*))?$/.exec(rest);
    if (m) {
      const row = Number(m[1]);
      if (m[2] === undefined) return { field: field.id, row, column: null, rest: '' };
      const cell = matchKey(m[2], field.columns ?? []);
      if (cell) return { field: field.id, row, column: cell.field.id, rest: cell.rest };
      return { field: field.id, row, column: null, rest: '.' + m[2] };
    }
  }
  return { field: field.id, row: null, column: null, rest };
}

/** The key the fill-in page files a value's problems under: `f_x`, or `f_table[2].f_col` for a cell. */
export function valueKey(field: string, row: number | null = null, column: string | null = null): string {
  if (row === null) return field;
  return column ? `${field}[${row}].${column}` : `${field}[${row}]`;
}

/** Submission errors filed by value key; `other` holds what names no field of the form. */
export function fileDataErrors(errors: ServerFieldError[], fields: FieldDef[]): { byKey: Map<string, string>; other: ServerFieldError[] } {
  const byKey = new Map<string, string>();
  const other: ServerFieldError[] = [];
  for (const e of errors) {
    const t = parseDataPath(e.path, fields);
    if (!t) {
      other.push(e);
      continue;
    }
    const key = valueKey(t.field, t.row, t.column);
    if (!byKey.has(key)) byKey.set(key, e.message);
  }
  return { byKey, other };
}
