// The field types the designer offers, grouped by family as the palette shows them, with what
// each can do. The server's registry (src/tack/forms/fields) is the authority on settings; this
// table only says how the designer presents a type and what a fresh field of it starts with.
import { newOptionId } from './ids';
import type { FieldDef } from './types';

export type Family = 'basic' | 'choice' | 'date' | 'contact' | 'people' | 'files' | 'advanced' | 'layout' | 'system';

export interface FieldKind {
  type: string;
  family: Family;
  icon: string;
  /** People enter a value (false: computed by Tack, or layout). */
  input: boolean;
  /** Holds no value at all (section, description). */
  layout?: boolean;
  /** Tack sets the value (formula, serial, created by...). */
  computed?: boolean;
  placeholder?: boolean;
  unique?: boolean;
  /** May appear as a sub-table column. */
  column?: boolean;
  settings?: (labels: { option: (n: number) => string }) => Record<string, unknown>;
}

const FAMILY_ORDER: Family[] = ['basic', 'choice', 'date', 'contact', 'people', 'files', 'advanced', 'layout', 'system'];

export const KINDS: FieldKind[] = [
  { type: 'text', family: 'basic', icon: 'Aa', input: true, placeholder: true, unique: true, column: true },
  { type: 'textarea', family: 'basic', icon: '¶', input: true, placeholder: true, column: true },
  { type: 'number', family: 'basic', icon: '#', input: true, placeholder: true, unique: true, column: true },
  { type: 'money', family: 'basic', icon: '¥', input: true, placeholder: true, unique: true, column: true, settings: () => ({ currency: 'CNY' }) },
  { type: 'percent', family: 'basic', icon: '%', input: true, placeholder: true, column: true },
  { type: 'rating', family: 'basic', icon: '★', input: true, column: true },
  {
    type: 'select',
    family: 'choice',
    icon: '◉',
    input: true,
    column: true,
    settings: (l) => ({ options: [1, 2, 3].map((n, i) => ({ id: newOptionId(), label: l.option(n), color: ['blue', 'green', 'orange'][i] })) }),
  },
  {
    type: 'multiselect',
    family: 'choice',
    icon: '☑',
    input: true,
    column: true,
    settings: (l) => ({ options: [1, 2, 3].map((n, i) => ({ id: newOptionId(), label: l.option(n), color: ['blue', 'green', 'orange'][i] })) }),
  },
  { type: 'checkbox', family: 'choice', icon: '✓', input: true, column: true },
  { type: 'date', family: 'date', icon: '▤', input: true, unique: true, column: true },
  { type: 'datetime', family: 'date', icon: '◷', input: true, column: true },
  { type: 'phone', family: 'contact', icon: '✆', input: true, placeholder: true, unique: true, column: true },
  { type: 'email', family: 'contact', icon: '✉', input: true, placeholder: true, unique: true, column: true },
  { type: 'url', family: 'contact', icon: '↗', input: true, placeholder: true, unique: true, column: true },
  { type: 'member', family: 'people', icon: '☺', input: true, column: true },
  { type: 'members', family: 'people', icon: '☻', input: true, column: true },
  { type: 'department', family: 'people', icon: '⌂', input: true, column: true },
  { type: 'departments', family: 'people', icon: '☷', input: true, column: true },
  { type: 'attachment', family: 'files', icon: '⇪', input: true, column: true },
  { type: 'image', family: 'files', icon: '▣', input: true, column: true },
  { type: 'signature', family: 'files', icon: '✍', input: true, column: true },
  { type: 'location', family: 'files', icon: '⚲', input: true, column: true },
  { type: 'formula', family: 'advanced', icon: 'ƒx', input: false, computed: true, column: true, settings: () => ({ expression: '' }) },
  { type: 'serial', family: 'advanced', icon: '№', input: false, computed: true, unique: false, settings: () => ({ pattern: 'NO-{YYYY}{MM}{DD}-{###}', reset: 'daily' }) },
  { type: 'subtable', family: 'advanced', icon: '⊞', input: true },
  { type: 'link', family: 'advanced', icon: '⇄', input: true, column: true },
  { type: 'lookup', family: 'advanced', icon: '⇢', input: false, computed: true },
  { type: 'rollup', family: 'advanced', icon: '∑', input: false, computed: true, settings: () => ({ aggregate: 'SUM' }) },
  { type: 'section', family: 'layout', icon: '☰', input: false, layout: true },
  { type: 'description', family: 'layout', icon: '§', input: false, layout: true, settings: () => ({ text: '' }) },
  { type: 'created_by', family: 'system', icon: '☺', input: false, computed: true },
  { type: 'created_at', family: 'system', icon: '◷', input: false, computed: true },
  { type: 'updated_by', family: 'system', icon: '✎', input: false, computed: true },
  { type: 'updated_at', family: 'system', icon: '⟳', input: false, computed: true },
];

const BY_TYPE = new Map(KINDS.map((k) => [k.type, k]));

/** What the designer knows about a type; an unknown type (a newer server) gets a neutral entry. */
export function kindOf(type: string): FieldKind {
  return BY_TYPE.get(type) ?? { type, family: 'advanced', icon: '?', input: true };
}

export function paletteGroups(): { family: Family; kinds: FieldKind[] }[] {
  return FAMILY_ORDER.map((family) => ({ family, kinds: KINDS.filter((k) => k.family === family) }));
}

/** Whether a field stores a value (everything but section and description). */
export function storesValue(f: FieldDef): boolean {
  return !kindOf(f.type).layout;
}

/** Whether people fill the field in (not computed, not layout). */
export function isInput(f: FieldDef): boolean {
  const k = kindOf(f.type);
  return k.input && !k.computed && !k.layout;
}

export const OPTION_COLORS = ['gray', 'red', 'orange', 'yellow', 'green', 'teal', 'blue', 'purple', 'pink'] as const;

/** Soft background and strong text colours for an option colour name or #rrggbb. */
export function optionStyle(color: string | null | undefined): { bg: string; fg: string; dot: string } {
  const palette: Record<string, [string, string, string]> = {
    gray: ['#eef0f3', '#4b5563', '#9ca3af'],
    red: ['#fde8e8', '#b42318', '#ef4444'],
    orange: ['#fdebd8', '#b54708', '#f97316'],
    yellow: ['#fdf6c8', '#8a6a00', '#eab308'],
    green: ['#dcf5e3', '#18794e', '#22c55e'],
    teal: ['#d5f3f0', '#0f766e', '#14b8a6'],
    blue: ['#e0ebff', '#1d4ed8', '#3b82f6'],
    purple: ['#ede5ff', '#6d28d9', '#8b5cf6'],
    pink: ['#fce4f1', '#be185d', '#ec4899'],
  };
  if (color && /^#[0-9a-f]{6}$/i.test(color)) return { bg: color + '26', fg: color, dot: color };
  const [bg, fg, dot] = palette[color ?? ''] ?? palette.gray;
  return { bg, fg, dot };
}

export const CURRENCIES = ['CNY', 'USD', 'EUR', 'GBP', 'JPY', 'HKD', 'TWD', 'SGD', 'KRW', 'AUD', 'CAD', 'CHF', 'INR', 'RUB'];

export const FILE_FAMILIES = ['images', 'pdf', 'office', 'text', 'csv', 'zip'];
