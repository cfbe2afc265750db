import { describe, expect, it } from 'vitest';
import { availableActions, returnTargets } from './actions';
import type { InstanceInfo, Step } from './types';

const step = (node_id: string, type: string, state: string): Step => ({ node_id, type, name: node_id.toUpperCase(), assignees: [], state });

function inst(extra: Partial<InstanceInfo> = {}): InstanceInfo {
  return {
    id: 'i',
    title: 'Leave',
    status: 'running',
    app_id: 'a',
    form_id: 'f',
    record_id: 'r',
    flow_id: 'fl',
    flow_version: 1,
    initiator: { id: 'm', name: 'Carol' },
    department_id: null,
    started_at: '',
    finished_at: null,
    seq: 3,
    record: null,
    fields: {},
    steps: [step('n_start', 'start', 'done'), step('n_a', 'approver', 'done'), step('n_h', 'handler', 'active'), step('n_b', 'approver', 'active')],
    my_tasks: [],
    can: {},
    ...extra,
  };
}

describe('available actions', () => {
  it('gives an approver approve and reject, and the allowed extras', () => {
    const a = availableActions(inst({ my_tasks: [{ id: 't', node_id: 'n_b', allow: { transfer: false } }], can: { comment: true, urge: false } }));
    expect(a.task?.id).toBe('t');
    expect(a.primary).toEqual(['approve', 'reject']);
    expect(a.more).toEqual(['return', 'add_sign', 'comment']);
  });

  it('gives a handler "done" and no reject or add-sign', () => {
    const a = availableActions(inst({ my_tasks: [{ id: 't', node_id: 'n_h' }] }));
    expect(a.primary).toEqual(['handle']);
    expect(a.more).toEqual(['return', 'transfer']);
  });

  it('lets the task say what it allows', () => {
    const a = availableActions(inst({ my_tasks: [{ id: 't', node_id: 'n_b', can: { reject: false, return: false } }] }));
    expect(a.primary).toEqual(['approve']);
    expect(a.more).toEqual(['transfer', 'add_sign']);
  });

  it('without a task, offers what the request allows', () => {
    const a = availableActions(inst({ can: { comment: true, urge: true, withdraw: true, cc: true } }));
    expect(a.task).toBeNull();
    expect(a.primary).toEqual(['comment', 'urge']);
    expect(a.more).toEqual(['cc', 'withdraw']);
  });

  it('offers no task actions once the request is finished', () => {
    const a = availableActions(inst({ status: 'approved', my_tasks: [{ id: 't', node_id: 'n_b' }] }));
    expect(a.primary).toEqual([]);
  });

  it('returns only to steps done by people, not the task’s own', () => {
    const i = inst();
    expect(returnTargets(i, { id: 't', node_id: 'n_b' })).toEqual([{ id: 'n_a', name: 'N_A' }]);
  });
});

describe('tasks as the server sends them', () => {
  it('reads the kind, the allowed actions and the return targets', () => {
    const i = inst({
      my_tasks: [
        { id: 'r', node_id: 'n_start', kind: 'resubmit', state: 'pending' },
        {
          id: 't',
          node_id: 'n_x',
          kind: 'approve',
          state: 'pending',
          allow: { return: true, transfer: false, add_sign: true, reject: true },
          return_targets: [step('n_a', 'approver', 'done')],
        },
      ],
      can: { comment: true, cc: true, urge: false, withdraw: false, resubmit: false },
    });
    const a = availableActions(i);
    expect(a.task?.id).toBe('t');
    expect(a.primary).toEqual(['approve', 'reject']);
    expect(a.more).toEqual(['return', 'add_sign', 'comment', 'cc']);
    expect(returnTargets(i, a.task)).toEqual([{ id: 'n_a', name: 'N_A' }]);
  });

  it('a handle task gets "done"', () => {
    const a = availableActions(inst({ my_tasks: [{ id: 't', node_id: 'n_zz', kind: 'handle', state: 'pending', allow: { return: false, transfer: true, add_sign: false, reject: false } }] }));
    expect(a.primary).toEqual(['handle']);
    expect(a.more).toEqual(['transfer']);
  });
});
