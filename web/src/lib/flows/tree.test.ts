import { describe, expect, it } from 'vitest';
import {
  accessOf,
  addBranch,
  allIds,
  BRANCH_ID,
  cleanFlow,
  findBranch,
  findNode,
  insertNode,
  localProblems,
  makeDefault,
  moveBranch,
  moveNode,
  newBranchId,
  newFlow,
  newNodeId,
  normalizeFlow,
  NODE_ID,
  nodeIdFromPath,
  pinProblems,
  problemsByNode,
  removeBranch,
  removeNode,
  selfSelectNodes,
  setAccess,
  signatureOf,
} from './tree';
import type { BranchNode, FlowDef, PersonNode } from './types';

function flow(): FlowDef {
  return newFlow('Leave');
}

describe('ids', () => {
  it('have the shapes the server checks', () => {
    for (let i = 0; i < 200; i++) {
      expect(newNodeId()).toMatch(/^n_[a-z0-9]{8}$/);
      expect(newBranchId()).toMatch(/^b_[a-z0-9]{8}$/);
    }
    expect(NODE_ID.test(newNodeId())).toBe(true);
    expect(BRANCH_ID.test(newBranchId())).toBe(true);
  });

  it('are unique in a tree', () => {
    const def = flow();
    for (let i = 0; i < 30; i++) insertNode(def, null, 1, i % 2 ? 'condition' : 'approver');
    const ids = allIds(def.nodes);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('inserting and removing nodes', () => {
  it('keeps the start node first', () => {
    const def = flow();
    const a = insertNode(def, null, 0, 'approver')!;
    expect(def.nodes[0].type).toBe('start');
    expect(def.nodes[1]).toBe(a);
    expect(removeNode(def, def.nodes[0].id)).toBe(false);
    expect(moveNode(def, a.id, -1)).toBe(false);
  });

  it('inserts into a branch and finds it there', () => {
    const def = flow();
    const cond = insertNode(def, null, 1, 'condition') as BranchNode;
    expect(cond.branches).toHaveLength(2);
    expect(cond.branches[1].default).toBe(true);
    const inner = insertNode(def, cond.branches[0].id, 0, 'approver')!;
    const place = findNode(def.nodes, inner.id)!;
    expect(place.branch?.id).toBe(cond.branches[0].id);
    expect(place.parent?.id).toBe(cond.id);
    expect(removeNode(def, inner.id)).toBe(true);
    expect(cond.branches[0].nodes).toHaveLength(0);
  });

  it('makes nodes the server can store', () => {
    const def = flow();
    for (const type of ['approver', 'handler', 'cc', 'condition', 'parallel', 'automation'] as const) insertNode(def, null, 99, type);
    const person = def.nodes[1] as PersonNode;
    expect(person.assignees.length).toBeGreaterThan(0);
    const blocking = localProblems(def).filter((p) => p.rule !== 'noCondition');
    expect(blocking).toEqual([]);
  });

  it('moves within its list', () => {
    const def = flow();
    const a = insertNode(def, null, 9, 'approver')!;
    const b = insertNode(def, null, 9, 'cc')!;
    expect(moveNode(def, b.id, -1)).toBe(true);
    expect(def.nodes.map((n) => n.id)).toEqual([def.nodes[0].id, b.id, a.id]);
    expect(moveNode(def, a.id, 1)).toBe(false);
  });
});

describe('branches', () => {
  it('adds new condition branches above the default one', () => {
    const def = flow();
    const cond = insertNode(def, null, 1, 'condition') as BranchNode;
    const b = addBranch(def, cond.id)!;
    expect(cond.branches.map((x) => x.id)).toEqual([cond.branches[0].id, b.id, cond.branches[2].id]);
    expect(cond.branches[2].default).toBe(true);
    expect(b.name).toBe('Branch 2');
  });

  it('reorders priority without passing the default branch', () => {
    const def = flow();
    const cond = insertNode(def, null, 1, 'condition') as BranchNode;
    const first = cond.branches[0];
    const second = addBranch(def, cond.id)!;
    expect(moveBranch(def, second.id, -1)).toBe(true);
    expect(cond.branches[0]).toBe(second);
    expect(moveBranch(def, first.id, 1)).toBe(false); // the default is below
    expect(moveBranch(def, cond.branches[2].id, -1)).toBe(false); // the default does not move
  });

  it('makes another branch the default, moving it last', () => {
    const def = flow();
    const cond = insertNode(def, null, 1, 'condition') as BranchNode;
    cond.branches[0].condition = 'Days > 3';
    const first = cond.branches[0];
    expect(makeDefault(def, first.id)).toBe(true);
    expect(cond.branches[1]).toBe(first);
    expect(first.condition).toBeNull();
    expect(cond.branches.filter((b) => b.default)).toHaveLength(1);
  });

  it('removing one of two branches dissolves the node into the other', () => {
    const def = flow();
    const par = insertNode(def, null, 1, 'parallel') as BranchNode;
    const kept = insertNode(def, par.branches[1].id, 0, 'approver')!;
    expect(removeBranch(def, par.branches[0].id)).toBe('node');
    expect(def.nodes.map((n) => n.id)).toEqual([def.nodes[0].id, kept.id]);
  });

  it('removing the default of three makes the last one the default', () => {
    const def = flow();
    const cond = insertNode(def, null, 1, 'condition') as BranchNode;
    addBranch(def, cond.id);
    expect(removeBranch(def, cond.branches[2].id)).toBe('branch');
    expect(cond.branches).toHaveLength(2);
    expect(cond.branches[1].default).toBe(true);
    expect(findBranch(def.nodes, cond.branches[1].id)?.parent).toBe(cond);
  });
});

describe('field access', () => {
  it('defaults to editable at the start and read-only elsewhere; defaults are not stored', () => {
    const def = flow();
    const a = insertNode(def, null, 1, 'approver') as PersonNode;
    expect(accessOf(def.nodes[0], 'f_days')).toBe('editable');
    expect(accessOf(a, 'f_days')).toBe('readonly');
    setAccess(a, 'f_days', 'editable');
    expect(a.fields).toEqual({ f_days: 'editable' });
    setAccess(a, 'f_days', 'readonly');
    expect(a.fields).toEqual({});
  });
});

describe('problems', () => {
  it('are filed by node id, else by the path they name', () => {
    const def = flow();
    const cond = insertNode(def, null, 1, 'condition') as BranchNode;
    const inner = insertNode(def, cond.branches[0].id, 0, 'approver')!;
    const path = '$.nodes[1].branches[0].nodes[0].assignees';
    expect(nodeIdFromPath(def, path)).toBe(inner.id);
    expect(nodeIdFromPath(def, '$.nodes[1].branches[1].condition')).toBe(cond.branches[1].id);
    expect(nodeIdFromPath(def, '$.settings.deadline')).toBeNull();
    const byNode = problemsByNode(
      [
        { path, node_id: null, message: 'x' },
        { path: '$.nodes[1]', node_id: cond.id, message: 'y' },
        { path: '$.name', node_id: null, message: 'z' },
      ],
      def,
    );
    expect(byNode.get(inner.id)?.[0].message).toBe('x');
    expect(byNode.get(cond.id)?.[0].message).toBe('y');
    expect(byNode.get('')?.[0].message).toBe('z');
  });

  it('pins a branch condition’s problem on the branch, not on its condition node', () => {
    const def = flow();
    const cond = insertNode(def, null, 1, 'condition') as BranchNode;
    const pinned = pinProblems([{ path: '$.nodes[1].branches[0].condition', node_id: cond.id, message: 'Unknown field' }, { path: '$.settings', node_id: null, message: 's' }], def);
    expect(pinned.map((p) => p.node_id)).toEqual([cond.branches[0].id, null]);
  });

  it('finds incomplete rules and conditions locally', () => {
    const def = flow();
    const cond = insertNode(def, null, 1, 'condition') as BranchNode;
    const a = insertNode(def, cond.branches[1].id, 0, 'approver') as PersonNode;
    a.assignees = [{ rule: 'members', member_ids: [] }];
    const rules = localProblems(def).map((p) => [p.node_id, p.rule]);
    expect(rules).toContainEqual([cond.branches[0].id, 'noCondition']);
    expect(rules).toContainEqual([a.id, 'noMembers']);
  });
});

describe('cleanFlow and self-select', () => {
  it('blanks empty conditions and finds nodes the initiator chooses for', () => {
    const def = flow();
    const cond = insertNode(def, null, 1, 'condition') as BranchNode;
    cond.branches[0].condition = '  ';
    const a = insertNode(def, cond.branches[0].id, 0, 'approver') as PersonNode;
    a.assignees = [{ rule: 'self_select', multiple: true }];
    const clean = cleanFlow(def);
    expect((clean.nodes[1] as BranchNode).branches[0].condition).toBeNull();
    expect(cond.branches[0].condition).toBe('  '); // the page's copy is untouched
    expect(selfSelectNodes(def).map((x) => x.node.id)).toEqual([a.id]);
  });
});

describe('normalizeFlow', () => {
  it('fills in what the server leaves out', () => {
    const def = normalizeFlow({
      name: 'P',
      nodes: [{ type: 'start', id: 'n_s1' }, { type: 'condition', id: 'n_c1', branches: [{ id: 'b_1x', name: 'A', condition: 'TRUE' }, { id: 'b_2x', name: 'B', default: true }] } as never],
    });
    expect((def.nodes[1] as BranchNode).branches.map((b) => b.nodes)).toEqual([[], []]);
    expect(def.settings).toEqual({});
    expect(selfSelectNodes(def)).toEqual([]);
  });
});

describe('signatureOf', () => {
  it('changes with the branch itself, not with the nodes below it', () => {
    const def = flow();
    const cond = insertNode(def, null, 1, 'condition') as BranchNode;
    const b = cond.branches[0];
    const before = signatureOf(def, b.id);
    insertNode(def, b.id, 0, 'approver');
    expect(signatureOf(def, b.id)).toBe(before);
    b.condition = 'Days > 3';
    expect(signatureOf(def, b.id)).not.toBe(before);
    expect(signatureOf(def, 'n_gone')).toBeNull();
  });
});
