// IANA time zone names for pickers; the browser knows them (no data file to ship).
let cache: string[] | null = null;

export function timeZones(): string[] {
  if (cache) return cache;
  const intl = Intl as unknown as { supportedValuesOf?: (k: string) => string[] };
  try {
    cache = intl.supportedValuesOf ? intl.supportedValuesOf('timeZone') : [];
  } catch {
    cache = [];
  }
  if (!cache.includes('UTC')) cache = ['UTC', ...cache];
  return cache;
}

export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}
