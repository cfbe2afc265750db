import { describe, expect, it } from 'vitest';
import { buildTree, flatten, pathTo, siblings, subtreeIds } from './tree';
import type { Department } from './types';

function d(id: string, parent_id: string | null, position: number, name = id): Department {
  return { id, parent_id, name, position, head_ids: [], member_count: 0 };
}

const depts = [
  d('eng', 'root', 1, 'Engineering'),
  d('root', null, 0, 'Demo Co.'),
  d('sales', 'root', 0, 'Sales'),
  d('web', 'eng', 0, 'Web'),
  d('api', 'eng', 1, 'API'),
  d('ops', 'root', 2, 'Operations'),
];

describe('buildTree', () => {
  it('nests by parent_id and orders siblings by position', () => {
    const roots = buildTree(depts);
    expect(roots).toHaveLength(1);
    expect(roots[0].dept.id).toBe('root');
    expect(roots[0].children.map((n) => n.dept.id)).toEqual(['sales', 'eng', 'ops']);
    expect(roots[0].children[1].children.map((n) => n.dept.id)).toEqual(['web', 'api']);
    expect(roots[0].children[1].children[0].depth).toBe(2);
  });

  it('breaks position ties by name', () => {
    const roots = buildTree([d('r', null, 0), d('b', 'r', 0, 'Beta'), d('a', 'r', 0, 'Alpha')]);
    expect(roots[0].children.map((n) => n.dept.name)).toEqual(['Alpha', 'Beta']);
  });

  it('keeps orphans and cycles visible as roots', () => {
    const roots = buildTree([d('x', 'missing', 0), d('p', 'q', 0), d('q', 'p', 1)]);
    const ids = flatten(roots).map((n) => n.dept.id).sort();
    expect(ids).toEqual(['p', 'q', 'x']);
  });

  it('handles an empty list', () => {
    expect(buildTree([])).toEqual([]);
  });
});

describe('flatten', () => {
  it('walks depth first and skips closed branches', () => {
    const roots = buildTree(depts);
    expect(flatten(roots).map((n) => n.dept.id)).toEqual(['root', 'sales', 'eng', 'web', 'api', 'ops']);
    expect(flatten(roots, (id) => id !== 'eng').map((n) => n.dept.id)).toEqual(['root', 'sales', 'eng', 'ops']);
  });
});

describe('helpers', () => {
  it('subtreeIds includes the node and all descendants', () => {
    expect([...subtreeIds(depts, 'eng')].sort()).toEqual(['api', 'eng', 'web']);
  });
  it('pathTo goes from the root down', () => {
    expect(pathTo(depts, 'api').map((x) => x.id)).toEqual(['root', 'eng', 'api']);
    expect(pathTo(depts, 'nope')).toEqual([]);
  });
  it('siblings are in display order', () => {
    expect(siblings(depts, 'eng').map((x) => x.id)).toEqual(['sales', 'eng', 'ops']);
  });
});
