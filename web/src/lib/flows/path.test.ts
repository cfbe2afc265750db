import { describe, expect, it } from 'vitest';
import { bodyKey, choicesOnPath, flattenSteps, selectionsFor } from './path';
import type { FlowDef, Step } from './types';

const step = (node_id: string, extra: Partial<Step> = {}): Step => ({ node_id, type: 'approver', name: node_id, assignees: [], state: 'planned', ...extra });

const def: FlowDef = {
  name: 'Leave',
  nodes: [
    { type: 'start', id: 'n_start' },
    {
      type: 'condition',
      id: 'n_cond',
      branches: [
        { id: 'b_long', name: 'Long', condition: 'Days > 3', nodes: [{ type: 'approver', id: 'n_pick', name: 'Pick', assignees: [{ rule: 'self_select', multiple: true }] }] },
        { id: 'b_else', name: 'Else', default: true, nodes: [{ type: 'approver', id: 'n_one', name: 'One', assignees: [{ rule: 'self_select' }] }] },
      ],
    },
  ],
};

describe('path', () => {
  it('flattens branches in order', () => {
    const steps = [step('a'), step('p', { type: 'parallel', branches: [{ id: 'b1', name: 'B1', steps: [step('x')] }, { id: 'b2', name: 'B2', steps: [step('y')] }] }), step('z')];
    expect(flattenSteps(steps).map((s) => s.node_id)).toEqual(['a', 'p', 'x', 'y', 'z']);
  });

  it('asks only for choices on the previewed path', () => {
    expect(choicesOnPath(def, null).map((c) => c.nodeId)).toEqual(['n_pick', 'n_one']);
    const c = choicesOnPath(def, [step('n_start', { type: 'start' }), step('n_cond', { type: 'condition', branch: 'Else' }), step('n_one', { name: 'One!' })]);
    expect(c).toEqual([{ nodeId: 'n_one', name: 'One!', multiple: false, rule: { rule: 'self_select' } }]);
  });

  it('falls back to the notes without a definition', () => {
    expect(choicesOnPath(null, [step('n_x', { note: 'you choose' }), step('n_y')]).map((c) => c.nodeId)).toEqual(['n_x']);
    expect(choicesOnPath(null, [step('n_x'), step('n_y')], ['n_y', 'n_gone']).map((c) => c.nodeId)).toEqual(['n_y']);
  });

  it('sends selections of steps on the path, one for single choices', () => {
    const choices = choicesOnPath(def, null);
    expect(selectionsFor(choices, { n_pick: ['a', 'b'], n_one: ['c', 'd'], n_gone: ['e'] })).toEqual({ n_pick: ['a', 'b'], n_one: ['c'] });
    expect(selectionsFor(choices, { n_pick: [] })).toEqual({});
  });

  it('keys bodies regardless of key order', () => {
    expect(bodyKey({ data: { b: 1, a: 2 } })).toBe(bodyKey({ data: { a: 2, b: 1 } }));
    expect(bodyKey({ data: { a: [2, 1] } })).not.toBe(bodyKey({ data: { a: [1, 2] } }));
  });
});
