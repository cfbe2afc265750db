import { describe, expect, it } from 'vitest';
import { dayEnd, dayStart, statusClass } from './inbox';

describe('inbox filters', () => {
  it('turn days into instants, the end being the next day’s start', () => {
    const s = dayStart('2025-03-09')!;
    const e = dayEnd('2025-03-09')!;
    expect(new Date(s).getDate()).toBe(9);
    expect(new Date(e).getDate()).toBe(10);
    expect(new Date(e).getTime() - new Date(s).getTime()).toBeGreaterThanOrEqual(23 * 3600e3);
    expect(dayStart('')).toBeUndefined();
    expect(dayEnd('9 March')).toBeUndefined();
  });

  it('classes statuses safely', () => {
    expect(statusClass('approved')).toBe('st-approved');
    expect(statusClass('we<ird>')).toBe('st-weird');
  });
});
