import { describe, expect, it } from 'vitest';
import { fileDataErrors, fileDesignErrors, messagesFor, parseDataPath, parseDesignPath, propWithin, valueKey } from './paths';
import type { FieldDef } from './types';

const FIELDS: FieldDef[] = [
  { id: 'f_title001', name: 'Title', type: 'text' },
  { id: 'f_no000001', name: 'No. of guests', type: 'number' },
  { id: 'f_no000002', name: 'No', type: 'text' },
  {
    id: 'f_lines001',
    name: 'lines',
    type: 'subtable',
    columns: [
      { id: 'f_amount01', name: 'amount', type: 'money' },
      { id: 'f_what0001', name: 'what it was', type: 'text' },
    ],
  },
  { id: 'f_place001', name: 'Place', type: 'location' },
];

describe('designer paths', () => {
  it('name the field, the column and the property', () => {
    expect(parseDesignPath('$.fields[3].settings.options[1].label')).toEqual({ field: 3, column: null, prop: 'settings.options[1].label' });
    expect(parseDesignPath('$.fields[3].columns[1].name')).toEqual({ field: 3, column: 1, prop: 'name' });
    expect(parseDesignPath('$.fields[0]')).toEqual({ field: 0, column: null, prop: '' });
    expect(parseDesignPath('$.name')).toEqual({ field: null, column: null, prop: 'name' });
    expect(parseDesignPath('$.fields.settings.expression')).toEqual({ field: null, column: null, prop: '' });
  });

  it('are filed by field id (of the definition that was checked), and the rest under form', () => {
    const filed = fileDesignErrors(
      [
        { path: '$.fields[3].columns[0].settings.max', message: 'too big' },
        { path: '$.fields[0].name', message: 'taken' },
        { path: '$.fields[9].name', message: 'gone' },
        { path: '$.name', message: 'empty' },
      ],
      FIELDS,
    );
    expect(filed.get('f_lines001/f_amount01')).toEqual([{ prop: 'settings.max', message: 'too big' }]);
    expect(filed.get('f_title001')).toEqual([{ prop: 'name', message: 'taken' }]);
    expect(filed.get('form')).toEqual([
      { prop: '$.fields[9].name', message: 'gone' },
      { prop: 'name', message: 'empty' },
    ]);
  });

  it('match properties and what is inside them', () => {
    expect(propWithin('settings.options[1].label', 'settings.options')).toBe(true);
    expect(propWithin('settings.options[1].label', 'settings.options[1]')).toBe(true);
    expect(propWithin('settings.optionsx', 'settings.options')).toBe(false);
    expect(propWithin('anything', '')).toBe(true);
    expect(messagesFor([{ prop: 'settings.max', message: 'm' }], 'settings.min')).toEqual([]);
  });
});

describe('submission paths', () => {
  it('find fields by id or by name, names with dots and spaces included', () => {
    expect(parseDataPath('$.data.Title', FIELDS)).toEqual({ field: 'f_title001', row: null, column: null, rest: '' });
    expect(parseDataPath('$.data.f_title001', FIELDS)?.field).toBe('f_title001');
    expect(parseDataPath('$.data.No. of guests', FIELDS)?.field).toBe('f_no000001');
    expect(parseDataPath('$.data.No', FIELDS)?.field).toBe('f_no000002');
    expect(parseDataPath('$.data.Place.lat', FIELDS)).toEqual({ field: 'f_place001', row: null, column: null, rest: '.lat' });
  });

  it('find sub-table cells', () => {
    expect(parseDataPath('$.data.lines[2].amount', FIELDS)).toEqual({ field: 'f_lines001', row: 2, column: 'f_amount01', rest: '' });
    expect(parseDataPath('$.data.f_lines001[0].what it was', FIELDS)).toEqual({ field: 'f_lines001', row: 0, column: 'f_what0001', rest: '' });
    expect(parseDataPath('$.data.lines[1]', FIELDS)).toEqual({ field: 'f_lines001', row: 1, column: null, rest: '' });
  });

  it('say null for what is not a field of the form', () => {
    expect(parseDataPath('$.data.Nope', FIELDS)).toBeNull();
    expect(parseDataPath('$.data.Titles', FIELDS)).toBeNull();
    expect(parseDataPath('$.mentions[0]', FIELDS)).toBeNull();
  });

  it('are filed by value key, first message wins', () => {
    const { byKey, other } = fileDataErrors(
      [
        { path: '$.data.lines[2].amount', message: 'a' },
        { path: '$.data.Title', message: 'b' },
        { path: '$.data.Title', message: 'c' },
        { path: '$.data.Ghost', message: 'd' },
      ],
      FIELDS,
    );
    expect(byKey.get(valueKey('f_lines001', 2, 'f_amount01'))).toBe('a');
    expect(byKey.get('f_title001')).toBe('b');
    expect(other.map((e) => e.message)).toEqual(['d']);
  });
});
