// Departments arrive flat; the UI needs them as a tree ordered by `position`.
import type { Department } from './types';

export interface DeptNode {
  dept: Department;
  depth: number;
  children: DeptNode[];
}

function bySiblingOrder(a: Department, b: Department): number {
  return a.position - b.position || a.name.localeCompare(b.name) || a.id.localeCompare(b.id);
}

/**
 * Builds the forest of departments. A department whose parent is unknown (or that would
 * close a cycle) becomes a root, so nothing the server sends is ever hidden.
 */
export function buildTree(departments: Department[]): DeptNode[] {
  const byId = new Map(departments.map((d) => [d.id, d]));
  const childrenOf = new Map<string | null, Department[]>();
  for (const d of departments) {
    const parent = d.parent_id !== null && byId.has(d.parent_id) && d.parent_id !== d.id ? d.parent_id : null;
    const list = childrenOf.get(parent) ?? [];
    list.push(d);
    childrenOf.set(parent, list);
  }
  const seen = new Set<string>();
  const build = (d: Department, depth: number): DeptNode => {
    seen.add(d.id);
    const kids = (childrenOf.get(d.id) ?? []).filter((c) => !seen.has(c.id)).sort(bySiblingOrder);
    return { dept: d, depth, children: kids.map((c) => build(c, depth + 1)) };
  };
  const roots = (childrenOf.get(null) ?? []).sort(bySiblingOrder).map((d) => build(d, 0));
  // Departments only reachable through a cycle: surface them as roots too.
  for (const d of [...departments].sort(bySiblingOrder)) {
    if (!seen.has(d.id)) roots.push(build(d, 0));
  }
  return roots;
}

/** Depth-first list of nodes, e.g. for an indented <select> or checklist. */
export function flatten(nodes: DeptNode[], isOpen: (id: string) => boolean = () => true): DeptNode[] {
  const out: DeptNode[] = [];
  const walk = (list: DeptNode[]) => {
    for (const n of list) {
      out.push(n);
      if (n.children.length && isOpen(n.dept.id)) walk(n.children);
    }
  };
  walk(nodes);
  return out;
}

/** Ids of `id` and everything below it. */
export function subtreeIds(departments: Department[], id: string): Set<string> {
  const out = new Set<string>([id]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const d of departments) {
      if (d.parent_id && out.has(d.parent_id) && !out.has(d.id)) {
        out.add(d.id);
        grew = true;
      }
    }
  }
  return out;
}

/** The chain from the root down to `id` (inclusive); empty if unknown. */
export function pathTo(departments: Department[], id: string): Department[] {
  const byId = new Map(departments.map((d) => [d.id, d]));
  const out: Department[] = [];
  let cur = byId.get(id);
  const guard = new Set<string>();
  while (cur && !guard.has(cur.id)) {
    guard.add(cur.id);
    out.unshift(cur);
    cur = cur.parent_id ? byId.get(cur.parent_id) : undefined;
  }
  return out;
}

/** Siblings of a department in display order (including itself). */
export function siblings(departments: Department[], id: string): Department[] {
  const d = departments.find((x) => x.id === id);
  if (!d) return [];
  return departments.filter((x) => x.parent_id === d.parent_id).sort(bySiblingOrder);
}
