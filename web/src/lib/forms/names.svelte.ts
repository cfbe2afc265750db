// Names for the ids records hold (members, departments, files), fetched once and shared by
// every page, so a list of 50 records asks for each person once.
import { SvelteMap } from 'svelte/reactivity';
import { api } from '../api';
import type { Department, Member, Page } from '../types';
import type { Names } from './format';
import type { FileInfo, FormInfo, RecordInfo } from './types';

const members = new SvelteMap<string, Member | null>();
const files = new SvelteMap<string, FileInfo | null>();
const departments = new SvelteMap<string, Department[]>();
const orgZones = new SvelteMap<string, string>();
const forms = new SvelteMap<string, FormInfo | null>();
const records = new SvelteMap<string, RecordInfo | null>();
// What was asked for already. Plain sets: these functions are called while templates render,
// where changing reactive state is not allowed (answers arrive later, and those may change it).
const asked = new Set<string>();

export function rememberMember(m: Member): void {
  asked.add('m:' + m.id);
  members.set(m.id, m);
}

export function memberOf(orgId: string, id: string): Member | null | undefined {
  if (!asked.has('m:' + id)) {
    asked.add('m:' + id);
    api
      .get<Member>(`/orgs/${orgId}/members/${id}`)
      .then((m) => members.set(id, m))
      .catch(() => members.set(id, null));
  }
  return members.get(id);
}

export function fileOf(orgId: string, id: string): FileInfo | null | undefined {
  if (!asked.has('f:' + id)) {
    asked.add('f:' + id);
    api
      .get<FileInfo>(`/orgs/${orgId}/files/${id}`)
      .then((f) => files.set(id, f))
      .catch(() => files.set(id, null));
  }
  return files.get(id);
}

export function rememberFile(f: FileInfo): void {
  asked.add('f:' + f.id);
  files.set(f.id, f);
}

/** The organization's departments (loaded once per page load). */
export function departmentsOf(orgId: string): Department[] {
  if (!asked.has('d:' + orgId)) {
    asked.add('d:' + orgId);
    api
      .get<Page<Department>>(`/orgs/${orgId}/departments`)
      .then((p) => departments.set(orgId, p.items))
      .catch(() => departments.set(orgId, []));
  }
  return departments.get(orgId) ?? [];
}

/** The organization's time zone, where dates and times are shown (the browser's until known). */
export function timeZoneOf(orgId: string): string {
  if (!asked.has('z:' + orgId)) {
    asked.add('z:' + orgId);
    api
      .get<{ time_zone: string }>(`/orgs/${orgId}`)
      .then((o) => orgZones.set(orgId, o.time_zone))
      .catch(() => {});
  }
  return orgZones.get(orgId) ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
}

export function namesFor(orgId: string): Names {
  return {
    member: (id) => {
      const m = memberOf(orgId, id);
      return m ? m.name : m === null ? '?' : '…';
    },
    department: (id) => departmentsOf(orgId).find((d) => d.id === id)?.name ?? '…',
    file: (id) => {
      const f = fileOf(orgId, id);
      return f ? f.name : f === null ? '?' : '…';
    },
  };
}

/** A form's published definition (for link fields: the linked form's fields and titles). */
export function formOf(orgId: string, formId: string): FormInfo | null | undefined {
  if (!asked.has('form:' + formId)) {
    asked.add('form:' + formId);
    api
      .get<FormInfo>(`/orgs/${orgId}/forms/${formId}`)
      .then((f) => forms.set(formId, f))
      .catch(() => forms.set(formId, null));
  }
  return forms.get(formId);
}

export function recordOf(orgId: string, id: string): RecordInfo | null | undefined {
  if (!asked.has('r:' + id)) {
    asked.add('r:' + id);
    api
      .get<RecordInfo>(`/orgs/${orgId}/records/${id}`)
      .then((r) => records.set(id, r))
      .catch(() => records.set(id, null));
  }
  return records.get(id);
}

export function rememberRecord(r: RecordInfo): void {
  asked.add('r:' + r.id);
  records.set(r.id, r);
}

export interface FormChoice {
  id: string;
  name: string;
  app: string;
}

const formLists = new SvelteMap<string, FormChoice[]>();

/** Every form of the organization, app by app (what a link field may point at). */
export function formsOfOrg(orgId: string): FormChoice[] | undefined {
  if (!asked.has('forms:' + orgId)) {
    asked.add('forms:' + orgId);
    (async () => {
      const apps = (await api.get<{ items: { id: string; name: string }[] }>(`/orgs/${orgId}/apps`)).items;
      const lists = await Promise.all(
        apps.map((a) =>
          api
            .get<{ items: { id: string; name: string }[] }>(`/orgs/${orgId}/apps/${a.id}/forms`)
            .then((p) => p.items.map((f) => ({ id: f.id, name: f.name, app: a.name })))
            .catch(() => [] as FormChoice[]),
        ),
      );
      formLists.set(orgId, lists.flat());
    })().catch(() => formLists.set(orgId, []));
  }
  return formLists.get(orgId);
}
