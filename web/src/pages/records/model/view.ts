// Saved views on the wire and the helpers that change a view's configuration: the columns a
// grid shows and their widths, sorts, the settings of each kind (kanban's group, calendar's
// date, gallery's cover), comparing a working copy with what is saved, and the query and export
// a view stands for. Pure functions over plain data, so they are unit-tested without a browser.
import { storesValue } from '../../../lib/forms/catalog';
import type { FieldDef } from '../../../lib/forms/types';
import { andFilters, canonical, isSortable, SYSTEM_FIELDS, type WireNode } from './filter';

export type ViewKind = 'grid' | 'kanban' | 'calendar' | 'gallery';
export const VIEW_KINDS: ViewKind[] = ['grid', 'kanban', 'calendar', 'gallery'];
export const KIND_ICONS: Record<ViewKind, string> = { grid: '▦', kanban: '▥', calendar: '▤', gallery: '▣' };

export interface ViewColumn {
  field: string;
  width?: number | null;
}

export interface SortKey {
  field: string;
  direction: 'asc' | 'desc';
}

export interface ViewConfig {
  filter?: WireNode | null;
  sort?: SortKey[];
  columns?: ViewColumn[];
  group_by?: string | null;
  date_field?: string | null;
  end_date_field?: string | null;
  cover_field?: string | null;
}

export interface SavedView {
  id: string;
  form_id: string;
  name: string;
  kind: ViewKind;
  shared: boolean;
  owner_member_id: string | null;
  position: number;
  config: ViewConfig;
  version: number;
  created_at: string;
  updated_at: string;
  warnings?: string[];
}

export const MIN_WIDTH = 40;
export const MAX_WIDTH = 2000;
export const MAX_SORTS = 5;

const WIDE = new Set(['textarea', 'members', 'departments', 'multiselect', 'attachment', 'location', 'subtable', 'link']);
const NARROW = new Set(['checkbox', 'rating', 'number', 'percent']);

/** A column's width when the view does not say. */
export function defaultWidth(type: string): number {
  if (WIDE.has(type)) return 240;
  if (NARROW.has(type)) return 120;
  if (type === 'created_at' || type === 'updated_at' || type === 'datetime') return 180;
  return 170;
}

export function clampWidth(w: number): number {
  return Math.round(Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, w)));
}

/** Every column a grid may show: the form's value fields, then the record's own properties. */
export function columnChoices(fields: FieldDef[], hidden: Set<string> = new Set()): FieldDef[] {
  return [...fields.filter((f) => storesValue(f) && !hidden.has(f.id)), ...SYSTEM_FIELDS];
}

export interface ShownColumn {
  def: FieldDef;
  width: number;
}

/**
 * The columns a grid shows, in order: the view's own list, or (none listed) every field of
 * the form. Columns of fields that are gone or hidden from the caller are left out.
 */
export function shownColumns(config: ViewConfig, fields: FieldDef[], hidden: Set<string> = new Set()): ShownColumn[] {
  const choices = columnChoices(fields, hidden);
  const byId = new Map(choices.map((f) => [f.id, f]));
  if (!config.columns?.length) {
    return choices.filter((f) => !SYSTEM_FIELDS.includes(f)).map((def) => ({ def, width: defaultWidth(def.type) }));
  }
  const out: ShownColumn[] = [];
  for (const c of config.columns) {
    const def = byId.get(c.field);
    if (def && !out.some((o) => o.def.id === def.id)) out.push({ def, width: c.width ? clampWidth(c.width) : defaultWidth(def.type) });
  }
  return out;
}

/** The view's columns written out (a view that listed none lists the form's fields). */
function materialized(config: ViewConfig, fields: FieldDef[], hidden: Set<string>): ViewColumn[] {
  if (config.columns?.length) return config.columns.map((c) => ({ ...c }));
  return shownColumns(config, fields, hidden).map((c) => ({ field: c.def.id }));
}

export function withWidth(config: ViewConfig, fieldId: string, width: number, fields: FieldDef[], hidden: Set<string> = new Set()): ViewConfig {
  const columns = materialized(config, fields, hidden).map((c) => (c.field === fieldId ? { ...c, width: clampWidth(width) } : c));
  return { ...config, columns };
}

export function withColumn(config: ViewConfig, fieldId: string, shown: boolean, fields: FieldDef[], hidden: Set<string> = new Set()): ViewConfig {
  let columns = materialized(config, fields, hidden);
  if (shown && !columns.some((c) => c.field === fieldId)) columns.push({ field: fieldId });
  if (!shown) columns = columns.filter((c) => c.field !== fieldId);
  // Hiding every column would mean "all of them" on the wire; keep one.
  if (!columns.length) return config;
  return { ...config, columns };
}

export function movedColumn(config: ViewConfig, fieldId: string, delta: number, fields: FieldDef[], hidden: Set<string> = new Set()): ViewConfig {
  const columns = materialized(config, fields, hidden);
  const at = columns.findIndex((c) => c.field === fieldId);
  const to = at + delta;
  if (at < 0 || to < 0 || to >= columns.length) return config;
  const [c] = columns.splice(at, 1);
  columns.splice(to, 0, c);
  return { ...config, columns };
}

/**
 * A click on a column's header: sort by it ascending, then descending, then not at all.
 * `additive` (shift-click) keeps the other sorts as further keys; otherwise it becomes the only one.
 */
export function toggledSort(sorts: SortKey[] = [], fieldId: string, additive = false): SortKey[] {
  const current = sorts.find((s) => s.field === fieldId);
  const next: SortKey | null = !current ? { field: fieldId, direction: 'asc' } : current.direction === 'asc' ? { field: fieldId, direction: 'desc' } : null;
  if (!additive) return next ? [next] : [];
  const rest = sorts.filter((s) => s.field !== fieldId);
  if (!next) return rest;
  if (current) return sorts.map((s) => (s.field === fieldId ? next : s));
  return [...rest, next].slice(-MAX_SORTS);
}

