// Who is signed in. GET /me is the source of truth; its csrf_token guards unsafe requests.
import { api, ApiError, setCsrfToken } from './api';
import { setLocale } from '../i18n/index.svelte';
import type { Me, Membership } from './types';

class Session {
  me = $state<Me | null>(null);
  loaded = $state(false);
}

export const session = new Session();

export function applyMe(me: Me): void {
  session.me = me;
  setCsrfToken(me.csrf_token);
  if (me.user.locale) setLocale(me.user.locale, { remember: false });
}

export function clearSession(): void {
  session.me = null;
  setCsrfToken(null);
}

/** Loads the session; resolves to null when not signed in. Other failures are thrown. */
export async function loadMe(): Promise<Me | null> {
  try {
    const me = await api.get<Me>('/me');
    applyMe(me);
    return me;
  } catch (e) {
    if (e instanceof ApiError && (e.status === 401 || e.status === 403)) {
      clearSession();
      return null;
    }
    throw e;
  } finally {
    session.loaded = true;
  }
}

export async function signIn(email: string, password: string): Promise<Me> {
  const me = await api.post<Me>('/auth/sign-in', { email, password });
  applyMe(me);
  return me;
}

export async function signOut(): Promise<void> {
  try {
    await api.post('/auth/sign-out');
  } finally {
    clearSession();
  }
}

export function membershipFor(orgId: string | undefined): Membership | undefined {
  if (!orgId) return undefined;
  return session.me?.memberships.find((m) => m.org_id === orgId);
}

export function isAdmin(m: Membership | undefined): boolean {
  return !!m && m.admin_role !== 'member';
}

const LAST_ORG = 'tack.lastOrg';

export function rememberOrg(orgId: string): void {
  try {
    localStorage.setItem(LAST_ORG, orgId);
  } catch {
    /* private mode */
  }
}

/** The organization to show when the address names none: the last one visited. */
export function currentOrgId(): string | undefined {
  const ms = session.me?.memberships ?? [];
  let last: string | null = null;
  try {
    last = localStorage.getItem(LAST_ORG);
  } catch {
    /* private mode */
  }
  return (ms.find((x) => x.org_id === last) ?? ms[0])?.org_id;
}

export function homePath(): string {
  const id = currentOrgId();
  return id ? `/orgs/${id}/directory` : '/orgs/new';
}
