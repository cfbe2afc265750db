// A small client for the /api/v1 JSON API.
//
// The session lives in a cookie; every unsafe request must also carry the CSRF token that
// GET /me (or sign-in) hands out. Failures arrive as RFC 9457 problem+json and are turned
// into ApiError so that forms can show per-field messages next to the right input.

export interface FieldError {
  path: string;
  message: string;
  rule?: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail: string | null;
  readonly errors: FieldError[];
  /** The whole problem document, for members beyond the standard ones (`formula_errors`, ...). */
  readonly body: Record<string, unknown>;

  constructor(init: {
    status: number;
    type?: string;
    title: string;
    detail?: string | null;
    errors?: FieldError[];
    body?: Record<string, unknown>;
  }) {
    super(init.detail ? `${init.title}: ${init.detail}` : init.title);
    this.name = 'ApiError';
    this.status = init.status;
    this.type = init.type ?? 'about:blank';
    this.title = init.title;
    this.detail = init.detail ?? null;
    this.errors = init.errors ?? [];
    this.body = init.body ?? {};
  }

  /** The message for a field, matching `$.name`, `$.name[0]` or `$.name.sub`. */
  fieldError(field: string): string | null {
    const hit = this.errors.find((e) => pathMatches(e.path, field));
    return hit ? hit.message : null;
  }
}

/** True when a JSON path such as `$.department_ids[0]` is about `field` (`department_ids`). */
export function pathMatches(path: string, field: string): boolean {
  const p = path.startsWith('$.') ? path.slice(2) : path.startsWith('$') ? path.slice(1) : path;
  if (p === field) return true;
  return p.startsWith(field) && (p[field.length] === '.' || p[field.length] === '[');
}

/** Turns a failed response's parts into an ApiError; never throws. */
export function parseProblem(status: number, statusText: string, contentType: string | null, body: string): ApiError {
  const fallbackTitle = statusText || (status === 0 ? 'Network error' : `HTTP ${status}`);
  const ct = (contentType ?? '').toLowerCase();
  if (body && (ct.includes('json') || /^\s*\{/.test(body))) {
    try {
      const data: unknown = JSON.parse(body);
      if (data && typeof data === 'object') {
        const d = data as Record<string, unknown>;
        const errors: FieldError[] = Array.isArray(d.errors)
          ? d.errors
              .filter((e): e is Record<string, unknown> => !!e && typeof e === 'object')
              .map((e) => ({
                path: typeof e.path === 'string' ? e.path : '',
                message: typeof e.message === 'string' ? e.message : String(e.message ?? ''),
                rule: typeof e.rule === 'string' ? e.rule : undefined,
              }))
          : [];
        const title = typeof d.title === 'string' && d.title ? d.title : fallbackTitle;
        // Litestar's own errors use `detail` as the human text and may carry `extra`.
        const detail = typeof d.detail === 'string' && d.detail !== title ? d.detail : null;
        return new ApiError({
          status: typeof d.status === 'number' ? d.status : status,
          type: typeof d.type === 'string' ? d.type : undefined,
          title,
          detail,
          errors,
          body: d,
        });
      }
    } catch {
      // fall through to plain text
    }
  }
  const text = body.trim();
  return new ApiError({
    status,
    title: fallbackTitle,
    detail: text && text.length < 300 && !text.startsWith('<') ? text : null,
  });
}

export type Query = Record<string, string | number | boolean | null | undefined>;

export function buildUrl(path: string, query?: Query): string {
  let url = '/api/v1' + path;
  if (query) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined || v === null || v === '') continue;
      params.set(k, String(v));
    }
    const s = params.toString();
    if (s) url += (url.includes('?') ? '&' : '?') + s;
  }
  return url;
}

let csrfToken: string | null = null;
let unauthorizedHandler: ((path: string) => void) | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** The CSRF token, for requests made outside `request` (uploads with progress use XHR). */
export function getCsrfToken(): string | null {
  return csrfToken;
}

/** Called when a request other than GET /me gets 401: the session has ended. */
export function onUnauthorized(handler: (path: string) => void): void {
  unauthorizedHandler = handler;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export async function request<T>(method: string, path: string, opts: { query?: Query; body?: unknown } = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  if (UNSAFE.has(method) && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(buildUrl(path, opts.query), {
      method,
      headers,
      credentials: 'same-origin',
      body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
    });
  } catch (e) {
    throw new ApiError({ status: 0, title: 'Network error', detail: e instanceof Error ? e.message : null });
  }
  if (res.status === 204 || res.status === 205) return undefined as T;
  const text = await res.text();
  if (!res.ok) {
    const err = parseProblem(res.status, res.statusText, res.headers.get('content-type'), text);
    if (res.status === 401 && unauthorizedHandler && path !== '/me' && !path.startsWith('/auth/')) {
      unauthorizedHandler(path);
    }
    throw err;
  }
  if (!text) return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError({ status: res.status, title: 'Invalid response', detail: 'The server sent something that is not JSON.' });
  }
}

export const api = {
  get: <T>(path: string, query?: Query) => request<T>('GET', path, { query }),
  post: <T>(path: string, body: unknown = {}, query?: Query) => request<T>('POST', path, { body, query }),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, { body }),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, { body }),
  del: <T = void>(path: string) => request<T>('DELETE', path),
};

/** Turns any thrown value into an ApiError so the UI has one shape to show. */
export function asApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  return new ApiError({ status: 0, title: e instanceof Error ? e.message : String(e) });
}
