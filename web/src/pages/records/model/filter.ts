// The filter builder's model: which operators each kind of value offers (mirroring the server's
// src/tack/records/query/kinds.py), an editable tree of groups and conditions, its checks, and
// the conversion to and from the filter tree views store and the query API takes.
//
// The editable tree keeps what people typed (a number is still the text "1,5" while they type);
// `toWire` sends only the conditions that are complete and valid, so a half-written condition
// never breaks the grid, and `problems` says what is wrong with the rest.
import type { FieldDef } from '../../../lib/forms/types';

export type Kind =
  | 'text'
  | 'number'
  | 'date'
  | 'datetime'
  | 'checkbox'
  | 'select'
  | 'multiselect'
  | 'member'
  | 'members'
  | 'department'
  | 'departments'
  | 'link'
  | 'presence';

/** What an operator takes as its value. */
export type Shape = 'none' | 'one' | 'list' | 'pair' | 'period';

const N = 'none',
  ONE = 'one',
  LIST = 'list',
  PAIR = 'pair',
  PERIOD = 'period';

export const OPERATORS: Record<Kind, Record<string, Shape>> = {
  text: { eq: ONE, ne: ONE, contains: ONE, not_contains: ONE, starts_with: ONE, ends_with: ONE, any_of: LIST, none_of: LIST, empty: N, not_empty: N },
  number: { eq: ONE, ne: ONE, lt: ONE, le: ONE, gt: ONE, ge: ONE, between: PAIR, empty: N, not_empty: N },
  date: { eq: ONE, ne: ONE, lt: ONE, le: ONE, gt: ONE, ge: ONE, between: PAIR, in_period: PERIOD, empty: N, not_empty: N },
  datetime: { eq: ONE, ne: ONE, lt: ONE, le: ONE, gt: ONE, ge: ONE, between: PAIR, in_period: PERIOD, empty: N, not_empty: N },
  checkbox: { is_true: N, is_false: N },
  select: { eq: ONE, ne: ONE, any_of: LIST, none_of: LIST, empty: N, not_empty: N },
  multiselect: { has_any: LIST, has_all: LIST, has_none: LIST, empty: N, not_empty: N },
  member: { eq: ONE, ne: ONE, any_of: LIST, none_of: LIST, is_me: N, not_me: N, in_my_departments: N, empty: N, not_empty: N },
  members: { has_any: LIST, has_all: LIST, has_none: LIST, has_me: N, empty: N, not_empty: N },
  department: { eq: ONE, ne: ONE, any_of: LIST, none_of: LIST, in_my_departments: N, in_my_departments_and_below: N, empty: N, not_empty: N },
  departments: { has_any: LIST, has_none: LIST, has_my_departments: N, empty: N, not_empty: N },
  link: { empty: N, not_empty: N },
  presence: { empty: N, not_empty: N },
};

/** Kinds a sort may use (lists and presence-only values have no order). */
export const SORTABLE_KINDS = new Set<Kind>(['text', 'number', 'date', 'datetime', 'checkbox', 'select', 'member', 'department']);

export const PERIODS = [
  'today',
  'yesterday',
  'tomorrow',
  'this_week',
  'last_week',
  'next_week',
  'this_month',
  'last_month',
  'next_month',
  'this_quarter',
  'last_quarter',
  'next_quarter',
  'this_year',
  'last_year',
  'next_year',
] as const;
export type NamedPeriod = (typeof PERIODS)[number];
export type Period = NamedPeriod | { last_days: number } | { next_days: number };

export const MAX_DEPTH = 8;
export const MAX_CONDITIONS = 200;
export const MAX_LIST = 200;
const MAX_DAYS = 36_600;

