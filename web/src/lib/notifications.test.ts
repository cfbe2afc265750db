import { describe, expect, it } from 'vitest';
import { badgeText, resolveLink, say, timeAgo, withRead, type AppNotification } from './notifications';

const n = (id: string, read_at: string | null = null): AppNotification => ({
  id,
  kind: 'flow.task_assigned',
  title: 't',
  body: '',
  link: `/approvals/${id}`,
  subject: id,
  created_at: '2025-01-01T00:00:00Z',
  read_at,
});

describe('resolveLink', () => {
  it('puts org-relative links under the organization', () => {
    expect(resolveLink('org1', '/approvals/abc')).toBe('/orgs/org1/approvals/abc');
    expect(resolveLink('org1', '/orgs/org2/records/x')).toBe('/orgs/org2/records/x');
  });
  it('never leads off-site', () => {
    for (const bad of ['https://evil.example/', '//evil.example/x', 'approvals/x', '/\\evil.example', '']) {
      expect(resolveLink('org1', bad)).toBeNull();
    }
  });
});

describe('badgeText', () => {
  it('shows nothing, the count, or 99+', () => {
    expect(badgeText(0)).toBe('');
    expect(badgeText(-1)).toBe('');
    expect(badgeText(Number.NaN)).toBe('');
    expect(badgeText(7)).toBe('7');
    expect(badgeText(99)).toBe('99');
    expect(badgeText(100)).toBe('99+');
  });
});

describe('withRead', () => {
  it('marks the named unread ones and keeps the rest', () => {
    const items = [n('a'), n('b'), n('c', 'earlier')];
    const out = withRead(items, ['a', 'c'], 'now');
    expect(out.map((x) => x.read_at)).toEqual(['now', null, 'earlier']);
    expect(items[0].read_at).toBeNull();
    expect(withRead(items, 'all', 'now').map((x) => x.read_at)).toEqual(['now', 'now', 'earlier']);
  });
});

describe('timeAgo', () => {
  const now = new Date('2025-03-10T12:00:00Z');
  it('speaks in the reader’s language', () => {
    expect(timeAgo('2025-03-10T11:59:50Z', now, 'en')).toBe('just now');
    expect(timeAgo('2025-03-10T11:59:50Z', now, 'zh-CN')).toBe('刚刚');
    expect(timeAgo('2025-03-10T11:55:00Z', now, 'en')).toBe('5 minutes ago');
    expect(timeAgo('2025-03-10T09:00:00Z', now, 'en')).toBe('3 hours ago');
    expect(timeAgo('2025-03-09T12:00:00Z', now, 'en')).toBe('yesterday');
    expect(timeAgo('2025-01-01T00:00:00Z', now, 'en')).toMatch(/2025/);
    expect(timeAgo('not a time', now, 'en')).toBe('');
  });
});

describe('say', () => {
  it('fills placeholders in both languages', () => {
    expect(say('openUnread', 'en', { count: 3 })).toBe('Notifications, 3 unread');
    expect(say('openUnread', 'zh-CN', { count: '99+' })).toBe('通知，99+ 条未读');
  });
});
