// A growing list of records from the query API: the first page (with its count), then a page
// more each time the reader reaches the end. A newer request makes older answers void, so a
// filter typed quickly never shows the results of a stale one.
import { asApiError, type ApiError } from '../../lib/api';
import type { RecordInfo } from '../../lib/forms/types';
import { queryRecords, type Count } from './recordsApi';

export class RecordFeed {
  items = $state<RecordInfo[]>([]);
  cursor = $state<string | null>(null);
  count = $state<Count | null>(null);
  loading = $state(false);
  loaded = $state(false);
  error = $state<ApiError | null>(null);
  private seq = 0;
  private body: Record<string, unknown> = {};

  constructor(
    private readonly orgId: string,
    private readonly formId: string,
  ) {}

  /** Starts over with a new query (its body without cursor). */
  async reset(body: Record<string, unknown>): Promise<void> {
    this.body = body;
    this.cursor = null;
    await this.fetch(false);
  }

  async more(): Promise<void> {
    if (!this.cursor || this.loading) return;
    await this.fetch(true);
  }

  private async fetch(append: boolean): Promise<void> {
    const my = ++this.seq;
    this.loading = true;
    try {
      const page = await queryRecords(this.orgId, this.formId, {
        ...this.body,
        cursor: append ? this.cursor : undefined,
        count: !append || undefined,
      });
      if (my !== this.seq) return;
      this.items = append ? [...this.items, ...page.items.filter((r) => !this.items.some((x) => x.id === r.id))] : page.items;
      this.cursor = page.next_cursor;
      if (!append) this.count = page.count ?? null;
      this.error = null;
    } catch (e) {
      if (my === this.seq) this.error = asApiError(e);
    } finally {
      if (my === this.seq) {
        this.loading = false;
        this.loaded = true;
      }
    }
  }

  replace(r: RecordInfo): void {
    this.items = this.items.map((x) => (x.id === r.id ? r : x));
  }

  remove(ids: string[]): void {
    const gone = new Set(ids);
    const before = this.items.length;
    this.items = this.items.filter((x) => !gone.has(x.id));
    if (this.count) this.count = { ...this.count, value: Math.max(0, this.count.value - (before - this.items.length)) };
  }

  /** Places a record at the top (one just moved here), without counting it twice. */
  prepend(r: RecordInfo): void {
    const had = this.items.some((x) => x.id === r.id);
    this.items = [r, ...this.items.filter((x) => x.id !== r.id)];
    if (!had && this.count) this.count = { ...this.count, value: this.count.value + 1 };
  }
}
