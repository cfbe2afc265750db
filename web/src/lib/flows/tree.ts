// The flow designer's edits on the node tree, free of the DOM. A node list is addressed by the
// branch that holds it (null: the root list); node and branch ids are unique across the tree,
// so one id finds one place. Every edit changes the tree in place (the page holds it in a
// Svelte $state proxy), and keeps it structurally valid: what the server refuses to even store
// (a branch node with fewer than two branches, a person node with no rule) never arises here;
// what it only warns about (a branch without a condition) is left to its `problems`.
import type { AddableType, AssigneeRule, Branch, BranchNode, FieldAccess, FlowDef, FlowNode, FlowProblem, StartNode } from './types';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

function randomChars(n: number): string {
  const bytes = new Uint8Array(n);
  crypto.getRandomValues(bytes);
  let out = '';
  for (const b of bytes) {
    // 256 is not a multiple of 36: drop the top bytes that would favour the first letters.
    if (b >= 252) return out + randomChars(n - out.length);
    out += ALPHABET[b % 36];
  }
  return out;
}

export const NODE_ID = /^n_[a-z0-9_]{2,40}$/;
export const BRANCH_ID = /^b_[a-z0-9_]{2,40}$/;

/** `n_` + 8 of [a-z0-9], not yet used in the tree. */
export function newNodeId(taken: Iterable<string> = []): string {
  const used = new Set(taken);
  for (;;) {
    const id = 'n_' + randomChars(8);
    if (!used.has(id)) return id;
  }
}

/** `b_` + 8 of [a-z0-9], not yet used in the tree. */
export function newBranchId(taken: Iterable<string> = []): string {
  const used = new Set(taken);
  for (;;) {
    const id = 'b_' + randomChars(8);
    if (!used.has(id)) return id;
  }
}

/** The names new nodes and branches get (the page passes translated ones). */
export interface Labels {
  node: (type: AddableType | 'start') => string;
  branch: (n: number) => string;
  otherwise: string;
  notifyMessage: string;
}

export const PLAIN_LABELS: Labels = {
  node: (type) => ({ start: 'Submit', approver: 'Approver', handler: 'Handler', cc: 'CC', condition: 'Condition', parallel: 'Parallel', automation: 'Automation' })[type],
  branch: (n) => `Branch ${n}`,
  otherwise: 'Otherwise',
  notifyMessage: 'A request needs your attention',
};

/** Every node and branch id in the tree. */
export function allIds(nodes: FlowNode[]): string[] {
  const out: string[] = [];
  const walk = (list: FlowNode[]) => {
    for (const n of list) {
      out.push(n.id);
      if (isBranchNode(n)) {
        for (const b of n.branches) {
          out.push(b.id);
          walk(b.nodes ?? []);
        }
      }
    }
  };
  walk(nodes);
  return out;
}

export function isBranchNode(n: FlowNode): n is BranchNode {
  return n.type === 'condition' || n.type === 'parallel';
}

export function isPersonNode(n: FlowNode): n is Extract<FlowNode, { assignees: AssigneeRule[] }> {
  return n.type === 'approver' || n.type === 'handler' || n.type === 'cc';
}

/**
 * A definition as the server sends it, made whole for editing: the server leaves out what holds
 * its default (an empty branch's `nodes`, empty `settings`), the designer wants it there.
 */
export function normalizeFlow(def: FlowDef): FlowDef {
  const walk = (list: FlowNode[]) => {
    for (const n of list) {
      if (isBranchNode(n)) {
        for (const b of n.branches) {
          b.nodes = b.nodes ?? [];
          walk(b.nodes);
        }
      }
    }
  };
  def.nodes = def.nodes ?? [];
  walk(def.nodes);
  def.settings = def.settings ?? {};
  return def;
}

/** A new flow: only the start node. */
export function newFlow(name: string, labels: Labels = PLAIN_LABELS): FlowDef {
  return { name, nodes: [{ type: 'start', id: newNodeId(), name: labels.node('start') }], settings: {} };
}

