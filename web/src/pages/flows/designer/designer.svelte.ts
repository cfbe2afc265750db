// The flow designer's shared state: the tree being edited, what is selected, the problems
// filed by node, and the names cards show. One instance per page, handed to the recursive
// node lists through Svelte's context.
import { getContext, setContext } from 'svelte';
import type { FieldDef } from '../../../lib/forms/types';
import type { Role } from '../../../lib/types';
import { localProblems, problemsByNode, signatureOf } from '../../../lib/flows/tree';
import type { AddableType, FlowDef, FlowProblem } from '../../../lib/flows/types';
import { t, type MessageKey } from '../../../i18n/index.svelte';

export type Selection = { kind: 'node' | 'branch'; id: string } | { kind: 'settings' } | null;

export class Designer {
  def = $state<FlowDef>({ name: '', nodes: [] });
  selected = $state<Selection>(null);
  /** The problems of the last save or publish, pinned to nodes (tree.pinProblems). */
  #server = $state<{ problem: FlowProblem; signature: string | null }[]>([]);
  fields = $state<FieldDef[]>([]);
  roles = $state<Role[]>([]);
  /** Where the "+" menu is open: the list (branch id, null: root) and the index to insert at. */
  adding = $state<{ branchId: string | null; index: number; rect: DOMRect } | null>(null);

  readonly local = $derived(localProblems(this.def).map((p) => ({ ...p, message: t(`flows.local.${p.rule}` as MessageKey) })));
  /** The server's problems on what has not changed since it found them. */
  readonly serverProblems = $derived(this.#server.filter((x) => signatureOf(this.def, x.problem.node_id ?? '') === x.signature).map((x) => x.problem));
  readonly problems = $derived(problemsByNode([...this.local, ...this.serverProblems], this.def));

  constructor(readonly orgId: string) {}

  /** Takes the problems the server found in the tree as it is now. */
  setServerProblems(problems: FlowProblem[]): void {
    this.#server = problems.map((problem) => ({ problem, signature: signatureOf(this.def, problem.node_id ?? '') }));
  }

  problemsOf(id: string): FlowProblem[] {
    return this.problems.get(id) ?? [];
  }

  isSelected(kind: 'node' | 'branch', id: string): boolean {
    const s = this.selected;
    return !!s && s.kind === kind && s.id === id;
  }

  select(kind: 'node' | 'branch', id: string): void {
    this.selected = { kind, id };
  }

  openAdd(branchId: string | null, index: number, el: HTMLElement): void {
    this.adding = { branchId, index, rect: el.getBoundingClientRect() };
  }

  fieldName(id: string): string {
    return this.fields.find((f) => f.id === id)?.name ?? '?';
  }

  roleName(id: string): string {
    return this.roles.find((r) => r.id === id)?.name ?? '…';
  }
}

export const ADDABLE: AddableType[] = ['approver', 'handler', 'cc', 'condition', 'parallel', 'automation'];

export const NODE_ICON: Record<string, string> = {
  start: '⚑',
  approver: '✓',
  handler: '⚒',
  cc: '✉',
  condition: '◇',
  parallel: '⇉',
  automation: '⚙',
};

const KEY = Symbol('flow-designer');

export function provideDesigner(d: Designer): Designer {
  return setContext(KEY, d);
}

export function useDesigner(): Designer {
  return getContext<Designer>(KEY);
}