/** The record properties every form has, filterable and sortable like fields. */
export const SYSTEM_FIELDS: FieldDef[] = [
  { id: 'created_at', name: 'created_at', type: 'created_at' },
  { id: 'created_by', name: 'created_by', type: 'created_by' },
  { id: 'updated_at', name: 'updated_at', type: 'updated_at' },
  { id: 'updated_by', name: 'updated_by', type: 'updated_by' },
  { id: 'owner_department', name: 'owner_department', type: 'owner_department' },
  { id: 'status', name: 'status', type: 'status' },
];
export const SYSTEM_IDS = new Set(SYSTEM_FIELDS.map((f) => f.id));

const TYPE_KINDS: Record<string, Kind> = {
  text: 'text',
  textarea: 'text',
  email: 'text',
  phone: 'text',
  url: 'text',
  serial: 'text',
  status: 'text',
  number: 'number',
  money: 'number',
  percent: 'number',
  rating: 'number',
  date: 'date',
  datetime: 'datetime',
  created_at: 'datetime',
  updated_at: 'datetime',
  checkbox: 'checkbox',
  select: 'select',
  multiselect: 'multiselect',
  member: 'member',
  created_by: 'member',
  updated_by: 'member',
  members: 'members',
  department: 'department',
  owner_department: 'department',
  departments: 'departments',
  link: 'link',
  attachment: 'presence',
  image: 'presence',
  signature: 'presence',
  location: 'presence',
  subtable: 'presence',
};

const VALUE_TYPE_KINDS: Record<string, Kind> = { number: 'number', text: 'text', bool: 'checkbox', date: 'date', datetime: 'datetime' };

/**
 * How a field is filtered. Computed fields (formula, lookup, roll-up) filter as the type their
 * value has (`valueTypes`: the form check's `types`); without it they can only be tested for
 * presence. Layout elements are not filterable (null).
 */
export function kindOf(f: FieldDef, valueTypes: Record<string, string> = {}): Kind | null {
  if (f.type === 'section' || f.type === 'description') return null;
  if (f.type === 'formula' || f.type === 'lookup' || f.type === 'rollup') return VALUE_TYPE_KINDS[valueTypes[f.id] ?? ''] ?? 'presence';
  return TYPE_KINDS[f.type] ?? 'presence';
}

export function operatorsFor(kind: Kind): string[] {
  return Object.keys(OPERATORS[kind]);
}

export function shapeOf(kind: Kind, op: string): Shape | null {
  return OPERATORS[kind][op] ?? null;
}

export function isSortable(f: FieldDef, valueTypes: Record<string, string> = {}): boolean {
  const k = kindOf(f, valueTypes);
  return k !== null && SORTABLE_KINDS.has(k);
}

// ---- the editable tree ------------------------------------------------------------------------

export interface CondNode {
  type: 'cond';
  key: string;
  field: string;
  op: string;
  value: unknown;
}

/** A condition written as a formula ({"formula": "Amount > 100"}), kept as written. */
export interface FormulaNode {
  type: 'formula';
  key: string;
  formula: string;
}

export interface GroupNode {
  type: 'group';
  key: string;
  mode: 'and' | 'or';
  items: FilterNode[];
}

export type FilterNode = CondNode | FormulaNode | GroupNode;

/** The filter tree on the wire. */
export type WireNode = { and: WireNode[] } | { or: WireNode[] } | { field: string; op: string; value?: unknown } | { formula: string };

let counter = 0;
function nextKey(): string {
  counter += 1;
  return `n${counter}`;
}

export function newGroup(mode: 'and' | 'or' = 'and', items: FilterNode[] = []): GroupNode {
  return { type: 'group', key: nextKey(), mode, items };
}

export function defaultOp(kind: Kind): string {
  const first: Partial<Record<Kind, string>> = {
    text: 'contains',
    checkbox: 'is_true',
    multiselect: 'has_any',
    members: 'has_any',
    departments: 'has_any',
    link: 'not_empty',
    presence: 'not_empty',
  };
  return first[kind] ?? 'eq';
}

