// The notification center's API calls (GET/POST /orgs/{org}/notifications) and the small pure
// helpers the bell uses: where a notification leads, the badge text, "5 min ago", and its own
// few strings (kept here until they move into the i18n catalogs).
import { api } from './api';
import type { Locale } from './types';

export interface AppNotification {
  id: string;
  kind: string; // flow.task_assigned, flow.approved, flow.rejected, flow.returned, flow.urged, ...
  title: string;
  body: string;
  link: string; // a path of the web app, e.g. /approvals/<id>
  subject: string | null;
  created_at: string;
  read_at: string | null;
}

export interface NotificationPage {
  items: AppNotification[];
  next_cursor: string | null;
  unread: number;
}

export interface MarkedRead {
  marked: number;
  unread: number;
}

export function listNotifications(
  orgId: string,
  opts: { unread?: boolean; cursor?: string | null; limit?: number } = {},
): Promise<NotificationPage> {
  return api.get<NotificationPage>(`/orgs/${encodeURIComponent(orgId)}/notifications`, {
    unread: opts.unread ? 'true' : undefined,
    cursor: opts.cursor ?? undefined,
    limit: opts.limit,
  });
}

export async function unreadCount(orgId: string): Promise<number> {
  const r = await api.get<{ unread: number }>(`/orgs/${encodeURIComponent(orgId)}/notifications/unread-count`);
  return r.unread;
}

/** Marks the given notifications read, or all of them when `ids` is 'all'. */
export function markRead(orgId: string, ids: string[] | 'all'): Promise<MarkedRead> {
  return api.post<MarkedRead>(`/orgs/${encodeURIComponent(orgId)}/notifications/read`, ids === 'all' ? { all: true } : { ids });
}

/**
 * Where clicking a notification goes. The server links to org-relative paths (`/approvals/<id>`)
 * because a notification belongs to one organization; the web app's routes carry it
 * (`/orgs/<org>/approvals/<id>`). A path already under `/orgs/` is kept; anything that is not a
 * same-site path (`//host`, `https:`) goes nowhere rather than off-site.
 */
export function resolveLink(orgId: string, link: string): string | null {
  if (!link.startsWith('/') || link.startsWith('//') || link.includes('\\')) return null;
  if (link === '/orgs' || link.startsWith('/orgs/')) return link;
  return `/orgs/${encodeURIComponent(orgId)}${link}`;
}

/** The unread badge: nothing for 0, "99+" beyond 99. */
export function badgeText(unread: number): string {
  if (!Number.isFinite(unread) || unread <= 0) return '';
  return unread > 99 ? '99+' : String(Math.floor(unread));
}

/** `items` with the given ids (or all) marked read at `at`; other items are returned unchanged. */
export function withRead(items: AppNotification[], ids: string[] | 'all', at: string): AppNotification[] {
  const pick = ids === 'all' ? null : new Set(ids);
  return items.map((n) => (n.read_at === null && (pick === null || pick.has(n.id)) ? { ...n, read_at: at } : n));
}

/** "just now", "5 minutes ago", "yesterday", ... in the reader's language. */
export function timeAgo(iso: string, now: Date, locale: Locale): string {
  const then = new Date(iso).getTime();
  if (Number.isNaN(then)) return '';
  const seconds = Math.round((then - now.getTime()) / 1000);
  const fmt = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  const abs = Math.abs(seconds);
  if (abs < 45) return say('justNow', locale);
  if (abs < 3600) return fmt.format(Math.round(seconds / 60), 'minute');
  if (abs < 86400) return fmt.format(Math.round(seconds / 3600), 'hour');
  if (abs < 7 * 86400) return fmt.format(Math.round(seconds / 86400), 'day');
  return new Date(iso).toLocaleDateString(locale, { year: 'numeric', month: 'short', day: 'numeric' });
}

const STRINGS = {
  en: {
    title: 'Notifications',
    open: 'Notifications',
    openUnread: 'Notifications, {count} unread',
    markAllRead: 'Mark all read',
    empty: 'Nothing new. You will be told here when someone needs you.',
    more: 'Show more',
    justNow: 'just now',
    unreadDot: 'Unread',
    loadFailed: 'Could not load notifications.',
  },
  'zh-CN': {
    title: '通知',
    open: '通知',
    openUnread: '通知，{count} 条未读',
    markAllRead: '全部标为已读',
    empty: '暂无新通知。有人需要您处理时会在这里提醒您。',
    more: '加载更多',
    justNow: '刚刚',
    unreadDot: '未读',
    loadFailed: '无法加载通知。',
  },
} as const;

export type NotificationString = keyof (typeof STRINGS)['en'];

/** The bell's own strings, in `locale` (English when the language has none). */
export function say(key: NotificationString, locale: Locale, params: Record<string, string | number> = {}): string {
  const catalog: Record<NotificationString, string> = STRINGS[locale] ?? STRINGS.en;
  let s = catalog[key] ?? STRINGS.en[key];
  for (const [k, v] of Object.entries(params)) s = s.split(`{${k}}`).join(String(v));
  return s;
}
