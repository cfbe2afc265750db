import { describe, expect, it } from 'vitest';
import en from './en';
import zhCN from './zh-CN';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('message catalogs', () => {
  it('have the same keys', () => {
    expect(Object.keys(zhCN).sort()).toEqual(Object.keys(en).sort());
  });

  it('use the same placeholders in every message', () => {
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect([key, placeholders(zhCN[key])]).toEqual([key, placeholders(en[key])]);
    }
  });

  it('have no empty messages', () => {
    for (const [key, value] of [...Object.entries(en), ...Object.entries(zhCN)]) {
      expect([key, value.trim().length > 0]).toEqual([key, true]);
    }
  });
});
