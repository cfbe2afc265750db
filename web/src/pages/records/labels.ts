// Words for the records views' model: field names (the record's own properties translated),
// operators (worded per kind: a date is "after", a number "greater than"), periods, view kinds.
import { t, type MessageKey } from '../../i18n/index.svelte';
import type { FieldDef } from '../../lib/forms/types';
import { SYSTEM_IDS, type Kind, type NamedPeriod } from './model/filter';
import type { ViewKind } from './model/view';

export function fieldLabel(f: FieldDef): string {
  return SYSTEM_IDS.has(f.id) && f.name === f.id ? t(`sys.${f.id}` as MessageKey) : f.name;
}

const DATE_WORDS: Record<string, MessageKey> = { lt: 'op.before', le: 'op.onOrBefore', gt: 'op.after', ge: 'op.onOrAfter', eq: 'op.on', ne: 'op.notOn' };
const LIST_WORDS: Record<string, MessageKey> = { empty: 'op.emptyList', not_empty: 'op.notEmptyList' };

export function opLabel(kind: Kind, op: string): string {
  if ((kind === 'date' || kind === 'datetime') && DATE_WORDS[op]) return t(DATE_WORDS[op]);
  if (['multiselect', 'members', 'departments', 'link', 'presence'].includes(kind) && LIST_WORDS[op]) return t(LIST_WORDS[op]);
  return t(`op.${op}` as MessageKey);
}

export function periodLabel(p: NamedPeriod): string {
  return t(`period.${p}` as MessageKey);
}

export function kindName(k: ViewKind): string {
  return t(`rv.kind.${k}` as MessageKey);
}
