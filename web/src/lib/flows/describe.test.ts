import { describe, expect, it } from 'vitest';
import { describeNode, describeRule } from './describe';
import type { FlowNode } from './types';

const t = (key: string, p?: Record<string, string | number>) => key + (p ? JSON.stringify(p) : '');
const names = { member: (id: string) => id.toUpperCase(), role: (id: string) => `role:${id}`, field: (id: string) => `field:${id}` };

describe('card summaries', () => {
  it('say who acts by each rule', () => {
    expect(describeRule({ rule: 'members', member_ids: ['a', 'b', 'c', 'd'] }, t, names)).toBe('flows.sum.members{"names":"A, B, C +1"}');
    expect(describeRule({ rule: 'manager' }, t, names)).toBe('flows.sum.manager');
    expect(describeRule({ rule: 'manager', level: 2 }, t, names)).toBe('flows.sum.managerN{"n":2}');
    expect(describeRule({ rule: 'manager_chain', up_to_level: 3 }, t, names)).toBe('flows.sum.chainLevel{"n":3}');
    expect(describeRule({ rule: 'manager_chain', until_role_id: 'r1' }, t, names)).toBe('flows.sum.chainRole{"name":"role:r1"}');
    expect(describeRule({ rule: 'role', role_id: 'r1', within_initiator_department: true }, t, names)).toBe('flows.sum.roleDept{"name":"role:r1"}');
    expect(describeRule({ rule: 'field', field_id: 'f_x' }, t, names)).toBe('flows.sum.field{"name":"field:f_x"}');
  });

  it('add the mode when several may act, and the timeout', () => {
    const n: FlowNode = { type: 'approver', id: 'n_a1', name: 'A', assignees: [{ rule: 'members', member_ids: ['a', 'b'] }], mode: 'all', timeout: { after: 2, unit: 'days' } };
    expect(describeNode(n, t, names)).toBe('flows.sum.members{"names":"A, B"} (flows.modeShort.all) · flows.sum.timeout{"after":2,"unit":"flows.unit.days"}');
    expect(describeNode({ type: 'start', id: 'n_s1', everyone: false }, t, names)).toBe('flows.sum.some');
  });
});