function makeBranch(taken: string[], name: string, extra: Partial<Branch> = {}): Branch {
  const id = newBranchId(taken);
  taken.push(id);
  return { id, name, nodes: [], ...extra };
}

/** A new node of a type, with settings the server accepts as they are. */
export function makeNode(type: AddableType, taken: string[], labels: Labels = PLAIN_LABELS): FlowNode {
  const id = newNodeId(taken);
  taken.push(id);
  const name = labels.node(type);
  switch (type) {
    case 'approver':
      return { type, id, name, assignees: [{ rule: 'manager', level: 1 }], mode: 'any' };
    case 'handler':
      return { type, id, name, assignees: [{ rule: 'manager', level: 1 }], mode: 'any' };
    case 'cc':
      return { type, id, name, assignees: [{ rule: 'manager', level: 1 }] };
    case 'condition':
      return {
        type,
        id,
        name,
        branches: [makeBranch(taken, labels.branch(1), { condition: null }), makeBranch(taken, labels.otherwise, { default: true })],
      };
    case 'parallel':
      return { type, id, name, branches: [makeBranch(taken, labels.branch(1)), makeBranch(taken, labels.branch(2))] };
    case 'automation':
      return { type, id, name, actions: [{ kind: 'notify', to: [{ rule: 'initiator' }], message: labels.notifyMessage }] };
  }
}

export interface Place {
  node: FlowNode;
  list: FlowNode[];
  index: number;
  /** The branch whose list holds the node (null: the root list). */
  branch: Branch | null;
  /** The branch node around that branch. */
  parent: BranchNode | null;
}

/** Where a node sits in the tree. */
export function findNode(nodes: FlowNode[], id: string): Place | null {
  const walk = (list: FlowNode[], branch: Branch | null, parent: BranchNode | null): Place | null => {
    for (let i = 0; i < list.length; i++) {
      const n = list[i];
      if (n.id === id) return { node: n, list, index: i, branch, parent };
      if (isBranchNode(n)) {
        for (const b of n.branches) {
          const hit = walk(b.nodes ?? [], b, n);
          if (hit) return hit;
        }
      }
    }
    return null;
  };
  return walk(nodes, null, null);
}

/** A branch and the branch node holding it. */
export function findBranch(nodes: FlowNode[], id: string): { branch: Branch; parent: BranchNode } | null {
  const walk = (list: FlowNode[]): { branch: Branch; parent: BranchNode } | null => {
    for (const n of list) {
      if (!isBranchNode(n)) continue;
      for (const b of n.branches) {
        if (b.id === id) return { branch: b, parent: n };
        const hit = walk(b.nodes ?? []);
        if (hit) return hit;
      }
    }
    return null;
  };
  return walk(nodes);
}

/** The node list a branch holds (null: the root list). */
export function listOf(nodes: FlowNode[], branchId: string | null): FlowNode[] | null {
  if (branchId === null) return nodes;
  return findBranch(nodes, branchId)?.branch.nodes ?? null;
}

/** Adds a node at `index` of a list; the root list's first place stays the start node's. */
export function insertNode(def: FlowDef, branchId: string | null, index: number, type: AddableType, labels: Labels = PLAIN_LABELS): FlowNode | null {
  const list = listOf(def.nodes, branchId);
  if (!list) return null;
  const node = makeNode(type, allIds(def.nodes), labels);
  const min = branchId === null && list[0]?.type === 'start' ? 1 : 0;
  list.splice(Math.max(min, Math.min(index, list.length)), 0, node);
  return node;
}

/** Removes a node (never the start node). */
export function removeNode(def: FlowDef, id: string): boolean {
  const place = findNode(def.nodes, id);
  if (!place || place.node.type === 'start') return false;
  place.list.splice(place.index, 1);
  return true;
}

