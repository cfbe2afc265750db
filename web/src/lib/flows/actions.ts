// What the reader of a request may do, from the instance the server sends: their task's
// actions (by the node's type and what it allows) and the request-wide ones (`can`).
import { flattenSteps } from './path';
import type { InstanceInfo, MyTask } from './types';

export type Action = 'approve' | 'reject' | 'handle' | 'return' | 'transfer' | 'add_sign' | 'withdraw' | 'comment' | 'cc' | 'urge' | 'resubmit';

export interface Available {
  task: MyTask | null;
  /** The big buttons of the action bar, in order. */
  primary: Action[];
  /** The rest, in the "more" menu. */
  more: Action[];
}

/** The type of the node a task waits at: the task's own word for it, else its step's. */
export function taskType(inst: InstanceInfo, task: MyTask): string {
  if (task.kind === 'approve') return 'approver';
  if (task.kind === 'handle') return 'handler';
  const own = task.node_type ?? task.kind;
  if (own === 'approver' || own === 'handler') return own;
  return flattenSteps(inst.steps).find((s) => s.node_id === task.node_id)?.type ?? 'approver';
}

export function availableActions(inst: InstanceInfo): Available {
  // The initiator's "resubmit" task is the request-wide `can.resubmit`, not an approval task.
  const task = inst.my_tasks.find((x) => x.kind !== 'resubmit' && (!x.state || x.state === 'active' || x.state === 'pending')) ?? null;
  const primary: Action[] = [];
  const more: Action[] = [];
  if (task && inst.status === 'running') {
    const type = taskType(inst, task);
    const allow = task.allow ?? {};
    const can = (a: 'approve' | 'reject' | 'handle' | 'return' | 'transfer' | 'add_sign', byDefault: boolean) =>
      task.can && a in task.can ? !!task.can[a] : byDefault;
    if (type === 'handler') {
      if (can('handle', true)) primary.push('handle');
    } else {
      if (can('approve', true)) primary.push('approve');
      if (can('reject', allow.reject !== false)) primary.push('reject');
    }
    if (can('return', allow.return !== false)) more.push('return');
    if (can('transfer', allow.transfer !== false)) more.push('transfer');
    if (can('add_sign', allow.add_sign !== false && type !== 'handler')) more.push('add_sign');
  }
  if (inst.can.resubmit) primary.unshift('resubmit');
  const rest: Action[] = [];
  if (inst.can.comment) rest.push('comment');
  if (inst.can.urge) rest.push('urge');
  if (inst.can.cc) rest.push('cc');
  if (inst.can.withdraw) rest.push('withdraw');
  // Without a task of their own, the request-wide actions get the big buttons (two at most).
  if (!primary.length) primary.push(...rest.splice(0, 2));
  more.push(...rest);
  return { task, primary, more };
}

/** The nodes a request may be returned to: steps already done by people, but not the task's own. */
export function returnTargets(inst: InstanceInfo, task: MyTask | null): { id: string; name: string }[] {
  if (task?.return_targets) return task.return_targets.map((s) => ({ id: s.node_id, name: s.name }));
  const seen = new Set<string>();
  return flattenSteps(inst.steps)
    .filter((s) => s.state === 'done' && (s.type === 'approver' || s.type === 'handler') && s.node_id !== task?.node_id)
    .filter((s) => !seen.has(s.node_id) && seen.add(s.node_id))
    .map((s) => ({ id: s.node_id, name: s.name }));
}
