import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, api, buildUrl, parseProblem, pathMatches, setCsrfToken } from './api';

describe('parseProblem', () => {
  it('reads a problem+json body with field errors', () => {
    const body = JSON.stringify({
      type: 'https://tack.dev/problems/validation',
      title: 'Invalid input',
      status: 422,
      detail: 'Some fields are wrong.',
      errors: [{ path: '$.name', message: 'Must not be empty', rule: 'min_length' }],
    });
    const err = parseProblem(422, 'Unprocessable Entity', 'application/problem+json', body);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(422);
    expect(err.title).toBe('Invalid input');
    expect(err.detail).toBe('Some fields are wrong.');
    expect(err.type).toBe('https://tack.dev/problems/validation');
    expect(err.fieldError('name')).toBe('Must not be empty');
    expect(err.fieldError('email')).toBeNull();
  });

  it('falls back to the status text for non-JSON bodies', () => {
    const err = parseProblem(502, 'Bad Gateway', 'text/html', '<html>oops</html>');
    expect(err.title).toBe('Bad Gateway');
    expect(err.detail).toBeNull();
    expect(err.errors).toEqual([]);
  });

  it('keeps short plain-text bodies as detail', () => {
    const err = parseProblem(500, '', 'text/plain', 'database is locked');
    expect(err.title).toBe('HTTP 500');
    expect(err.detail).toBe('database is locked');
  });

  it('survives malformed JSON and odd error entries', () => {
    expect(parseProblem(400, 'Bad Request', 'application/json', '{not json').title).toBe('Bad Request');
    const err = parseProblem(400, 'Bad Request', 'application/json', JSON.stringify({ errors: [null, { path: 3, message: 'x' }] }));
    expect(err.title).toBe('Bad Request');
    expect(err.errors).toEqual([{ path: '', message: 'x', rule: undefined }]);
  });

  it('drops a detail that only repeats the title', () => {
    const err = parseProblem(401, 'Unauthorized', 'application/problem+json', JSON.stringify({ title: 'Unauthorized', detail: 'Unauthorized' }));
    expect(err.detail).toBeNull();
  });
});

describe('pathMatches', () => {
  it('matches the field and its children only', () => {
    expect(pathMatches('$.name', 'name')).toBe(true);
    expect(pathMatches('$.department_ids[0]', 'department_ids')).toBe(true);
    expect(pathMatches('$.manager.id', 'manager')).toBe(true);
    expect(pathMatches('$.names', 'name')).toBe(false);
    expect(pathMatches('name', 'name')).toBe(true);
  });
});

describe('buildUrl', () => {
  it('skips empty query values', () => {
    expect(buildUrl('/orgs/1/members', { q: 'ann', cursor: null, limit: 50, department_id: '' })).toBe(
      '/api/v1/orgs/1/members?q=ann&limit=50',
    );
  });
});

describe('request', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    setCsrfToken(null);
  });

  it('sends the CSRF token on unsafe requests only', async () => {
    const calls: [string, RequestInit][] = [];
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      calls.push([url, init]);
      return new Response(JSON.stringify({ ok: true }), { status: 200, headers: { 'content-type': 'application/json' } });
    });
    setCsrfToken('tok');
    await api.get('/me');
    await api.post('/orgs', { name: 'X' });
    expect((calls[0][1].headers as Record<string, string>)['X-CSRF-Token']).toBeUndefined();
    expect((calls[1][1].headers as Record<string, string>)['X-CSRF-Token']).toBe('tok');
    expect(calls[1][1].body).toBe('{"name":"X"}');
  });

  it('throws ApiError with the server problem', async () => {
    vi.stubGlobal('fetch', async () =>
      new Response(JSON.stringify({ title: 'Conflict', status: 409, detail: 'Department has members' }), {
        status: 409,
        headers: { 'content-type': 'application/problem+json' },
      }),
    );
    await expect(api.del('/orgs/1/departments/2')).rejects.toMatchObject({ status: 409, detail: 'Department has members' });
  });

  it('returns undefined for 204', async () => {
    vi.stubGlobal('fetch', async () => new Response(null, { status: 204 }));
    await expect(api.post('/auth/sign-out')).resolves.toBeUndefined();
  });

  it('maps network failures to status 0', async () => {
    vi.stubGlobal('fetch', async () => {
      throw new TypeError('Failed to fetch');
    });
    await expect(api.get('/me')).rejects.toMatchObject({ status: 0, title: 'Network error' });
  });
});
