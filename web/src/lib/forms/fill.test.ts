import { describe, expect, it } from 'vitest';
import { buildPayload, checkAll, checkValue, isBlank } from './fill';
import { formatValue, zonedInputValue } from './format';
import { insertMention, mentionAt, splitMentions } from './mentions';
import type { FieldDef } from './types';

const FIELDS: FieldDef[] = [
  { id: 'f_title', name: 'Title', type: 'text', required: true },
  { id: 'f_when', name: 'When', type: 'date', default: 'TODAY()' },
  { id: 'f_mail', name: 'Mail', type: 'email' },
  { id: 'f_amt', name: 'Amount', type: 'money', settings: { min: 0, max: 100 } },
  { id: 'f_pct', name: 'Share', type: 'percent', settings: { max: 0.5 } },
  { id: 'f_tot', name: 'Total', type: 'formula', settings: { expression: 'Amount' } },
  { id: 'f_sec', name: 'S', type: 'section' },
  {
    id: 'f_rows',
    name: 'lines',
    type: 'subtable',
    columns: [
      { id: 'f_qty', name: 'qty', type: 'number', required: true },
      { id: 'f_note', name: 'note', type: 'text', default: '"-"' },
      { id: 'f_ct', name: 'ct', type: 'formula', settings: { expression: 'qty' } },
    ],
  },
];

describe('buildPayload', () => {
  it('sends what people entered, not computed or layout fields, nor hidden ones', () => {
    const values = { f_title: 'Trip', f_mail: '', f_tot: 5, f_amt: 12, f_sec: 'x', f_rows: [{ f_qty: 2, f_ct: 2 }, {}] };
    expect(buildPayload(FIELDS, values, { hidden: new Set(['f_amt']) })).toEqual({ f_title: 'Trip', f_rows: [{ f_qty: 2 }, {}] });
  });

  it('sends null for a default emptied on purpose, and every blank on an edit', () => {
    expect(buildPayload(FIELDS, { f_when: null })).toEqual({ f_when: null });
    expect(buildPayload(FIELDS, { f_title: 'x' }, { edit: true })).toEqual({ f_title: 'x', f_when: null, f_mail: null, f_amt: null, f_pct: null, f_rows: [] });
  });

  it('leaves hidden cells out, and sends null for a column default emptied on purpose', () => {
    const out = buildPayload(FIELDS, { f_rows: [{ f_qty: 1, f_note: '' }] }, { hiddenCells: new Set(['f_rows[0].f_qty']) });
    expect(out).toEqual({ f_rows: [{ f_note: null }] });
  });
});

describe('checks the page makes alone', () => {
  it('knows blanks by type', () => {
    expect(isBlank('checkbox', false)).toBe(true);
    expect(isBlank('multiselect', [])).toBe(true);
    expect(isBlank('number', 0)).toBe(false);
    expect(isBlank('location', {})).toBe(true);
  });

  it('checks shapes and ranges', () => {
    expect(checkValue(FIELDS[2], 'a@b', false)).toEqual({ key: 'email' });
    expect(checkValue(FIELDS[2], 'a@b.cn', false)).toBeNull();
    expect(checkValue(FIELDS[3], -1, false)).toEqual({ key: 'min', params: { n: '0' } });
    expect(checkValue(FIELDS[3], 'abc', false)).toEqual({ key: 'number' });
    expect(checkValue(FIELDS[4], 0.6, false)).toEqual({ key: 'max', params: { n: '50%' } });
  });

  it('checks required fields and cells, as the server says now, skipping hidden ones', () => {
    const problems = checkAll(FIELDS, { f_rows: [{}, { f_qty: 3 }] }, { required: new Set(['f_mail']), hidden: new Set(['f_amt']) });
    expect([...problems.keys()].sort()).toEqual(['f_mail', 'f_rows[0].f_qty', 'f_title']);
  });
});

describe('formatting', () => {
  it('shows values by type', () => {
    expect(formatValue(FIELDS[3], 1234.5, 'en', 'UTC')).toBe('CN¥1,234.50');
    expect(formatValue(FIELDS[4], 0.125, 'en', 'UTC')).toBe('12.50%');
    expect(formatValue({ id: 'f', name: 'r', type: 'rating', settings: { max: 5 } }, 3, 'en', 'UTC')).toBe('★★★☆☆');
    expect(formatValue({ id: 'f', name: 's', type: 'select', settings: { options: [{ id: 'o1', label: 'Red' }] } }, 'o1', 'en', 'UTC')).toBe('Red');
    expect(formatValue(FIELDS[1], '2026-01-31', 'en', 'UTC')).toBe('Jan 31, 2026');
  });

  it('turns a UTC instant into wall-clock time of a zone for datetime inputs', () => {
    expect(zonedInputValue('2026-01-31T06:30:00Z', 'Asia/Shanghai')).toBe('2026-01-31T14:30');
    expect(zonedInputValue('2026-07-01T00:00:00Z', 'America/New_York')).toBe('2026-06-30T20:00');
    expect(zonedInputValue('nonsense', 'UTC')).toBe('');
  });
});

describe('mentions', () => {
  it('finds the name being typed after @', () => {
    expect(mentionAt('Hi @Al', 6)).toEqual({ start: 3, query: 'Al' });
    expect(mentionAt('@', 1)).toEqual({ start: 0, query: '' });
    expect(mentionAt('mail a@b', 8)).toBeNull();
    expect(mentionAt('Hi @Al ice', 10)).toBeNull();
  });

  it('inserts the chosen name', () => {
    expect(insertMention('Hi @Al, ok', 3, 6, 'Alice Chen')).toEqual({ text: 'Hi @Alice Chen , ok', caret: 15 });
  });

  it('splits mentions of known names out of a comment', () => {
    expect(splitMentions('Ask @Alice Chen and @Bob, not @nobody', ['Alice Chen', 'Bob'])).toEqual([
      { text: 'Ask ', mention: false },
      { text: '@Alice Chen', mention: true },
      { text: ' and ', mention: false },
      { text: '@Bob', mention: true },
      { text: ', not @nobody', mention: false },
    ]);
  });
});
