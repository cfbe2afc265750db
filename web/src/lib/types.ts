// Shapes of the /api/v1 JSON contract. Ids are UUID strings, times ISO 8601 UTC.

export type Locale = 'en' | 'zh-CN';
export type AdminRole = 'owner' | 'admin' | 'sub_admin' | 'member';

export interface User {
  id: string;
  email: string;
  name: string;
  phone: string | null;
  avatar_url: string | null;
  locale: Locale;
  time_zone: string;
}

export interface Membership {
  org_id: string;
  org_name: string;
  member_id: string;
  admin_role: AdminRole;
}

export interface Me {
  user: User;
  csrf_token: string;
  memberships: Membership[];
}

export interface Org {
  id: string;
  name: string;
  logo_url: string | null;
  locale: Locale;
  time_zone: string;
  created_at: string;
}

export interface Department {
  id: string;
  parent_id: string | null;
  name: string;
  position: number;
  head_ids: string[];
  member_count: number;
}

export interface Member {
  id: string;
  user_id: string | null;
  name: string;
  email: string;
  phone: string | null;
  avatar_url: string | null;
  job_title: string | null;
  employee_no: string | null;
  manager_id: string | null;
  department_ids: string[];
  status: 'active' | 'inactive';
  admin_role: AdminRole;
  admin_department_ids: string[];
  joined_at: string;
}

export interface Role {
  id: string;
  name: string;
  description: string | null;
  member_count: number;
}

export interface Invitation {
  id: string;
  code: string;
  department_id: string | null;
  expires_at: string | null;
  max_uses: number | null;
  uses: number;
  revoked: boolean;
  created_at: string;
}

export interface InvitationInfo {
  org_id: string;
  org_name: string;
  department_name: string | null;
  expires_at: string | null;
}

export interface ApiToken {
  id: string;
  name: string;
  kind: 'personal' | 'organization';
  scopes: string[];
  hint: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
}

export interface Scope {
  name: string;
  description: string;
}

export interface AuditEntry {
  id: string;
  at: string;
  actor_name: string | null;
  action: string;
  subject_type: string;
  subject_id: string | null;
  data: unknown;
}

export interface Page<T> {
  items: T[];
  next_cursor?: string | null;
}
