// Stable ids the designer gives new fields and options, and names that do not collide.
//
// Field ids are made here, in the browser, so a field keeps its id from the moment it is
// dropped on the canvas: records key their data by it, and renaming never touches them.
// The server checks the shape: `f_` + 4..32 of [a-z0-9].
import type { FieldDef } from './types';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

function randomChars(n: number): string {
  const bytes = new Uint8Array(n);
  crypto.getRandomValues(bytes);
  // 256 is not a multiple of 36: drop the top bytes that would favour the first letters.
  let out = '';
  for (const b of bytes) {
    if (b >= 252) return out + randomChars(n - out.length);
    out += ALPHABET[b % 36];
  }
  return out;
}

export const FIELD_ID = /^f_[a-z0-9]{4,32}$/;

/** `f_` + 8 characters: 36^8 ≈ 2.8e12 ids, so a clash within one form is negligible. */
export function newFieldId(taken: Iterable<string> = []): string {
  const used = new Set(taken);
  for (;;) {
    const id = 'f_' + randomChars(8);
    if (!used.has(id)) return id;
  }
}

/** Option ids (stored in records): `o` + 6 characters, within the server's [A-Za-z0-9_-]{1,40}. */
export function newOptionId(taken: Iterable<string> = []): string {
  const used = new Set(taken);
  for (;;) {
    const id = 'o' + randomChars(6);
    if (!used.has(id)) return id;
  }
}

/** Every id used in a form, sub-table columns included (ids are unique across the form). */
export function allIds(fields: FieldDef[]): string[] {
  const out: string[] = [];
  for (const f of fields) {
    out.push(f.id);
    for (const c of f.columns ?? []) out.push(c.id);
  }
  return out;
}

const fold = (s: string) => s.trim().normalize('NFKC').toLocaleLowerCase();

/**
 * `base`, or `base 2`, `base 3`... — the first that no name in `names` takes (compared as the
 * server does: trimmed, case-insensitive). Square brackets, which names may not hold, are dropped.
 */
export function uniqueName(base: string, names: Iterable<string>): string {
  const clean = base.replace(/[[\]]/g, '').trim() || 'Field';
  const used = new Set([...names].map(fold));
  if (!used.has(fold(clean))) return clean;
  for (let n = 2; ; n++) {
    const candidate = `${clean} ${n}`;
    if (!used.has(fold(candidate))) return candidate;
  }
}
