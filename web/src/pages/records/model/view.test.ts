import { describe, expect, it } from 'vitest';
import type { FieldDef } from '../../../lib/forms/types';
import { addDays, dayOf, daysBetween, firstDayOfWeek, monthGrid, shiftMonth } from './calendar';
import {
  canChange,
  columnChoices,
  configForKind,
  exportUrl,
  missingSetting,
  movedColumn,
  queryBody,
  sameConfig,
  shownColumns,
  sortableFields,
  toggledSort,
  withColumn,
  withWidth,
  type SavedView,
} from './view';

const FIELDS: FieldDef[] = [
  { id: 'f_title', name: 'Title', type: 'text' },
  { id: 'f_amount', name: 'Amount', type: 'number' },
  { id: 'f_status', name: 'Status', type: 'select', settings: { options: [{ id: 'o1', label: 'Open' }] } },
  { id: 'f_tags', name: 'Tags', type: 'multiselect' },
  { id: 'f_when', name: 'When', type: 'datetime' },
  { id: 'f_photo', name: 'Photo', type: 'image' },
  { id: 'f_sec', name: 'More', type: 'section' },
];

describe('columns', () => {
  it('show every value field by default, with widths by type', () => {
    const cols = shownColumns({}, FIELDS);
    expect(cols.map((c) => c.def.id)).toEqual(['f_title', 'f_amount', 'f_status', 'f_tags', 'f_when', 'f_photo']);
    expect(cols[1].width).toBeLessThan(cols[3].width);
    expect(columnChoices(FIELDS).map((f) => f.id)).toContain('created_at');
  });

  it('follow the view, skipping fields that are gone or hidden', () => {
    const cfg = { columns: [{ field: 'f_amount', width: 99 }, { field: 'gone' }, { field: 'created_at' }, { field: 'f_title' }] };
    expect(shownColumns(cfg, FIELDS, new Set(['f_title'])).map((c) => [c.def.id, c.width])).toEqual([
      ['f_amount', 99],
      ['created_at', 180],
    ]);
  });

  it('resize: the view then lists its columns, widths clamped', () => {
    const cfg = withWidth({}, 'f_amount', 10, FIELDS);
    expect(cfg.columns?.map((c) => c.field)).toEqual(['f_title', 'f_amount', 'f_status', 'f_tags', 'f_when', 'f_photo']);
    expect(cfg.columns?.[1].width).toBe(40);
    expect(withWidth(cfg, 'f_amount', 5000, FIELDS).columns?.[1].width).toBe(2000);
  });

  it('hide, show and move', () => {
    let cfg = withColumn({}, 'f_tags', false, FIELDS);
    expect(cfg.columns?.some((c) => c.field === 'f_tags')).toBe(false);
    cfg = withColumn(cfg, 'created_by', true, FIELDS);
    expect(cfg.columns?.at(-1)?.field).toBe('created_by');
    cfg = movedColumn(cfg, 'f_amount', -1, FIELDS);
    expect(cfg.columns?.slice(0, 2).map((c) => c.field)).toEqual(['f_amount', 'f_title']);
    expect(movedColumn(cfg, 'f_amount', -1, FIELDS)).toBe(cfg);
    const one = { columns: [{ field: 'f_title' }] };
    expect(withColumn(one, 'f_title', false, FIELDS)).toBe(one);
  });
});

describe('sorting', () => {
  it('cycles a header through ascending, descending and off', () => {
    let s = toggledSort([], 'f_amount');
    expect(s).toEqual([{ field: 'f_amount', direction: 'asc' }]);
    s = toggledSort(s, 'f_amount');
    expect(s).toEqual([{ field: 'f_amount', direction: 'desc' }]);
    expect(toggledSort(s, 'f_amount')).toEqual([]);
    expect(toggledSort(s, 'f_title')).toEqual([{ field: 'f_title', direction: 'asc' }]);
  });

  it('adds further keys with shift, at most five', () => {
    let s = toggledSort([], 'a');
    s = toggledSort(s, 'b', true);
    expect(s.map((k) => k.field)).toEqual(['a', 'b']);
    s = toggledSort(s, 'a', true);
    expect(s).toEqual([
      { field: 'a', direction: 'desc' },
      { field: 'b', direction: 'asc' },
    ]);
    for (const f of ['c', 'd', 'e', 'f']) s = toggledSort(s, f, true);
    expect(s).toHaveLength(5);
  });

  it('offers only fields with an order', () => {
    const ids = sortableFields(FIELDS).map((f) => f.id);
    expect(ids).toEqual(expect.arrayContaining(['f_title', 'f_amount', 'f_status', 'f_when', 'created_at']));
    expect(ids).not.toContain('f_tags');
    expect(ids).not.toContain('f_photo');
  });
});

