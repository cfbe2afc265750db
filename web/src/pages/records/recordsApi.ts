// The calls the records pages make: queries, edits, saved views, access, imports.
import { api } from '../../lib/api';
import type { RecordInfo, Values } from '../../lib/forms/types';
import type { SavedView, ViewConfig, ViewKind } from './model/view';

export interface Count {
  value: number;
  exact: boolean;
}

export interface RecordPage {
  items: RecordInfo[];
  next_cursor: string | null;
  count?: Count | null;
}

export interface FormAccess {
  form_id: string;
  app_id: string;
  is_app_admin: boolean;
  can_submit: boolean;
  can_read: boolean;
  can_edit: boolean;
  can_delete: boolean;
  hidden_fields: string[];
  readonly_fields: string[];
}

export const queryRecords = (orgId: string, formId: string, body: Record<string, unknown>) =>
  api.post<RecordPage>(`/orgs/${orgId}/forms/${formId}/records/query`, body);

export const updateRecord = (orgId: string, recordId: string, data: Values, expectedVersion: number) =>
  api.patch<RecordInfo>(`/orgs/${orgId}/records/${recordId}`, { data, expected_version: expectedVersion });

export const getRecord = (orgId: string, recordId: string) => api.get<RecordInfo>(`/orgs/${orgId}/records/${recordId}`);

export const deleteRecord = (orgId: string, recordId: string, expectedVersion: number) =>
  api.del<RecordInfo>(`/orgs/${orgId}/records/${recordId}?expected_version=${expectedVersion}`);

export interface BulkItemResult {
  index: number;
  status: number;
  problem?: { title: string; detail?: string };
}

/** Delete up to 1,000 records in one request; each item stands alone (`per_item`). */
export const bulkDelete = (orgId: string, formId: string, items: { id: string; expected_version: number }[]) =>
  api.post<{ changed: number; results: BulkItemResult[] }>(`/orgs/${orgId}/forms/${formId}/records/bulk-delete`, {
    items,
    mode: 'per_item',
  });

export const formAccess = (orgId: string, formId: string) => api.get<FormAccess>(`/orgs/${orgId}/forms/${formId}/access`);

export const listViews = (orgId: string, formId: string) => api.get<{ items: SavedView[] }>(`/orgs/${orgId}/forms/${formId}/views`);

export const createView = (orgId: string, formId: string, body: { name: string; kind: ViewKind; shared: boolean; config: ViewConfig }) =>
  api.post<SavedView>(`/orgs/${orgId}/forms/${formId}/views`, body);

export const updateView = (orgId: string, viewId: string, body: { name?: string; shared?: boolean; config?: ViewConfig; expected_version?: number }) =>
  api.patch<SavedView>(`/orgs/${orgId}/views/${viewId}`, body);

export const deleteView = (orgId: string, viewId: string) => api.del(`/orgs/${orgId}/views/${viewId}`);

/** Runs `task` over `items`, `width` at a time; the results in order, failures as errors. */
export async function inBatches<T, R>(items: T[], width: number, task: (item: T) => Promise<R>): Promise<(R | Error)[]> {
  const out: (R | Error)[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        out[i] = await task(items[i]);
      } catch (e) {
        out[i] = e instanceof Error ? e : new Error(String(e));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return out;
}

// ---- imports ----------------------------------------------------------------------------------

export type ImportState = 'pending' | 'running' | 'dry_run_done' | 'committed' | 'failed';

export interface ImportColumn {
  number: number;
  header: string;
  field_id?: string | null;
  field_name?: string | null;
  note?: string | null;
}

export interface ImportStatus {
  id: string;
  form_id: string;
  file_id: string;
  file_name: string;
  format: string;
  state: ImportState;
  dry_run: boolean;
  total_rows: number | null;
  processed_rows: number;
  created_rows: number;
  error_count: number;
  summary: { message?: string; by_rule?: Record<string, number>; by_column?: Record<string, number> };
  columns: ImportColumn[];
  mapping: Record<string, string | null>;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  sheet?: string | null;
}

export interface ImportProblem {
  line: number | null;
  column_number: number | null;
  column: string | null;
  field_id: string | null;
  field_name: string | null;
  rule: string;
  message: string;
  value?: string | null;
}

export interface ImportProblemList {
  items: ImportProblem[];
  total: number;
  next_cursor: string | null;
}

export const createImport = (orgId: string, formId: string, body: { file_id: string; mapping: Record<string, string | null>; dry_run: boolean; sheet?: string }) =>
  api.post<ImportStatus>(`/orgs/${orgId}/forms/${formId}/imports`, body);

export const getImport = (orgId: string, importId: string) => api.get<ImportStatus>(`/orgs/${orgId}/imports/${importId}`);

export const importProblems = (orgId: string, importId: string, cursor: string | null) =>
  api.get<ImportProblemList>(`/orgs/${orgId}/imports/${importId}/errors`, { cursor, limit: 200 });

export const commitImport = (orgId: string, importId: string) => api.post<ImportStatus>(`/orgs/${orgId}/imports/${importId}/commit`);

export function importRunning(s: ImportStatus): boolean {
  return s.state === 'pending' || s.state === 'running';
}
