import { describe, expect, it } from 'vitest';
import type { FieldDef } from '../../../lib/forms/types';
import {
  addGroup,
  andFilters,
  canonical,
  countConditions,
  depthOf,
  fromWire,
  indexFields,
  kindOf,
  MAX_CONDITIONS,
  newCondition,
  newGroup,
  operatorsFor,
  parseNumber,
  problems,
  removeNode,
  sameFilter,
  setField,
  setOperator,
  shapeOf,
  toWire,
  type CondNode,
  type GroupNode,
} from './filter';

const OPTIONS = [
  { id: 'o1', label: 'Open' },
  { id: 'o2', label: 'Done' },
];
const FIELDS: FieldDef[] = [
  { id: 'f_title', name: 'Title', type: 'text' },
  { id: 'f_amount', name: 'Amount', type: 'money' },
  { id: 'f_due', name: 'Due', type: 'date' },
  { id: 'f_status', name: 'Status', type: 'select', settings: { options: OPTIONS } },
  { id: 'f_tags', name: 'Tags', type: 'multiselect', settings: { options: OPTIONS } },
  { id: 'f_paid', name: 'Paid', type: 'checkbox' },
  { id: 'f_owner', name: 'Owner', type: 'member' },
  { id: 'f_team', name: 'Team', type: 'members' },
  { id: 'f_dept', name: 'Dept', type: 'departments' },
  { id: 'f_photo', name: 'Photo', type: 'image' },
  { id: 'f_total', name: 'Total', type: 'formula', settings: { expression: 'Amount * 2' } },
  { id: 'f_sec', name: 'Part 2', type: 'section' },
];
const fields = indexFields(FIELDS, { f_total: 'number' });
const byId = (id: string) => FIELDS.find((f) => f.id === id)!;
const cond = (field: string, op: string, value: unknown = null): CondNode => ({ type: 'cond', key: `k_${field}_${op}`, field, op, value });

describe('operators per kind', () => {
  it('follow the query contract for each field type', () => {
    expect(kindOf(byId('f_title'))).toBe('text');
    expect(kindOf(byId('f_amount'))).toBe('number');
    expect(kindOf(byId('f_photo'))).toBe('presence');
    expect(kindOf(byId('f_sec'))).toBeNull();
    expect(operatorsFor('text')).toEqual(['eq', 'ne', 'contains', 'not_contains', 'starts_with', 'ends_with', 'any_of', 'none_of', 'empty', 'not_empty']);
    expect(operatorsFor('number')).toContain('between');
    expect(operatorsFor('number')).not.toContain('contains');
    expect(operatorsFor('date')).toContain('in_period');
    expect(operatorsFor('checkbox')).toEqual(['is_true', 'is_false']);
    expect(operatorsFor('member')).toEqual(expect.arrayContaining(['is_me', 'not_me', 'in_my_departments']));
    expect(operatorsFor('members')).toContain('has_me');
    expect(operatorsFor('department')).toContain('in_my_departments_and_below');
    expect(operatorsFor('departments')).toEqual(['has_any', 'has_none', 'has_my_departments', 'empty', 'not_empty']);
    expect(shapeOf('number', 'between')).toBe('pair');
    expect(shapeOf('select', 'any_of')).toBe('list');
    expect(shapeOf('text', 'gt')).toBeNull();
  });

  it('filter computed fields as the type of their value, or by presence when unknown', () => {
    expect(kindOf(byId('f_total'), { f_total: 'number' })).toBe('number');
    expect(kindOf(byId('f_total'), { f_total: 'bool' })).toBe('checkbox');
    expect(kindOf(byId('f_total'))).toBe('presence');
  });

  it('include the system fields', () => {
    expect(fields.get('created_at')?.kind).toBe('datetime');
    expect(fields.get('created_by')?.kind).toBe('member');
    expect(fields.get('owner_department')?.kind).toBe('department');
    expect(fields.has('f_sec')).toBe(false);
  });

  it('leave out hidden fields', () => {
    expect(indexFields(FIELDS, {}, new Set(['f_amount'])).has('f_amount')).toBe(false);
  });
});

describe('building a tree', () => {
  it('starts a condition with an operator and empty value of its kind', () => {
    expect(newCondition(byId('f_title'))).toMatchObject({ op: 'contains', value: '' });
    expect(newCondition(byId('f_tags'))).toMatchObject({ op: 'has_any', value: [] });
    expect(newCondition(byId('f_paid'))).toMatchObject({ op: 'is_true', value: null });
    expect(newCondition(byId('f_photo'))).toMatchObject({ op: 'not_empty' });
  });

  it('carries a value across operators where the shapes allow', () => {
    const c = cond('f_status', 'eq', 'o1');
    setOperator(c, 'select', 'any_of');
    expect(c.value).toEqual(['o1']);
    setOperator(c, 'select', 'eq');
    expect(c.value).toBe('o1');
    setOperator(c, 'select', 'empty');
    expect(c.value).toBeNull();
    const n = cond('f_amount', 'gt', '5');
    setOperator(n, 'number', 'between');
    expect(n.value).toEqual(['5', '']);
  });

  it('keeps the operator when the new field has it, and drops values of another kind', () => {
    const c = cond('f_title', 'eq', 'x');
    setField(c, fields.get('f_amount')!, fields);
    expect(c).toMatchObject({ field: 'f_amount', op: 'eq', value: '' });
    setField(c, fields.get('f_paid')!, fields);
    expect(c).toMatchObject({ field: 'f_paid', op: 'is_true' });
  });

  it('adds and removes nested groups; an emptied group goes too', () => {
    const root = newGroup('and', [cond('f_title', 'contains', 'a')]);
    const g = addGroup(root, cond('f_amount', 'gt', '1'));
    expect(g.mode).toBe('or');
    expect(countConditions(root)).toBe(2);
    expect(depthOf(root)).toBe(2);
    expect(removeNode(root, g.items[0].key)).toBe(true);
    expect(root.items).toHaveLength(1);
    expect(removeNode(root, 'nope')).toBe(false);
  });
});