export function sortableFields(fields: FieldDef[], valueTypes: Record<string, string> = {}, hidden: Set<string> = new Set()): FieldDef[] {
  return columnChoices(fields, hidden).filter((f) => isSortable(f, valueTypes));
}

export function groupableFields(fields: FieldDef[], hidden: Set<string> = new Set()): FieldDef[] {
  return fields.filter((f) => f.type === 'select' && !hidden.has(f.id));
}

export function datedFields(fields: FieldDef[], hidden: Set<string> = new Set()): FieldDef[] {
  const own = fields.filter((f) => (f.type === 'date' || f.type === 'datetime') && !hidden.has(f.id));
  return [...own, ...SYSTEM_FIELDS.filter((f) => f.type === 'created_at' || f.type === 'updated_at')];
}

export function coverFields(fields: FieldDef[], hidden: Set<string> = new Set()): FieldDef[] {
  return fields.filter((f) => f.type === 'image' && !hidden.has(f.id));
}

/**
 * The configuration as a view of `kind` may hold it: settings of other kinds dropped (the
 * server refuses a grid with group_by), the kind's required setting filled in when the form
 * has a field that fits. Null settings are left out.
 */
export function configForKind(config: ViewConfig, kind: ViewKind, fields: FieldDef[], hidden: Set<string> = new Set()): ViewConfig {
  const out: ViewConfig = {};
  if (config.filter) out.filter = config.filter;
  if (config.sort?.length) out.sort = config.sort.map((s) => ({ ...s }));
  if (config.columns?.length) out.columns = config.columns.map((c) => ({ ...c }));
  const pick = (current: string | null | undefined, choices: FieldDef[]) =>
    current && choices.some((f) => f.id === current) ? current : (choices[0]?.id ?? null);
  if (kind === 'kanban') {
    const g = pick(config.group_by, groupableFields(fields, hidden));
    if (g) out.group_by = g;
  } else if (kind === 'calendar') {
    const dated = datedFields(fields, hidden);
    const d = pick(config.date_field, dated);
    if (d) out.date_field = d;
    if (config.end_date_field && dated.some((f) => f.id === config.end_date_field)) out.end_date_field = config.end_date_field;
  } else if (kind === 'gallery') {
    const c = pick(config.cover_field, coverFields(fields, hidden));
    if (c) out.cover_field = c;
  }
  return out;
}

/** What a kind needs before it can show anything (a kanban needs a single-select field...). */
export function missingSetting(kind: ViewKind, config: ViewConfig): 'group_by' | 'date_field' | null {
  if (kind === 'kanban' && !config.group_by) return 'group_by';
  if (kind === 'calendar' && !config.date_field) return 'date_field';
  return null;
}

/** A canonical form for comparisons: no empty lists, no nulls, keys in one order. */
export function normalized(config: ViewConfig): string {
  const out: Record<string, unknown> = {};
  const filter = canonical(config.filter);
  if (filter) out.filter = filter;
  if (config.sort?.length) out.sort = config.sort.map((s) => ({ field: s.field, direction: s.direction }));
  if (config.columns?.length) out.columns = config.columns.map((c) => (c.width ? { field: c.field, width: c.width } : { field: c.field }));
  for (const k of ['group_by', 'date_field', 'end_date_field', 'cover_field'] as const) if (config[k]) out[k] = config[k];
  return JSON.stringify(out, (_k, v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v));
}

export function sameConfig(a: ViewConfig, b: ViewConfig): boolean {
  return normalized(a) === normalized(b);
}

/** The body of POST /forms/{id}/records/query for a view, with the search and an extra condition. */
export function queryBody(
  config: ViewConfig,
  opts: { search?: string; extra?: WireNode | null; cursor?: string | null; limit?: number; count?: boolean } = {},
): Record<string, unknown> {
  const body: Record<string, unknown> = { limit: opts.limit ?? 50 };
  const filter = andFilters(config.filter ?? null, opts.extra ?? null);
  if (filter) body.filter = filter;
  if (config.sort?.length) body.sort = config.sort;
  const q = opts.search?.trim();
  if (q) body.search = q.slice(0, 200);
  if (opts.cursor) body.cursor = opts.cursor;
  if (opts.count) body.count = true;
  return body;
}

/** The download address of a view as it is shown now (filter, sort, search and columns). */
export function exportUrl(orgId: string, formId: string, format: 'csv' | 'xlsx', config: ViewConfig, opts: { search?: string; columns?: string[] } = {}): string {
  const p = new URLSearchParams({ format });
  if (config.filter) p.set('filter', JSON.stringify(config.filter));
  if (config.sort?.length) p.set('sort', JSON.stringify(config.sort));
  const q = opts.search?.trim();
  if (q) p.set('search', q);
  if (opts.columns?.length) p.set('fields', opts.columns.join(','));
  return `/api/v1/orgs/${encodeURIComponent(orgId)}/forms/${encodeURIComponent(formId)}/export?${p.toString()}`;
}

/** The field a card or calendar entry is titled by: the first text-like field with a value. */
export function titleFields(fields: FieldDef[], hidden: Set<string> = new Set()): FieldDef[] {
  return fields.filter((f) => ['text', 'serial', 'email', 'phone', 'url', 'formula'].includes(f.type) && !hidden.has(f.id));
}

/** Who may change a saved view: administrators the shared ones, owners their own. */
export function canChange(view: SavedView, me: string | null, isAppAdmin: boolean): boolean {
  return view.shared ? isAppAdmin : view.owner_member_id === me;
}
