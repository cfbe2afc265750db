// @mentions in comments: finding the "@na" being typed before the caret, and splitting a
// comment into text and mentions of known names for display.

/** The mention being typed just before `caret` ("@" + up to 30 non-space characters), if any. */
export function mentionAt(text: string, caret: number): { start: number; query: string } | null {
  const before = text.slice(0, caret);
  const m = /(^|[\s(（,，])@([^\s@]{0,30})$/u.exec(before);
  if (!m) return null;
  return { start: caret - m[2].length - 1, query: m[2] };
}

/** `text` with the mention typed at `start`..`caret` replaced by "@name ". */
export function insertMention(text: string, start: number, caret: number, name: string): { text: string; caret: number } {
  const insert = `@${name} `;
  return { text: text.slice(0, start) + insert + text.slice(caret), caret: start + insert.length };
}

export type Segment = { text: string; mention: boolean };

/** Splits a comment into plain text and "@name" mentions of the given names (longest first). */
export function splitMentions(body: string, names: string[]): Segment[] {
  const sorted = [...new Set(names.filter(Boolean))].sort((a, b) => b.length - a.length);
  const out: Segment[] = [];
  let plain = '';
  let i = 0;
  outer: while (i < body.length) {
    if (body[i] === '@') {
      for (const n of sorted) {
        if (body.startsWith(n, i + 1)) {
          if (plain) out.push({ text: plain, mention: false });
          plain = '';
          out.push({ text: '@' + n, mention: true });
          i += n.length + 1;
          continue outer;
        }
      }
    }
    plain += body[i];
    i += 1;
  }
  if (plain) out.push({ text: plain, mention: false });
  return out;
}
