// The fill-in page's bookkeeping, free of the DOM: which values to send, and the checks the
// page can make at once, before the server (which checks everything again) answers.
import { isInput, kindOf } from './catalog';
import { valueKey } from './paths';
import type { Cell, FieldDef, Values } from './types';

export function isBlank(type: string, v: unknown): boolean {
  if (v === null || v === undefined || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (type === 'checkbox') return v === false;
  if (type === 'location') return typeof v !== 'object' || !('lat' in (v as object));
  return false;
}

export function cellKey(c: Cell): string {
  return valueKey(c[0], c[1], c[2]);
}

/**
 * The submission's `data` (keyed by field id): what people entered in the fields they can see.
 * A new record leaves blanks out (so defaults apply), except fields with a default that were
 * emptied on purpose (sent as null); an edit sends every visible field, null for a blank one,
 * so that clearing a value clears it.
 */
export function buildPayload(
  fields: FieldDef[],
  values: Values,
  opts: { hidden?: Set<string>; hiddenCells?: Set<string>; edit?: boolean } = {},
): Values {
  const hidden = opts.hidden ?? new Set<string>();
  const hiddenCells = opts.hiddenCells ?? new Set<string>();
  const out: Values = {};
  for (const f of fields) {
    if (!isInput(f) || hidden.has(f.id)) continue;
    const v = values[f.id];
    if (f.type === 'subtable') {
      if (!Array.isArray(v)) {
        if (opts.edit) out[f.id] = [];
        continue;
      }
      out[f.id] = v.map((row, i) => {
        const cells: Values = {};
        const r = (row && typeof row === 'object' ? row : {}) as Values;
        for (const c of f.columns ?? []) {
          if (!isInput(c) || hiddenCells.has(valueKey(f.id, i, c.id))) continue;
          if (!isBlank(c.type, r[c.id])) cells[c.id] = r[c.id];
          else if (c.id in r && c.default) cells[c.id] = null;
        }
        return cells;
      });
      continue;
    }
    if (!isBlank(f.type, v)) out[f.id] = v;
    else if (opts.edit || (f.default && f.id in values)) out[f.id] = null;
  }
  return out;
}

export interface Problem {
  key: 'required' | 'email' | 'url' | 'phone' | 'min' | 'max' | 'minLength' | 'maxLength' | 'number';
  params?: Record<string, string | number>;
}

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const URL_RE = /^https?:\/\/[^\s/$.?#][^\s]*$/i;
const PHONE = /^\+?[0-9(][0-9 ()-]{1,38}$/;

/** What is wrong with one value, as far as the page can tell alone (null: nothing). */
export function checkValue(f: FieldDef, v: unknown, required: boolean): Problem | null {
  if (isBlank(f.type, v)) return required ? { key: 'required' } : null;
  const s = f.settings ?? {};
  if (typeof v === 'string') {
    const text = v.trim();
    if (f.type === 'email' && !EMAIL.test(text)) return { key: 'email' };
    if (f.type === 'url' && !URL_RE.test(text)) return { key: 'url' };
    if (f.type === 'phone' && (!PHONE.test(text) || text.replace(/\D/g, '').length < 3)) return { key: 'phone' };
    if (typeof s.min_length === 'number' && text.length < s.min_length) return { key: 'minLength', params: { n: s.min_length } };
    if (typeof s.max_length === 'number' && text.length > s.max_length) return { key: 'maxLength', params: { n: s.max_length } };
  }
  if (['number', 'money', 'percent'].includes(f.type)) {
    if (typeof v !== 'number' || !Number.isFinite(v)) return { key: 'number' };
    const scale = f.type === 'percent' ? 100 : 1;
    const show = (x: number) => `${+(x * scale).toFixed(6)}${f.type === 'percent' ? '%' : ''}`;
    if (typeof s.min === 'number' && v < s.min) return { key: 'min', params: { n: show(s.min) } };
    if (typeof s.max === 'number' && v > s.max) return { key: 'max', params: { n: show(s.max) } };
  }
  return null;
}

/** The page's own problems with every visible value, by value key. */
export function checkAll(
  fields: FieldDef[],
  values: Values,
  opts: { hidden?: Set<string>; hiddenCells?: Set<string>; required?: Set<string> } = {},
): Map<string, Problem> {
  const hidden = opts.hidden ?? new Set<string>();
  const hiddenCells = opts.hiddenCells ?? new Set<string>();
  const required = opts.required ?? new Set<string>();
  const out = new Map<string, Problem>();
  for (const f of fields) {
    if (!isInput(f) || hidden.has(f.id)) continue;
    const p = checkValue(f, values[f.id], f.required === true || required.has(f.id));
    if (p) out.set(f.id, p);
    if (f.type === 'subtable' && Array.isArray(values[f.id])) {
      (values[f.id] as Values[]).forEach((row, i) => {
        for (const c of f.columns ?? []) {
          const key = valueKey(f.id, i, c.id);
          if (!isInput(c) || hiddenCells.has(key)) continue;
          const cp = checkValue(c, row?.[c.id], c.required === true || required.has(key));
          if (cp) out.set(key, cp);
        }
      });
    }
  }
  return out;
}

/** Fields the fill-in page shows: all but the system ones (Tack fills those on submit). */
export function shownOnFill(f: FieldDef): boolean {
  return kindOf(f.type).family !== 'system';
}
