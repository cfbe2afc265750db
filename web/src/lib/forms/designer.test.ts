import { describe, expect, it } from 'vitest';
import { cleanDefinition, duplicate, formulaNames, insertAt, makeField, moveTo, renameColumnEverywhere, renameEverywhere, type Labels } from './designer';
import { FIELD_ID } from './ids';
import type { FieldDef } from './types';

const labels: Labels = { typeName: (t) => ({ text: 'Text', select: 'Choice', subtable: 'Lines' })[t] ?? t, option: (n) => `Option ${n}`, firstColumn: 'Item' };

describe('makeField', () => {
  it('gives a fresh id, a free name and the type’s starting settings', () => {
    const a = makeField('text', [], [], labels);
    expect(a.id).toMatch(FIELD_ID);
    const b = makeField('text', [a], [a.id], labels);
    expect(b.name).toBe('Text 2');
    const s = makeField('select', [], [], labels);
    expect((s.settings?.options as unknown[]).length).toBe(3);
    const t = makeField('subtable', [], [], labels);
    expect(t.columns?.[0]).toMatchObject({ name: 'Item', type: 'text' });
    expect(t.columns?.[0].id).not.toBe(t.id);
  });
});

describe('moving', () => {
  it('moves before the item at the target, or to the end', () => {
    expect(moveTo(['a', 'b', 'c', 'd'], 0, 2)).toEqual(['b', 'a', 'c', 'd']);
    expect(moveTo(['a', 'b', 'c', 'd'], 3, 0)).toEqual(['d', 'a', 'b', 'c']);
    expect(moveTo(['a', 'b', 'c'], 0, 3)).toEqual(['b', 'c', 'a']);
    expect(moveTo(['a', 'b', 'c'], 1, 1)).toEqual(['a', 'b', 'c']);
    expect(moveTo(['a', 'b'], 5, 0)).toEqual(['a', 'b']);
    expect(insertAt(['a'], 'b', 9)).toEqual(['a', 'b']);
  });
});

describe('duplicate', () => {
  it('copies with new ids for the field, its columns and options', () => {
    const f: FieldDef = {
      id: 'f_aaaaaaaa',
      name: 'T',
      type: 'subtable',
      columns: [{ id: 'f_bbbbbbbb', name: 'c', type: 'select', settings: { options: [{ id: 'o1', label: 'A' }] } }],
    };
    const c = duplicate(f, [f], ['f_aaaaaaaa', 'f_bbbbbbbb'], 'copy');
    expect(c.name).toBe('T copy');
    expect(c.id).not.toBe(f.id);
    expect(c.columns?.[0].id).not.toBe('f_bbbbbbbb');
    expect(f.columns?.[0].id).toBe('f_bbbbbbbb');
  });
});

describe('renames everywhere', () => {
  const fields: FieldDef[] = [
    { id: 'f_1', name: 'Amount', type: 'number', visible_if: 'Amount > 0' },
    { id: 'f_2', name: 'Tax', type: 'formula', settings: { expression: 'Amount * 0.1' } },
    {
      id: 'f_3',
      name: 'lines',
      type: 'subtable',
      columns: [
        { id: 'f_4', name: 'qty', type: 'number' },
        { id: 'f_5', name: 'line total', type: 'formula', settings: { expression: 'qty * Amount' } },
      ],
    },
    { id: 'f_6', name: 'Total', type: 'formula', settings: { expression: 'SUM(lines.qty)' }, required_if: 'lines.qty > 1' },
  ];

  it('rewrites every formula that names the field', () => {
    const out = renameEverywhere(fields, 'Amount', 'Net');
    expect(out[0].visible_if).toBe('Net > 0');
    expect(out[1].settings?.expression).toBe('Net * 0.1');
    expect(out[2].columns?.[1].settings?.expression).toBe('qty * Net');
    expect(fields[1].settings?.expression).toBe('Amount * 0.1');
  });

  it('leaves a column’s formulas alone when a sibling column shadows the name', () => {
    const out = renameEverywhere(fields, 'qty', 'Quantity');
    expect(out[2].columns?.[1].settings?.expression).toBe('qty * Amount');
  });

  it('renames a column in table references and in its own row', () => {
    const out = renameColumnEverywhere(fields, 'lines', 'qty', 'Quantity');
    expect(out[3].settings?.expression).toBe('SUM(lines.Quantity)');
    expect(out[3].required_if).toBe('lines.Quantity > 1');
    expect(out[2].columns?.[1].settings?.expression).toBe('Quantity * Amount');
  });

  it('offers row names first inside a sub-table', () => {
    expect(formulaNames(fields, fields[2]).slice(0, 2)).toEqual(['qty', 'line total']);
  });
});

describe('cleanDefinition', () => {
  it('drops empty optional texts and settings, keeps columns of sub-tables only', () => {
    const out = cleanDefinition({
      name: 'F',
      description: ' ',
      fields: [
        { id: 'f_1', name: ' A ', type: 'text', help: '', placeholder: null, required: false, settings: { max_length: null, pattern: '' }, columns: null },
        { id: 'f_2', name: 'T', type: 'subtable', required: true, columns: [{ id: 'f_3', name: 'c', type: 'text', default: '"x"' }] },
      ],
    });
    expect(out).toEqual({
      name: 'F',
      fields: [
        { id: 'f_1', name: 'A', type: 'text' },
        { id: 'f_2', name: 'T', type: 'subtable', required: true, columns: [{ id: 'f_3', name: 'c', type: 'text', default: '"x"' }] },
      ],
    });
  });
});