describe('kinds', () => {
  it('fill in the setting a kind needs and drop the others', () => {
    const base = { sort: [{ field: 'f_amount', direction: 'asc' as const }], group_by: 'f_status', cover_field: 'f_photo' };
    expect(configForKind(base, 'grid', FIELDS)).toEqual({ sort: base.sort });
    expect(configForKind({}, 'kanban', FIELDS)).toEqual({ group_by: 'f_status' });
    expect(configForKind({}, 'calendar', FIELDS)).toEqual({ date_field: 'f_when' });
    expect(configForKind({}, 'gallery', FIELDS)).toEqual({ cover_field: 'f_photo' });
    expect(configForKind({}, 'kanban', FIELDS.filter((f) => f.type !== 'select'))).toEqual({});
    expect(missingSetting('kanban', {})).toBe('group_by');
    expect(missingSetting('calendar', { date_field: 'created_at' })).toBeNull();
    expect(missingSetting('gallery', {})).toBeNull();
  });

  it('compare configurations regardless of empty parts and key order', () => {
    expect(sameConfig({ sort: [], filter: null, columns: [] }, {})).toBe(true);
    expect(sameConfig({ filter: { field: 'a', op: 'eq', value: 1 } }, { filter: { value: 1, op: 'eq', field: 'a' } })).toBe(true);
    expect(sameConfig({ columns: [{ field: 'a', width: 100 }] }, { columns: [{ field: 'a' }] })).toBe(false);
    expect(sameConfig({ filter: { and: [{ field: 'a', op: 'empty' }] } }, { filter: { field: 'a', op: 'empty' } })).toBe(true);
  });

  it('say who may change a view', () => {
    const v = { shared: false, owner_member_id: 'me' } as SavedView;
    expect(canChange(v, 'me', false)).toBe(true);
    expect(canChange(v, 'you', true)).toBe(false);
    expect(canChange({ ...v, shared: true }, 'me', false)).toBe(false);
    expect(canChange({ ...v, shared: true }, 'me', true)).toBe(true);
  });
});

describe('queries and exports', () => {
  const filter = { field: 'f_amount', op: 'gt', value: 100 };

  it('build the query body of a view with search and an extra condition', () => {
    expect(queryBody({ filter, sort: [{ field: 'f_amount', direction: 'desc' }] }, { search: ' hi ', extra: { field: 'f_status', op: 'eq', value: 'o1' }, count: true })).toEqual({
      limit: 50,
      filter: { and: [filter, { field: 'f_status', op: 'eq', value: 'o1' }] },
      sort: [{ field: 'f_amount', direction: 'desc' }],
      search: 'hi',
      count: true,
    });
    expect(queryBody({}, { cursor: 'abc', limit: 10 })).toEqual({ limit: 10, cursor: 'abc' });
  });

  it('export what is shown', () => {
    const url = new URL(exportUrl('o', 'f', 'xlsx', { filter }, { search: 'x', columns: ['f_title', 'f_amount'] }), 'http://h');
    expect(url.pathname).toBe('/api/v1/orgs/o/forms/f/export');
    expect(url.searchParams.get('format')).toBe('xlsx');
    expect(JSON.parse(url.searchParams.get('filter')!)).toEqual(filter);
    expect(url.searchParams.get('fields')).toBe('f_title,f_amount');
    expect(url.searchParams.get('sort')).toBeNull();
  });
});

describe('calendar', () => {
  it('lays out six weeks from the first weekday', () => {
    const monday = monthGrid({ year: 2026, month: 3 }, 1); // 1 March 2026 is a Sunday
    expect(monday[0]).toBe('2026-02-23');
    expect(monday).toHaveLength(42);
    const sunday = monthGrid({ year: 2026, month: 3 }, 7);
    expect(sunday[0]).toBe('2026-03-01');
    expect(shiftMonth({ year: 2026, month: 1 }, -1)).toEqual({ year: 2025, month: 12 });
    expect(shiftMonth({ year: 2026, month: 12 }, 1)).toEqual({ year: 2027, month: 1 });
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
  });

  it('places a moment on its day in the organization’s time zone', () => {
    expect(dayOf('2026-03-01T20:00:00Z', 'Asia/Shanghai')).toBe('2026-03-02');
    expect(dayOf('2026-03-01T20:00:00Z', 'UTC')).toBe('2026-03-01');
    expect(dayOf('2026-03-05', 'Asia/Shanghai')).toBe('2026-03-05');
    expect(dayOf(null, 'UTC')).toBeNull();
    expect(daysBetween('2026-03-30', '2026-04-02')).toEqual(['2026-03-30', '2026-03-31', '2026-04-01', '2026-04-02']);
    expect(daysBetween('2026-03-30', null)).toEqual(['2026-03-30']);
  });

  it('knows where weeks start', () => {
    expect(firstDayOfWeek('zh-CN')).toBe(1);
    expect(firstDayOfWeek('en-US')).toBe(7);
  });
});
