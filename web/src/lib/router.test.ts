import { describe, expect, it } from 'vitest';

// router.svelte.ts reads window.location at import; give it a minimal one.
(globalThis as unknown as { window: unknown }).window = { location: { pathname: '/', search: '' } };
const { match } = await import('./router.svelte');

describe('match', () => {
  it('extracts params', () => {
    expect(match('/orgs/:org/directory', '/orgs/abc/directory')).toEqual({ org: 'abc' });
    expect(match('/join/:code', '/join/A%20B')).toEqual({ code: 'A B' });
  });
  it('rejects other shapes', () => {
    expect(match('/orgs/:org/directory', '/orgs/abc/roles')).toBeNull();
    expect(match('/orgs/:org', '/orgs/abc/directory')).toBeNull();
    expect(match('/join/:code', '/join/%E0%A4%A')).toBeNull();
  });
  it('matches the root', () => {
    expect(match('/', '/')).toEqual({});
  });
});