/** An empty value of the right shape for an operator. */
export function emptyValue(shape: Shape | null): unknown {
  switch (shape) {
    case 'one':
      return '';
    case 'list':
      return [];
    case 'pair':
      return ['', ''];
    case 'period':
      return 'this_week';
    default:
      return null;
  }
}

export function newCondition(field: FieldDef, valueTypes: Record<string, string> = {}): CondNode {
  const kind = kindOf(field, valueTypes) ?? 'presence';
  const op = defaultOp(kind);
  return { type: 'cond', key: nextKey(), field: field.id, op, value: emptyValue(shapeOf(kind, op)) };
}

/** The value carried over to another shape where it makes sense (one ↔ list, one → pair). */
export function convertValue(value: unknown, from: Shape | null, to: Shape | null): unknown {
  if (from === to) return value;
  if (from === 'one' && to === 'list') return value === '' || value === null || value === undefined ? [] : [value];
  if (from === 'list' && to === 'one') return Array.isArray(value) && value.length ? value[0] : '';
  if (from === 'one' && to === 'pair') return [value ?? '', ''];
  if (from === 'pair' && to === 'one') return Array.isArray(value) ? (value[0] ?? '') : '';
  return emptyValue(to);
}

/** Changes a condition's operator, keeping what was typed where the shapes allow. */
export function setOperator(c: CondNode, kind: Kind, op: string): void {
  const from = shapeOf(kind, c.op);
  const to = shapeOf(kind, op);
  c.value = convertValue(c.value, from, to);
  c.op = op;
}

/** Points a condition at another field: the operator stays if the new field has it. */
export function setField(c: CondNode, field: FilterField, fields: FieldIndex): void {
  const oldKind = fields.get(c.field)?.kind;
  c.field = field.def.id;
  if (!(c.op in OPERATORS[field.kind])) c.op = defaultOp(field.kind);
  // Values of one kind rarely mean anything for another (an option id is not a person).
  if (oldKind !== field.kind || ['select', 'multiselect'].includes(field.kind)) c.value = emptyValue(shapeOf(field.kind, c.op));
}

export function addCondition(group: GroupNode, c: CondNode): void {
  group.items.push(c);
}

export function addGroup(group: GroupNode, first: CondNode | null): GroupNode {
  const g = newGroup(group.mode === 'and' ? 'or' : 'and', first ? [first] : []);
  group.items.push(g);
  return g;
}

/** Removes the node with `key` anywhere under `root`; groups left empty go too. */
export function removeNode(root: GroupNode, key: string): boolean {
  const at = root.items.findIndex((n) => n.key === key);
  if (at >= 0) {
    root.items.splice(at, 1);
    return true;
  }
  for (const n of root.items) {
    if (n.type === 'group' && removeNode(n, key)) {
      if (n.items.length === 0) root.items.splice(root.items.indexOf(n), 1);
      return true;
    }
  }
  return false;
}

export function countConditions(node: FilterNode): number {
  return node.type === 'group' ? node.items.reduce((s, n) => s + countConditions(n), 0) : 1;
}

export function depthOf(node: FilterNode): number {
  return node.type === 'group' ? 1 + Math.max(0, ...node.items.map(depthOf)) : 0;
}

// ---- wire conversion --------------------------------------------------------------------------

/** The editable tree of a stored filter (a lone condition becomes an "and" group of one). */
export function fromWire(raw: unknown): GroupNode {
  const node = parseNode(raw, 1);
  if (!node) return newGroup('and');
  return node.type === 'group' ? node : newGroup('and', [node]);
}