/** Moves a node one place up or down within its list (never above the start node). */
export function moveNode(def: FlowDef, id: string, delta: -1 | 1): boolean {
  const place = findNode(def.nodes, id);
  if (!place || place.node.type === 'start') return false;
  const to = place.index + delta;
  if (to < 0 || to >= place.list.length || place.list[to].type === 'start') return false;
  const [n] = place.list.splice(place.index, 1);
  place.list.splice(to, 0, n);
  return true;
}

/** A new branch: for a condition node just above the default branch (which stays last). */
export function addBranch(def: FlowDef, nodeId: string, labels: Labels = PLAIN_LABELS): Branch | null {
  const place = findNode(def.nodes, nodeId);
  if (!place || !isBranchNode(place.node)) return null;
  const node = place.node;
  const taken = allIds(def.nodes);
  const named = node.branches.filter((b) => !b.default).length;
  const b = makeBranch(taken, labels.branch(named + 1), node.type === 'condition' ? { condition: null } : {});
  const at = node.type === 'condition' && node.branches[node.branches.length - 1]?.default ? node.branches.length - 1 : node.branches.length;
  node.branches.splice(at, 0, b);
  return b;
}

/**
 * Removes a branch. A branch node keeps at least two branches: removing one of the last two
 * removes the whole node, and the remaining branch's nodes take its place (as in DingTalk).
 * Returns what happened.
 */
export function removeBranch(def: FlowDef, branchId: string): 'branch' | 'node' | null {
  const hit = findBranch(def.nodes, branchId);
  if (!hit) return null;
  const { parent } = hit;
  const place = findNode(def.nodes, parent.id)!;
  if (parent.branches.length > 2) {
    parent.branches.splice(parent.branches.indexOf(hit.branch), 1);
    if (parent.type === 'condition' && !parent.branches.some((b) => b.default)) {
      const last = parent.branches[parent.branches.length - 1];
      last.default = true;
      last.condition = null;
    }
    return 'branch';
  }
  const keep = parent.branches.find((b) => b !== hit.branch)!;
  place.list.splice(place.index, 1, ...(keep.nodes ?? []));
  return 'node';
}

/**
 * Moves a condition branch up (-1) or down (+1) in priority. The default branch is always the
 * last and does not move; the others do not pass it.
 */
export function moveBranch(def: FlowDef, branchId: string, delta: -1 | 1): boolean {
  const hit = findBranch(def.nodes, branchId);
  if (!hit || hit.branch.default) return false;
  const list = hit.parent.branches;
  const i = list.indexOf(hit.branch);
  const j = i + delta;
  if (j < 0 || j >= list.length || list[j].default) return false;
  [list[i], list[j]] = [list[j], list[i]];
  return true;
}

/** Makes a condition branch the default one (taken when no other holds), moving it last. */
export function makeDefault(def: FlowDef, branchId: string): boolean {
  const hit = findBranch(def.nodes, branchId);
  if (!hit || hit.parent.type !== 'condition') return false;
  const list = hit.parent.branches;
  for (const b of list) {
    if (b.default && b !== hit.branch) {
      b.default = false;
      b.condition = b.condition ?? null;
    }
  }
  hit.branch.default = true;
  hit.branch.condition = null;
  list.splice(list.indexOf(hit.branch), 1);
  list.push(hit.branch);
  return true;
}

/** What a node lets a person do with a field, filling in the model's defaults. */
export function accessOf(node: FlowNode, fieldId: string): FieldAccess {
  const given = 'fields' in node ? node.fields?.[fieldId] : undefined;
  if (given) return given;
  return node.type === 'start' ? 'editable' : 'readonly';
}

/** Sets one field's access on a node; the model's default is stored as an absence. */
export function setAccess(node: FlowNode, fieldId: string, access: FieldAccess): void {
  if (!('fields' in node) && node.type !== 'start' && !isPersonNode(node)) return;
  const n = node as { type: string; fields?: Record<string, FieldAccess> };
  const fallback: FieldAccess = node.type === 'start' ? 'editable' : 'readonly';
  const fields = { ...(n.fields ?? {}) };
  if (access === fallback) delete fields[fieldId];
  else fields[fieldId] = access;
  n.fields = fields;
}

