// Reading a request's path (the steps the server works out) for the submit page and a request's
// page: the steps in order including those inside branches, and the steps where the submitter
// must choose who acts.
import { selfSelectNodes } from './tree';
import type { AssigneeRule, FlowDef, Step } from './types';

/** Every step, those inside branches included, in the order they are shown. */
export function flattenSteps(steps: Step[]): Step[] {
  const out: Step[] = [];
  const walk = (list: Step[]) => {
    for (const s of list) {
      out.push(s);
      for (const b of s.branches ?? []) walk(b.steps);
    }
  };
  walk(steps);
  return out;
}

export interface Choice {
  nodeId: string;
  name: string;
  multiple: boolean;
  rule: Extract<AssigneeRule, { rule: 'self_select' }> | null;
}

const CHOOSE_NOTE = /choose|选/i;

/**
 * The steps the submitter chooses people for: self-select nodes of the flow that lie on the
 * previewed path (all of them while there is no preview yet). Without the definition (the
 * reader may not see it), the steps the server said need a choice (`needs`, kept by the page
 * once asked, since a made choice drops out of the server's list) or whose note says so.
 */
export function choicesOnPath(def: FlowDef | null, steps: Step[] | null, needs: Iterable<string> = []): Choice[] {
  const onPath = steps ? new Map(flattenSteps(steps).map((s) => [s.node_id, s])) : null;
  const asked = new Set(needs);
  if (def) {
    return selfSelectNodes(def)
      .filter((x) => !onPath || onPath.has(x.node.id))
      .map((x) => ({ nodeId: x.node.id, name: onPath?.get(x.node.id)?.name ?? ('name' in x.node && x.node.name ? x.node.name : x.node.id), multiple: !!x.rule.multiple, rule: x.rule }));
  }
  return flattenSteps(steps ?? [])
    .filter((s) => asked.has(s.node_id) || (s.note && CHOOSE_NOTE.test(s.note)))
    .map((s) => ({ nodeId: s.node_id, name: s.name, multiple: true, rule: null }));
}

/** The selections to send: only those of steps still on the path, without empty lists. */
export function selectionsFor(choices: Choice[], picked: Record<string, string[]>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const c of choices) {
    const ids = picked[c.nodeId] ?? [];
    if (ids.length) out[c.nodeId] = c.multiple ? ids : ids.slice(0, 1);
  }
  return out;
}

/** A stable text of a request body, to skip previews of what was previewed already. */
export function bodyKey(body: unknown): string {
  return JSON.stringify(body, (_k, v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v));
}