describe('to the wire', () => {
  it('sends typed values and only valid conditions', () => {
    const root = newGroup('and', [
      cond('f_amount', 'gt', '100'),
      cond('f_title', 'contains', ''), // not written yet
      cond('f_due', 'in_period', { last_days: '30' }),
      cond('f_paid', 'is_true'),
      cond('f_status', 'any_of', ['o1', 'o2', 'o1']),
    ]);
    expect(toWire(root, fields)).toEqual({
      and: [
        { field: 'f_amount', op: 'gt', value: 100 },
        { field: 'f_due', op: 'in_period', value: { last_days: 30 } },
        { field: 'f_paid', op: 'is_true' },
        { field: 'f_status', op: 'any_of', value: ['o1', 'o2'] },
      ],
    });
  });

  it('drops empty groups, unwraps groups of one and is null when nothing is left', () => {
    const root = newGroup('or', [newGroup('and', [cond('f_amount', 'le', '3,5')]), newGroup('and', [])]);
    expect(toWire(root, fields)).toEqual({ field: 'f_amount', op: 'le', value: 3.5 });
    expect(toWire(newGroup('and', [cond('f_title', 'eq', '  ')]), fields)).toBeNull();
  });

  it('round-trips a stored tree', () => {
    const wire = {
      and: [
        { field: 'f_amount', op: 'between', value: [10, 20] },
        { or: [{ field: 'created_by', op: 'is_me' }, { field: 'f_team', op: 'has_me' }] },
        { formula: 'Amount > 5' },
      ],
    };
    const tree = fromWire(wire);
    expect(tree.mode).toBe('and');
    expect((tree.items[0] as CondNode).value).toEqual(['10', '20']);
    expect(toWire(tree, fields)).toEqual(wire);
  });

  it('reads a lone condition as a group and ignores what is not a filter', () => {
    expect(fromWire({ field: 'f_title', op: 'eq', value: 'x' }).items).toHaveLength(1);
    expect(fromWire(null).items).toEqual([]);
    expect(fromWire({ and: [42, { nope: 1 }] }).items).toEqual([]);
  });

  it('compares filters by meaning, not by their groups of one', () => {
    const c = { field: 'f_paid', op: 'is_true' };
    expect(sameFilter({ and: [c] }, c)).toBe(true);
    expect(sameFilter({ or: [{ and: [c] }, { and: [] }] }, c)).toBe(true);
    expect(sameFilter({ and: [] }, null)).toBe(true);
    expect(sameFilter({ and: [c, c] }, { or: [c, c] })).toBe(false);
    expect(canonical({ field: 'x', op: 'empty' })).toEqual({ field: 'x', op: 'empty' });
  });

  it('combines filters with and', () => {
    const a = { field: 'f_paid', op: 'is_true' };
    expect(andFilters(null, a)).toBe(a);
    expect(andFilters(a, null)).toBe(a);
    expect(andFilters(a, a)).toEqual({ and: [a, a] });
  });
});

describe('checking', () => {
  const messages = (root: GroupNode) => problems(root, fields).map((p) => p.message);

  it('names each wrong condition', () => {
    const root = newGroup('and', [
      cond('f_gone', 'eq', 'x'),
      cond('f_title', 'gt', 'x'),
      cond('f_amount', 'eq', 'ten'),
      cond('f_due', 'eq', '2026-02-30'),
      cond('f_amount', 'between', ['9', '1']),
      cond('f_due', 'in_period', 'fortnight'),
      cond('f_status', 'any_of', []),
      cond('f_title', 'eq', ''),
      { type: 'formula', key: 'fx', formula: ' ' },
    ]);
    expect(messages(root)).toEqual([
      'filter.unknownField',
      'filter.badOperator',
      'filter.badNumber',
      'filter.badDate',
      'filter.badRange',
      'filter.badPeriod',
      'filter.needValue',
      'filter.needValue',
      'filter.needFormula',
    ]);
  });

  it('finds nothing wrong in a good tree', () => {
    expect(messages(newGroup('and', [cond('f_due', 'between', ['2026-01-01', '2026-01-31']), cond('f_owner', 'is_me')]))).toEqual([]);
  });

  it('limits depth and the number of conditions', () => {
    let g = newGroup('and', [cond('f_paid', 'is_true')]);
    for (let i = 0; i < 8; i++) g = newGroup('and', [g]);
    expect(messages(g)).toContain('filter.tooDeep');
    const many = newGroup('and', Array.from({ length: MAX_CONDITIONS + 1 }, () => cond('f_paid', 'is_true')));
    expect(messages(many)).toEqual(['filter.tooMany']);
  });

  it('reads numbers as people type them', () => {
    expect(parseNumber('1200.5')).toBe(1200.5);
    expect(parseNumber('1200,5')).toBe(1200.5);
    expect(parseNumber(' -3 ')).toBe(-3);
    expect(parseNumber('1e3')).toBe(1000);
    expect(parseNumber('12abc')).toBeNull();
    expect(parseNumber('1e20')).toBeNull();
  });
});