/** The start node (the first of the root list). */
export function startOf(def: FlowDef | null | undefined): StartNode | null {
  const first = def?.nodes[0];
  return first?.type === 'start' ? first : null;
}

/**
 * The server's problems pinned to the innermost node or branch their path points into (a
 * branch's condition is the branch's problem, though the server names the condition node), as
 * the tree is now; later edits then keep them on the same card.
 */
export function pinProblems(problems: FlowProblem[], def: FlowDef): FlowProblem[] {
  return problems.map((p) => ({ ...p, node_id: nodeIdFromPath(def, p.path) ?? p.node_id ?? null }));
}

/**
 * What a node or branch is, without what hangs below it: a problem the server found on it
 * holds while this text stays the same (an edit makes it stale until the next save).
 */
export function signatureOf(def: FlowDef, id: string): string | null {
  if (id === '') return JSON.stringify([def.name, def.settings ?? {}]);
  const place = findNode(def.nodes, id);
  if (place) {
    const n = place.node;
    if (isBranchNode(n)) return JSON.stringify([n.type, n.name, n.branches.map((b) => [b.id, !!b.default])]);
    return JSON.stringify(n);
  }
  const hit = findBranch(def.nodes, id);
  if (hit) return JSON.stringify([hit.branch.name, hit.branch.condition ?? null, !!hit.branch.default]);
  return null;
}

/** The problems the server listed, by the node (or branch) they name; '' for the flow itself. */
export function problemsByNode(problems: FlowProblem[], def?: FlowDef | null): Map<string, FlowProblem[]> {
  const out = new Map<string, FlowProblem[]>();
  for (const p of problems) {
    const key = p.node_id ?? (def ? nodeIdFromPath(def, p.path) : null) ?? '';
    const list = out.get(key) ?? [];
    list.push(p);
    out.set(key, list);
  }
  return out;
}

/**
 * The innermost node or branch a JSON path points into (`$.nodes[2].branches[0].nodes[1].name`
 * → that node's id; `$.nodes[2].branches[1].condition` → the branch's id), or null.
 */
export function nodeIdFromPath(def: FlowDef, path: string): string | null {
  const re = /(nodes|branches)\[(\d+)\]/g;
  const body = path.replace(/^\$\.?/, '');
  if (!body.startsWith('nodes')) return null;
  let list: FlowNode[] = def.nodes;
  let node: FlowNode | null = null;
  let hit: string | null = null;
  let m: RegExpExecArray | null;
  while ((m = re.exec(body))) {
    const i = Number(m[2]);
    if (m[1] === 'nodes') {
      node = list?.[i] ?? null;
      if (!node) return hit;
      hit = node.id;
    } else {
      if (!node || !isBranchNode(node)) return hit;
      const b = node.branches[i];
      if (!b) return hit;
      hit = b.id;
      list = b.nodes ?? [];
    }
  }
  return hit;
}

/** Nodes whose rules let the initiator choose the assignees, in tree order. */
export function selfSelectNodes(def: FlowDef | null | undefined): { node: FlowNode; rule: Extract<AssigneeRule, { rule: 'self_select' }> }[] {
  const out: { node: FlowNode; rule: Extract<AssigneeRule, { rule: 'self_select' }> }[] = [];
  const walk = (list: FlowNode[]) => {
    for (const n of list) {
      if (isPersonNode(n)) {
        const r = n.assignees.find((a) => a.rule === 'self_select');
        if (r && r.rule === 'self_select') out.push({ node: n, rule: r });
      }
      if (isBranchNode(n)) for (const b of n.branches) walk(b.nodes ?? []);
    }
  };
  walk(def?.nodes ?? []);
  return out;
}

