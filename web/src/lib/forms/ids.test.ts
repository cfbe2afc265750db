import { describe, expect, it } from 'vitest';
import { allIds, FIELD_ID, newFieldId, newOptionId, uniqueName } from './ids';

describe('field ids', () => {
  it('have the shape the server accepts: f_ and 8 of [a-z0-9]', () => {
    for (let i = 0; i < 500; i++) {
      const id = newFieldId();
      expect(id).toMatch(FIELD_ID);
      expect(id).toHaveLength(10);
    }
  });

  it('never repeat one that is taken', () => {
    const taken = new Set<string>();
    for (let i = 0; i < 2000; i++) taken.add(newFieldId(taken));
    expect(taken.size).toBe(2000);
  });

  it('use every character of the alphabet', () => {
    const seen = new Set([...Array.from({ length: 400 }, () => newFieldId().slice(2))].join(''));
    expect(seen.size).toBe(36);
  });

  it('option ids fit [A-Za-z0-9_-]{1,40} and avoid the taken ones', () => {
    const id = newOptionId(['a']);
    expect(id).toMatch(/^[A-Za-z0-9_-]{1,40}$/);
    expect(id).not.toBe('a');
  });

  it('lists ids of columns too', () => {
    expect(allIds([{ id: 'f_a1', name: 'T', type: 'subtable', columns: [{ id: 'f_b2', name: 'x', type: 'text' }] }])).toEqual(['f_a1', 'f_b2']);
  });
});

describe('uniqueName', () => {
  it('keeps a free name, numbers a taken one, compares like the server', () => {
    expect(uniqueName('Amount', [])).toBe('Amount');
    expect(uniqueName('Amount', ['amount '])).toBe('Amount 2');
    expect(uniqueName('Amount', ['Amount', 'Amount 2'])).toBe('Amount 3');
  });

  it('drops square brackets, which names may not hold', () => {
    expect(uniqueName('Price [CNY]', [])).toBe('Price CNY');
    expect(uniqueName('[]', [])).toBe('Field');
  });
});
