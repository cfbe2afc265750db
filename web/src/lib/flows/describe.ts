// One line of text for what a node does, as its card in the designer shows it. Pure: the page
// passes the translator and the name lookups, so tests need no server and no Svelte.
import type { AssigneeRule, FlowNode } from './types';

export type Translate = (key: string, params?: Record<string, string | number>) => string;

export interface Lookups {
  member: (id: string) => string;
  role: (id: string) => string;
  field: (id: string) => string;
}

export function describeRule(r: AssigneeRule, t: Translate, names: Lookups): string {
  switch (r.rule) {
    case 'members': {
      const list = r.member_ids.slice(0, 3).map(names.member);
      const more = r.member_ids.length > 3 ? ` +${r.member_ids.length - 3}` : '';
      return list.length ? t('flows.sum.members', { names: list.join(', ') + more }) : t('flows.rule.members');
    }
    case 'role':
      return t(r.within_initiator_department ? 'flows.sum.roleDept' : 'flows.sum.role', { name: r.role_id ? names.role(r.role_id) : '?' });
    case 'department_head':
      return (r.level ?? 1) === 1 ? t('flows.sum.deptHead') : t('flows.sum.deptHeadN', { n: r.level ?? 1 });
    case 'manager':
      return (r.level ?? 1) === 1 ? t('flows.sum.manager') : t('flows.sum.managerN', { n: r.level ?? 1 });
    case 'manager_chain':
      if (r.until_role_id) return t('flows.sum.chainRole', { name: names.role(r.until_role_id) });
      if (r.up_to_level) return t('flows.sum.chainLevel', { n: r.up_to_level });
      return t('flows.sum.chainTop');
    case 'self_select':
      return t('flows.sum.selfSelect');
    case 'initiator':
      return t('flows.sum.initiator');
    case 'field':
      return t('flows.sum.field', { name: names.field(r.field_id) });
  }
}

/** The card's summary line of a node. */
export function describeNode(n: FlowNode, t: Translate, names: Lookups): string {
  switch (n.type) {
    case 'start':
      return n.everyone === false ? t('flows.sum.some') : t('flows.sum.everyone');
    case 'approver':
    case 'handler': {
      const who = n.assignees.map((r) => describeRule(r, t, names)).join(' · ');
      const multi = n.assignees.length > 1 || n.assignees.some((r) => r.rule === 'members' && r.member_ids.length > 1) || n.assignees.some((r) => r.rule === 'role' || (r.rule === 'self_select' && r.multiple));
      const mode = multi && n.type === 'approver' && n.mode ? ` (${t(`flows.modeShort.${n.mode}`)})` : '';
      const timeout = n.timeout ? ` · ${t('flows.sum.timeout', { after: n.timeout.after, unit: t(`flows.unit.${n.timeout.unit ?? 'hours'}`) })}` : '';
      return who + mode + timeout;
    }
    case 'cc':
      return n.assignees.map((r) => describeRule(r, t, names)).join(' · ');
    case 'automation':
      return n.actions.length === 1 ? t(`flows.action.${n.actions[0].kind}`) : t('flows.sum.actions', { count: n.actions.length });
    case 'condition':
    case 'parallel':
      return '';
  }
}