/** A new assignee rule of a kind, with settings the server accepts. */
export function makeRule(kind: AssigneeRule['rule'], firstFieldId: string | null = null): AssigneeRule | null {
  switch (kind) {
    case 'members':
      return { rule: 'members', member_ids: [] };
    case 'role':
      return { rule: 'role', role_id: '', within_initiator_department: false };
    case 'department_head':
      return { rule: 'department_head', level: 1 };
    case 'manager':
      return { rule: 'manager', level: 1 };
    case 'manager_chain':
      return { rule: 'manager_chain', up_to_level: 2, until_role_id: null };
    case 'self_select':
      return { rule: 'self_select', multiple: false, member_ids: [], department_ids: [], role_ids: [] };
    case 'initiator':
      return { rule: 'initiator' };
    case 'field':
      return firstFieldId ? { rule: 'field', field_id: firstFieldId } : null;
  }
}

/** The definition as the server should get it: blank conditions and descriptions as null. */
export function cleanFlow(def: FlowDef): FlowDef {
  const copy = structuredClone(def);
  const walk = (list: FlowNode[]) => {
    for (const n of list) {
      if (isBranchNode(n)) {
        for (const b of n.branches) {
          if (typeof b.condition === 'string' && !b.condition.trim()) b.condition = null;
          walk(b.nodes ?? []);
        }
      }
    }
  };
  walk(copy.nodes);
  if (copy.description === '') copy.description = null;
  return copy;
}

/** What the page can tell is incomplete before the server answers (keys of the `flows.local.*` messages). */
export type LocalRule = 'noMembers' | 'noRole' | 'noField' | 'noRules' | 'noName' | 'noCondition';

/** Problems the page finds alone, shaped like the server's so they show the same way. */
export function localProblems(def: FlowDef): (FlowProblem & { rule: LocalRule })[] {
  const out: (FlowProblem & { rule: LocalRule })[] = [];
  const add = (node_id: string, path: string, rule: LocalRule) => out.push({ node_id, path, rule, message: rule });
  const checkRules = (id: string, path: string, rules: AssigneeRule[]) => {
    if (!rules.length) add(id, path, 'noRules');
    rules.forEach((r, i) => {
      if (r.rule === 'members' && !r.member_ids.length) add(id, `${path}[${i}].member_ids`, 'noMembers');
      if (r.rule === 'role' && !r.role_id) add(id, `${path}[${i}].role_id`, 'noRole');
      if (r.rule === 'field' && !r.field_id) add(id, `${path}[${i}].field_id`, 'noField');
    });
  };
  const walk = (list: FlowNode[], at: string) => {
    list.forEach((n, i) => {
      const path = `${at}[${i}]`;
      if ('name' in n && typeof n.name === 'string' && !n.name.trim()) add(n.id, `${path}.name`, 'noName');
      if (isPersonNode(n)) checkRules(n.id, `${path}.assignees`, n.assignees);
      if (n.type === 'automation') n.actions.forEach((a, j) => a.kind === 'notify' && checkRules(n.id, `${path}.actions[${j}].to`, a.to));
      if (isBranchNode(n)) {
        n.branches.forEach((b, j) => {
          const bp = `${path}.branches[${j}]`;
          if (!b.name.trim()) add(b.id, `${bp}.name`, 'noName');
          if (n.type === 'condition' && !b.default && !(b.condition ?? '').trim()) add(b.id, `${bp}.condition`, 'noCondition');
          walk(b.nodes ?? [], `${bp}.nodes`);
        });
      }
    });
  };
  walk(def.nodes, '$.nodes');
  return out;
}

/** Rules that cannot be stored even as a draft (the server refuses the whole document). */
export function blocksSaving(p: { rule?: string }): boolean {
  return p.rule === 'noMembers' || p.rule === 'noRole' || p.rule === 'noField' || p.rule === 'noRules' || p.rule === 'noName';
}
