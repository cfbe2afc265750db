// The current language and the `t` function. Reading `i18n.locale` inside `t` makes every
// template that calls t() update when the language changes.
import en, { type MessageKey, type Messages } from './en';
import zhCN from './zh-CN';
import type { Locale } from '../lib/types';

export type { MessageKey };

const catalogs: Record<Locale, Messages> = { en, 'zh-CN': zhCN };
export const LOCALES: Locale[] = ['en', 'zh-CN'];
const STORAGE_KEY = 'tack.locale';

function initialLocale(): Locale {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === 'en' || saved === 'zh-CN') return saved;
  } catch {
    /* no storage */
  }
  const langs = typeof navigator !== 'undefined' ? navigator.languages ?? [navigator.language] : [];
  for (const l of langs) {
    const low = (l || '').toLowerCase();
    if (low.startsWith('zh')) return 'zh-CN';
    if (low.startsWith('en')) return 'en';
  }
  return 'en';
}

class I18n {
  locale = $state<Locale>(initialLocale());
}

export const i18n = new I18n();

if (typeof document !== 'undefined') document.documentElement.lang = i18n.locale;

export function setLocale(locale: Locale, opts: { remember?: boolean } = {}): void {
  if (!catalogs[locale]) return;
  i18n.locale = locale;
  if (typeof document !== 'undefined') document.documentElement.lang = locale;
  if (opts.remember !== false) {
    try {
      localStorage.setItem(STORAGE_KEY, locale);
    } catch {
      /* no storage */
    }
  }
}

export function t(key: MessageKey, params?: Record<string, string | number>): string {
  // `{count}` of 1 picks the `.one` variant where the catalog has one.
  const one = params?.count === 1 ? ((key + '.one') as MessageKey) : null;
  const cat = catalogs[i18n.locale];
  let s = (one && cat[one]) || cat[key] || en[key] || key;
  if (params) {
    for (const [k, v] of Object.entries(params)) s = s.split(`{${k}}`).join(String(v));
  }
  return s;
}

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(i18n.locale, { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(i18n.locale, { dateStyle: 'medium' }).format(d);
}