function parseNode(raw: unknown, depth: number): FilterNode | null {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return null;
  const r = raw as Record<string, unknown>;
  for (const mode of ['and', 'or'] as const) {
    if (Array.isArray(r[mode])) {
      if (depth > MAX_DEPTH) return null;
      const items = (r[mode] as unknown[]).map((x) => parseNode(x, depth + 1)).filter((x): x is FilterNode => x !== null);
      return newGroup(mode, items);
    }
  }
  if (typeof r.formula === 'string') return { type: 'formula', key: nextKey(), formula: r.formula };
  if (typeof r.field === 'string' && typeof r.op === 'string') {
    let value = r.value ?? null;
    // Numbers are edited as text.
    if (typeof value === 'number') value = String(value);
    if (Array.isArray(value)) value = value.map((v) => (typeof v === 'number' ? String(v) : v));
    return { type: 'cond', key: nextKey(), field: r.field, op: r.op, value };
  }
  return null;
}

/** A field the filter may name, with how it filters. */
export interface FilterField {
  def: FieldDef;
  kind: Kind;
}

export type FieldIndex = Map<string, FilterField>;

export function indexFields(fields: FieldDef[], valueTypes: Record<string, string> = {}, hidden: Set<string> = new Set()): FieldIndex {
  const out: FieldIndex = new Map();
  for (const f of [...fields, ...SYSTEM_FIELDS]) {
    if (hidden.has(f.id)) continue;
    const kind = kindOf(f, valueTypes);
    if (kind) out.set(f.id, { def: f, kind });
  }
  return out;
}

/** One thing wrong with a condition: a message key of the catalog, and where. */
export interface Problem {
  key: string;
  message: 'filter.unknownField' | 'filter.badOperator' | 'filter.needValue' | 'filter.badNumber' | 'filter.badDate' | 'filter.badRange' | 'filter.badPeriod' | 'filter.tooDeep' | 'filter.tooMany' | 'filter.tooManyValues' | 'filter.needFormula';
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

function isDate(v: unknown): v is string {
  if (typeof v !== 'string' || !DATE_RE.test(v)) return false;
  const d = new Date(v + 'T00:00:00Z');
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
}

/** A number from what people type ("1 200,5" is not guessed at: "1200.5" or "1200,5"). */
export function parseNumber(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v !== 'string') return null;
  const s = v.trim().replace(/\s/g, '').replace(/,(?=\d+$)/, '.');
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return null;
  const n = Number(s);
  return Number.isFinite(n) && Math.abs(n) < 1e15 ? n : null;
}

function blank(v: unknown): boolean {
  return v === null || v === undefined || (typeof v === 'string' && v.trim() === '');
}

/** The condition's value as the API takes it, or a problem. */
function wireValue(kind: Kind, shape: Shape, value: unknown): { value: unknown } | { problem: Problem['message'] } {
  const one = (v: unknown): { value: unknown } | { problem: Problem['message'] } => {
    if (blank(v)) return { problem: 'filter.needValue' };
    if (kind === 'number') {
      const n = parseNumber(v);
      return n === null ? { problem: 'filter.badNumber' } : { value: n };
    }
    if (kind === 'date' || kind === 'datetime') return isDate(v) ? { value: v } : { problem: 'filter.badDate' };
    if (typeof v === 'string') return { value: kind === 'text' ? v : v.trim() };
    return { value: v };
  };
  switch (shape) {
    case 'none':
      return { value: null };
    case 'one':
      return one(value);
    case 'list': {
      const list = Array.isArray(value) ? value.filter((v) => !blank(v)) : [];
      if (!list.length) return { problem: 'filter.needValue' };
      if (list.length > MAX_LIST) return { problem: 'filter.tooManyValues' };
      const out: unknown[] = [];
      for (const v of list) {
        const r = one(v);
        if ('problem' in r) return r;
        if (!out.includes(r.value)) out.push(r.value);
      }
      return { value: out };
    }
    case 'pair': {
      const pair = Array.isArray(value) ? value : [];
      const a = one(pair[0]);
      if ('problem' in a) return a;
      const b = one(pair[1]);
      if ('problem' in b) return b;
      if ((b.value as number | string) < (a.value as number | string)) return { problem: 'filter.badRange' };
      return { value: [a.value, b.value] };
    }
    case 'period': {
      if (typeof value === 'string') return (PERIODS as readonly string[]).includes(value) ? { value } : { problem: 'filter.badPeriod' };
      if (value && typeof value === 'object' && !Array.isArray(value)) {
        const entries = Object.entries(value as Record<string, unknown>);
        if (entries.length === 1) {
          const [k, raw] = entries[0];
          const n = typeof raw === 'number' ? raw : parseNumber(raw);
          if ((k === 'last_days' || k === 'next_days') && n !== null && Number.isInteger(n) && n >= 1 && n <= MAX_DAYS) return { value: { [k]: n } };
        }
      }
      return { problem: 'filter.badPeriod' };
    }
  }
}

