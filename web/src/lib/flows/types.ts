// Shapes of the approval-flow part of the /api/v1 contract (docs/flows-api.md) and of the flow
// definition document (src/tack/flows/model.py: a DingTalk-style node tree).

// ---- the definition ------------------------------------------------------------------------

export type AssigneeRule =
  | { rule: 'members'; member_ids: string[] }
  | { rule: 'role'; role_id: string; within_initiator_department?: boolean }
  | { rule: 'department_head'; level?: number }
  | { rule: 'manager'; level?: number }
  | { rule: 'manager_chain'; up_to_level?: number | null; until_role_id?: string | null }
  | { rule: 'self_select'; multiple?: boolean; member_ids?: string[]; department_ids?: string[]; role_ids?: string[] }
  | { rule: 'initiator' }
  | { rule: 'field'; field_id: string };

export type RuleKind = AssigneeRule['rule'];
export type Mode = 'all' | 'any' | 'sequential';
export type FieldAccess = 'editable' | 'readonly' | 'hidden';
export type TimeUnit = 'minutes' | 'hours' | 'days' | 'working_hours' | 'working_days';
export type TimeoutAction = 'none' | 'auto_approve' | 'auto_reject' | 'escalate' | 'transfer';

export interface EmptyAssignee {
  action?: 'auto_pass' | 'admin' | 'member';
  member_id?: string | null;
}

export interface Timeout {
  after: number;
  unit?: TimeUnit;
  reminders?: number;
  action?: TimeoutAction;
  transfer_to?: string | null;
}

export interface Deadline {
  after: number;
  unit?: TimeUnit;
  action?: 'notify' | 'auto_reject';
}

export interface Allowed {
  return?: boolean;
  transfer?: boolean;
  add_sign?: boolean;
}

export interface StartNode {
  type: 'start';
  id: string;
  name?: string;
  everyone?: boolean;
  member_ids?: string[];
  department_ids?: string[];
  role_ids?: string[];
  fields?: Record<string, FieldAccess>;
}

export interface PersonNode {
  type: 'approver' | 'handler';
  id: string;
  name: string;
  assignees: AssigneeRule[];
  mode?: Mode;
  empty?: EmptyAssignee | null;
  fields?: Record<string, FieldAccess>;
  timeout?: Timeout | null;
  allow?: Allowed;
}

export interface CcNode {
  type: 'cc';
  id: string;
  name: string;
  assignees: AssigneeRule[];
  fields?: Record<string, FieldAccess>;
}

export interface Branch {
  id: string;
  name: string;
  nodes: FlowNode[];
  condition?: string | null;
  default?: boolean;
}

export interface BranchNode {
  type: 'condition' | 'parallel';
  id: string;
  name?: string;
  branches: Branch[];
}

export type AutomationAction =
  | { kind: 'set_field'; field_id: string; value: string }
  | { kind: 'start_flow'; form_id: string; values?: Record<string, string> }
  | { kind: 'notify'; to: AssigneeRule[]; message: string };

export interface AutomationNode {
  type: 'automation';
  id: string;
  name: string;
  actions: AutomationAction[];
}

export type FlowNode = StartNode | PersonNode | CcNode | BranchNode | AutomationNode;
export type NodeType = FlowNode['type'];
/** What the "+" between two nodes can add. */
export type AddableType = Exclude<NodeType, 'start'>;

export interface FlowSettings {
  dedupe?: 'keep_first' | 'consecutive' | 'off';
  auto_pass_initiator?: boolean;
  empty?: EmptyAssignee;
  on_resubmit?: 'from_returner' | 'restart';
  withdraw?: 'while_running' | 'until_first_action' | 'never';
  deadline?: Deadline | null;
  urge_interval_minutes?: number;
}

export interface FlowDef {
  name: string;
  nodes: FlowNode[];
  settings?: FlowSettings;
  description?: string | null;
}

// ---- definitions over the API -----------------------------------------------------------

export interface FlowProblem {
  path: string;
  node_id: string | null;
  message: string;
  rule?: string;
}

export interface FlowInfo {
  id: string;
  app_id: string;
  form_id: string;
  name: string;
  version: number | null;
  enabled: boolean;
  draft: FlowDef | null;
  published: FlowDef | null;
  problems: FlowProblem[];
  updated_at: string;
}

// ---- paths, instances, tasks ----------------------------------------------------------------

export interface PersonRef {
  id: string;
  name: string;
}

export type StepState = 'pending' | 'active' | 'done' | 'skipped' | 'planned';

export interface Step {
  node_id: string;
  type: NodeType | string;
  name: string;
  mode?: Mode | null;
  /** Left out when empty (a condition's step, an automation's). */
  assignees?: PersonRef[];
  state: StepState | string;
  branch?: string | null;
  branches?: { id: string; name: string; steps: Step[] }[] | null;
  note?: string | null;
}

/** A task of the request (`my_tasks`: the reader's pending ones). */
export interface MyTask {
  id: string;
  node_id: string;
  node_name?: string;
  /** approve (an approver's), handle (a handler's), resubmit (the initiator's after a return). */
  kind?: 'approve' | 'handle' | 'resubmit' | string;
  /** A node type, from servers that send one instead of `kind`. */
  node_type?: string;
  assignee?: PersonRef;
  on_behalf_of?: PersonRef | null;
  state?: string;
  due_at?: string | null;
  comment?: string | null;
  /** The nodes it may be returned to (besides the previous one and the initiator). */
  return_targets?: Step[];
  allow?: Allowed & { reject?: boolean };
  can?: Partial<Record<TaskAction, boolean>>;
}

export type TaskAction = 'approve' | 'reject' | 'handle' | 'return' | 'transfer' | 'add_sign';

export type InstanceStatus = 'running' | 'approved' | 'rejected' | 'withdrawn' | 'returned' | string;

export interface InstanceInfo {
  id: string;
  title: string;
  status: InstanceStatus;
  app_id: string;
  form_id: string;
  record_id: string;
  flow_id: string;
  flow_version: number;
  initiator: PersonRef | null;
  department_id: string | null;
  started_at: string;
  finished_at: string | null;
  seq: number;
  record: { id: string; data: Record<string, unknown>; version?: number | null } | null;
  fields: Record<string, FieldAccess>;
  steps: Step[];
  tasks?: MyTask[];
  my_tasks: MyTask[];
  can: { withdraw?: boolean; urge?: boolean; comment?: boolean; cc?: boolean; resubmit?: boolean };
}

export interface TimelineEvent {
  seq: number;
  type: string;
  at: string;
  actor: PersonRef | null;
  on_behalf_of: PersonRef | null;
  data: Record<string, unknown> | null;
}

export type InboxTab = 'todo' | 'done' | 'initiated' | 'cc';

export interface InboxItem {
  instance_id: string;
  task_id?: string | null;
  title: string;
  status: InstanceStatus;
  app_id: string;
  form_id: string;
  node_name?: string | null;
  state?: string | null;
  initiator: PersonRef | null;
  at: string;
  due_at?: string | null;
  unread: boolean;
}

export interface InboxCounts {
  todo: number;
  todo_unread: number;
  cc_unread: number;
  initiated_running: number;
}

export interface BatchResult {
  items: { task_id: string; ok: boolean; status: number; detail: string | null }[];
}
