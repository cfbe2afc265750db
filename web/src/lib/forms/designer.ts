// The designer's edits to a form definition, as plain functions over plain data: add a field
// of a kind, move it, copy it, rename it (and every formula that names it), remove it.
import { kindOf } from './catalog';
import { renameColumnInFormula, renameInFormula } from './formulaText';
import { allIds, newFieldId, newOptionId, uniqueName } from './ids';
import type { FieldDef, SelectOption } from './types';

export interface Labels {
  /** The starting name of a new field of this type ("Single line text"). */
  typeName: (type: string) => string;
  /** An option's starting label ("Option 1"). */
  option: (n: number) => string;
  /** A sub-table's first column ("Item"). */
  firstColumn: string;
}

/** A fresh field of `type`, named so that no field of `siblings` has its name. */
export function makeField(type: string, siblings: FieldDef[], everyId: string[], labels: Labels): FieldDef {
  const kind = kindOf(type);
  const id = newFieldId(everyId);
  const f: FieldDef = { id, name: uniqueName(labels.typeName(type), siblings.map((s) => s.name)), type };
  if (kind.settings) f.settings = kind.settings({ option: labels.option });
  if (type === 'subtable') f.columns = [{ id: newFieldId([...everyId, id]), name: labels.firstColumn, type: 'text' }];
  return f;
}

export function insertAt<T>(list: T[], item: T, index: number): T[] {
  const i = Math.max(0, Math.min(index, list.length));
  return [...list.slice(0, i), item, ...list.slice(i)];
}

/** Moves the item at `from` so that it lands before the item now at `to` (`to` = length: the end). */
export function moveTo<T>(list: T[], from: number, to: number): T[] {
  if (from < 0 || from >= list.length) return list;
  const item = list[from];
  const rest = list.filter((_, i) => i !== from);
  const target = to > from ? to - 1 : to;
  return insertAt(rest, item, target);
}

/** A copy of a field with new ids (its columns' too, and its options'), and a name of its own. */
export function duplicate(f: FieldDef, siblings: FieldDef[], everyId: string[], copySuffix: string): FieldDef {
  const used = [...everyId];
  const fresh = (): string => {
    const id = newFieldId(used);
    used.push(id);
    return id;
  };
  const copy = JSON.parse(JSON.stringify(f)) as FieldDef; // f may be a reactive proxy, which structuredClone refuses
  copy.id = fresh();
  copy.name = uniqueName(`${f.name} ${copySuffix}`, siblings.map((s) => s.name));
  if (copy.columns) copy.columns = copy.columns.map((c) => ({ ...c, id: fresh() }));
  const opts = copy.settings?.options;
  if (Array.isArray(opts)) {
    // Option ids need only be unique within the field; fresh ones keep the copy independent.
    const taken: string[] = [];
    copy.settings = {
      ...copy.settings,
      options: (opts as SelectOption[]).map((o) => {
        const id = newOptionId(taken);
        taken.push(id);
        return { ...o, id };
      }),
    };
  }
  return copy;
}

const FORMULA_PROPS = ['default', 'visible_if', 'required_if'] as const;

/** Applies `edit` to every formula of a field: its rules and, for a formula field, its expression. */
function mapFormulas(f: FieldDef, edit: (source: string) => string): FieldDef {
  const out: FieldDef = { ...f };
  for (const p of FORMULA_PROPS) {
    const src = f[p];
    if (typeof src === 'string' && src) out[p] = edit(src);
  }
  if (f.type === 'formula' && typeof f.settings?.expression === 'string') {
    out.settings = { ...f.settings, expression: edit(f.settings.expression) };
  }
  return out;
}

/**
 * The fields with field `from` renamed to `to` in every formula that names it. The field's own
 * name is set by the caller. Form-level formulas and sub-table columns' formulas (which also
 * see the form's fields) are all rewritten, except that a column's formulas keep a sibling
 * column of the same name, which shadows the form field inside its row.
 */
export function renameEverywhere(fields: FieldDef[], from: string, to: string): FieldDef[] {
  if (from === to) return fields;
  return fields.map((f) => {
    const next = mapFormulas(f, (s) => renameInFormula(s, from, to));
    if (f.columns) {
      const shadowed = f.columns.some((c) => c.name === from);
      next.columns = f.columns.map((c) => (shadowed ? c : mapFormulas(c, (s) => renameInFormula(s, from, to))));
    }
    return next;
  });
}

/**
 * The fields with column `from` of sub-table `table` renamed to `to`: `table.from` everywhere,
 * and the bare name inside the table's own columns' formulas (a row sees its cells by name).
 */
export function renameColumnEverywhere(fields: FieldDef[], table: string, from: string, to: string): FieldDef[] {
  if (from === to) return fields;
  return fields.map((f) => {
    const next = mapFormulas(f, (s) => renameColumnInFormula(s, table, from, to));
    if (f.columns) {
      next.columns = f.columns.map((c) =>
        mapFormulas(c, (s) => {
          const dotted = renameColumnInFormula(s, table, from, to);
          return f.name === table ? renameInFormula(dotted, from, to) : dotted;
        }),
      );
    }
    return next;
  });
}

/** The names formulas of the form may use: fields that hold a value (layout ones do not). */
export function formulaNames(fields: FieldDef[], table: FieldDef | null = null): string[] {
  const top = fields.filter((f) => !kindOf(f.type).layout).map((f) => f.name);
  if (!table) return top;
  const cols = (table.columns ?? []).filter((c) => !kindOf(c.type).layout).map((c) => c.name);
  return [...cols, ...top.filter((n) => !cols.includes(n))];
}

/** Every id in use, for making new ones. */
export function everyId(fields: FieldDef[]): string[] {
  return allIds(fields);
}

/** The definition as the API wants it: empty optional texts and empty settings left out. */
export function cleanDefinition<T extends { fields: FieldDef[]; description?: string | null }>(def: T): T {
  const tidy = (f: FieldDef): FieldDef => {
    const out: FieldDef = { id: f.id, name: f.name.trim(), type: f.type };
    if (f.required) out.required = true;
    if (f.unique) out.unique = true;
    for (const p of ['help', 'placeholder', 'default', 'visible_if', 'required_if'] as const) {
      const v = f[p];
      if (typeof v === 'string' && v.trim()) out[p] = v;
    }
    const settings = Object.fromEntries(Object.entries(f.settings ?? {}).filter(([, v]) => v !== null && v !== undefined && v !== ''));
    if (Object.keys(settings).length) out.settings = settings;
    if (f.type === 'subtable') out.columns = (f.columns ?? []).map(tidy);
    return out;
  };
  const out = { ...def, fields: def.fields.map(tidy) };
  if (!out.description?.trim()) delete out.description;
  return out;
}
