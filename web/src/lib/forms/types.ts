// Shapes of the apps, forms and records parts of the /api/v1 contract.

export interface AppInfo {
  id: string;
  name: string;
  description: string | null;
  icon: string | null;
  created_at: string;
  updated_at: string;
}

export interface FieldDef {
  id: string;
  name: string;
  type: string;
  required?: boolean;
  unique?: boolean;
  help?: string | null;
  placeholder?: string | null;
  default?: string | null;
  visible_if?: string | null;
  required_if?: string | null;
  settings?: Record<string, unknown>;
  columns?: FieldDef[] | null;
}

export interface FormDef {
  name: string;
  description?: string | null;
  fields: FieldDef[];
}

export interface FormInfo {
  id: string;
  app_id: string;
  name: string;
  version: number;
  definition: FormDef;
  updated_at: string;
}

export interface FormSummary {
  id: string;
  app_id: string;
  name: string;
  version: number;
  updated_at: string;
}

export interface SelectOption {
  id: string;
  label: string;
  color?: string | null;
}

export type Values = Record<string, unknown>;

export interface RecordInfo {
  id: string;
  form_id: string;
  form_version: number;
  version: number;
  data: Values;
  status: string;
  created_by: string | null;
  created_at: string;
  updated_by: string | null;
  updated_at: string;
  deleted: boolean;
}

export interface Revision {
  version: number;
  kind: string;
  at: string;
  actor_member_id: string | null;
  actor_name: string;
  changes: Record<string, [unknown, unknown]>;
}

export interface CommentInfo {
  id: string;
  record_id: string;
  member_id: string | null;
  author_name: string;
  body: string;
  mentions: string[];
  created_at: string;
}

export interface ServerFieldError {
  path: string;
  message: string;
  rule?: string;
}

export interface FormulaProblem {
  path: string;
  message: string;
  kind: string;
  line: number;
  column: number;
  offset: number;
  end: number;
}

export interface FormCheck {
  ok: boolean;
  errors: ServerFieldError[];
  formula_errors: FormulaProblem[];
  types: Record<string, string>;
}

/** A sub-table cell: [table field id, row index, column id]. */
export type Cell = [string, number, string];

export interface PreviewResult {
  data: Values;
  hidden: string[];
  hidden_cells: Cell[];
  required: string[];
  required_cells: Cell[];
  errors: ServerFieldError[];
}

export interface FileInfo {
  id: string;
  name: string;
  content_type: string;
  declared_type: string | null;
  size: number;
  sha256: string;
  purpose: string;
  created_by: string | null;
  created_at: string;
  url: string;
}

export interface LocationValue {
  lat: number;
  lng: number;
  address?: string;
}