/** Everything wrong in the tree, each at its condition or group. */
export function problems(root: GroupNode, fields: FieldIndex): Problem[] {
  const out: Problem[] = [];
  let conditions = 0;
  const walk = (node: FilterNode, depth: number) => {
    if (node.type === 'group') {
      if (depth > MAX_DEPTH) out.push({ key: node.key, message: 'filter.tooDeep' });
      else node.items.forEach((n) => walk(n, depth + 1));
      return;
    }
    conditions += 1;
    if (conditions === MAX_CONDITIONS + 1) out.push({ key: node.key, message: 'filter.tooMany' });
    const p = conditionProblem(node, fields);
    if (p) out.push({ key: node.key, message: p });
  };
  walk(root, 1);
  return out;
}

function conditionProblem(node: CondNode | FormulaNode, fields: FieldIndex): Problem['message'] | null {
  if (node.type === 'formula') return node.formula.trim() ? null : 'filter.needFormula';
  const f = fields.get(node.field);
  if (!f) return 'filter.unknownField';
  const shape = shapeOf(f.kind, node.op);
  if (!shape) return 'filter.badOperator';
  const r = wireValue(f.kind, shape, node.value);
  return 'problem' in r ? r.problem : null;
}

/**
 * The filter tree to send: valid conditions only; groups left empty disappear, a group of one
 * item is that item. Null when nothing is left (no filter).
 */
export function toWire(root: GroupNode, fields: FieldIndex): WireNode | null {
  const walk = (node: FilterNode, depth: number): WireNode | null => {
    if (node.type === 'formula') return node.formula.trim() ? { formula: node.formula.trim() } : null;
    if (node.type === 'cond') {
      const f = fields.get(node.field);
      const shape = f ? shapeOf(f.kind, node.op) : null;
      if (!f || !shape) return null;
      const r = wireValue(f.kind, shape, node.value);
      if ('problem' in r) return null;
      return shape === 'none' ? { field: node.field, op: node.op } : { field: node.field, op: node.op, value: r.value };
    }
    if (depth > MAX_DEPTH) return null;
    const items = node.items.map((n) => walk(n, depth + 1)).filter((x): x is WireNode => x !== null);
    if (!items.length) return null;
    if (items.length === 1) return items[0];
    return node.mode === 'and' ? { and: items } : { or: items };
  };
  return walk(root, 1);
}

/** A filter in one canonical shape (groups of one are their item, empty groups gone), to compare. */
export function canonical(node: WireNode | null | undefined): WireNode | null {
  if (!node || typeof node !== 'object') return null;
  for (const mode of ['and', 'or'] as const) {
    const items = (node as Record<string, unknown>)[mode];
    if (Array.isArray(items)) {
      const kept = items.map((x) => canonical(x as WireNode)).filter((x): x is WireNode => x !== null);
      if (!kept.length) return null;
      if (kept.length === 1) return kept[0];
      return mode === 'and' ? { and: kept } : { or: kept };
    }
  }
  return node;
}

export function sameFilter(a: WireNode | null | undefined, b: WireNode | null | undefined): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/** Both filters must hold (either may be absent). */
export function andFilters(a: WireNode | null | undefined, b: WireNode | null | undefined): WireNode | null {
  if (!a) return b ?? null;
  if (!b) return a;
  return { and: [a, b] };
}
