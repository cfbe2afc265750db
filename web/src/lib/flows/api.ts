// The approval-flow endpoints (docs/flows-api.md), one function each, so pages read like
// what they do and the paths live in one place.
import { api } from '../api';
import type { Values } from '../forms/types';
import type { BatchResult, FlowDef, FlowInfo, InboxCounts, InboxItem, InboxTab, InstanceInfo, Step, TimelineEvent } from './types';

const o = (org: string) => `/orgs/${org}`;

export interface SubmitBody {
  data: Values;
  selections?: Record<string, string[]>;
  department_id?: string | null;
}

/** What every task action may carry. */
export interface ActionBody {
  comment?: string;
  attachments?: string[];
  signature?: string;
  data?: Values;
}

export interface InboxQuery {
  app_id?: string;
  form_id?: string;
  since?: string;
  until?: string;
  unread?: boolean;
  cursor?: string | null;
  limit?: number;
}

export const flowsApi = {
  // definitions
  getFlow: (org: string, formId: string) => api.get<FlowInfo>(`${o(org)}/forms/${formId}/flow`),
  saveDraft: (org: string, formId: string, definition: FlowDef, enabled?: boolean) =>
    api.put<FlowInfo>(`${o(org)}/forms/${formId}/flow`, enabled === undefined ? { definition } : { definition, enabled }),
  publish: (org: string, flowId: string) => api.post<FlowInfo>(`${o(org)}/flows/${flowId}/publish`),

  // submitting
  preview: (org: string, formId: string, body: SubmitBody) => api.post<{ steps: Step[]; needs_selection?: string[] }>(`${o(org)}/forms/${formId}/approvals/preview`, body),
  submit: (org: string, formId: string, body: SubmitBody) => api.post<InstanceInfo>(`${o(org)}/forms/${formId}/approvals`, body),

  // instances
  instance: (org: string, id: string) => api.get<InstanceInfo>(`${o(org)}/approvals/${id}`),
  timeline: (org: string, id: string) => api.get<{ items: TimelineEvent[] } | TimelineEvent[]>(`${o(org)}/approvals/${id}/timeline`),
  withdraw: (org: string, id: string, comment?: string) => api.post(`${o(org)}/approvals/${id}/withdraw`, comment ? { comment } : {}),
  urge: (org: string, id: string) => api.post(`${o(org)}/approvals/${id}/urge`, {}),
  comment: (org: string, id: string, body: { text: string; mentions?: string[]; attachments?: string[] }) =>
    api.post(`${o(org)}/approvals/${id}/comments`, body),
  cc: (org: string, id: string, memberIds: string[]) => api.post(`${o(org)}/approvals/${id}/cc`, { member_ids: memberIds }),
  resubmit: (org: string, id: string, data: Values) => api.post(`${o(org)}/approvals/${id}/resubmit`, { data }),
  markRead: (org: string, id: string) => api.post(`${o(org)}/approvals/${id}/read`, {}),

  // tasks
  act: (org: string, taskId: string, action: 'approve' | 'reject' | 'handle', body: ActionBody) => api.post(`${o(org)}/tasks/${taskId}/${action}`, body),
  returnTo: (org: string, taskId: string, to: string, body: ActionBody) => api.post(`${o(org)}/tasks/${taskId}/return`, { ...body, to }),
  transfer: (org: string, taskId: string, to: string, body: ActionBody) => api.post(`${o(org)}/tasks/${taskId}/transfer`, { ...body, to }),
  addSign: (org: string, taskId: string, position: 'before' | 'after' | 'parallel', memberIds: string[], body: ActionBody) =>
    api.post(`${o(org)}/tasks/${taskId}/add-sign`, { ...body, position, member_ids: memberIds }),
  batchApprove: (org: string, taskIds: string[], comment?: string) =>
    api.post<BatchResult>(`${o(org)}/tasks/batch-approve`, comment ? { task_ids: taskIds, comment } : { task_ids: taskIds }),

  // inbox
  inbox: (org: string, tab: InboxTab, q: InboxQuery = {}) =>
    api.get<{ items: InboxItem[]; next_cursor: string | null }>(`${o(org)}/inbox/${tab}`, {
      app_id: q.app_id,
      form_id: q.form_id,
      since: q.since,
      until: q.until,
      unread: q.unread ? true : undefined,
      cursor: q.cursor ?? undefined,
      limit: q.limit,
    }),
  counts: (org: string) => api.get<InboxCounts>(`${o(org)}/inbox/counts`),
};

/** The timeline answer as a list, whether the server wraps it in `{items}` or not. */
export function timelineItems(r: { items: TimelineEvent[] } | TimelineEvent[]): TimelineEvent[] {
  return Array.isArray(r) ? r : (r?.items ?? []);
}
