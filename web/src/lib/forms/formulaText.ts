// Working with formula source text in the designer — never evaluating it (the server does
// that): how to write a field reference, how a rename rewrites the formulas that use the old
// name, and where a server-reported problem sits in the text.
//
// The tokens follow the server's grammar (src/tack/formula/parser.py): strings in double
// quotes with "" inside, field names bare or in [brackets] with ]] inside, `table.column`
// references, and function names followed by "(".

export type TokenKind = 'string' | 'bracketed' | 'name' | 'number' | 'dot' | 'lpar' | 'other' | 'space';

export interface Token {
  kind: TokenKind;
  text: string;
  start: number;
  end: number;
}

const PATTERNS: [TokenKind, RegExp][] = [
  ['space', /[ \t\r\n\u00a0\u3000]+/y],
  ['string', /"(?:[^"]|"")*"?/y],
  ['bracketed', /\[(?:[^\]\r\n]|\]\])*\]?/y],
  ['number', /(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/y],
  ['name', /[\p{L}\p{Nl}_][\p{L}\p{M}\p{N}_]*/uy],
  ['dot', /\./y],
  ['lpar', /\(/y],
];

/** Splits source text into tokens; anything unexpected becomes a one-character `other`. */
export function tokenize(source: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  outer: while (i < source.length) {
    for (const [kind, re] of PATTERNS) {
      re.lastIndex = i;
      const m = re.exec(source);
      if (m && m[0].length) {
        out.push({ kind, text: m[0], start: i, end: i + m[0].length });
        i += m[0].length;
        continue outer;
      }
    }
    out.push({ kind: 'other', text: source[i], start: i, end: i + 1 });
    i += 1;
  }
  return out;
}

const BARE = /^[\p{L}\p{Nl}_][\p{L}\p{M}\p{N}_]*$/u;

/** A field reference as a formula must write it: bare when it can be, else in brackets. */
export function fieldRef(name: string): string {
  return BARE.test(name) && !['TRUE', 'FALSE'].includes(name.toUpperCase()) ? name : '[' + name.replace(/]/g, ']]') + ']';
}

/** The field name a reference token stands for (`[Unit price]` → `Unit price`). */
function refName(t: Token): string | null {
  if (t.kind === 'name') return t.text;
  if (t.kind === 'bracketed' && t.text.endsWith(']') && t.text.length > 2) return t.text.slice(1, -1).replace(/]]/g, ']');
  return null;
}

interface Ref {
  token: Token;
  name: string;
  column: { token: Token; name: string } | null;
}

/** The field references in a formula, in order (function names are not references). */
export function references(source: string): Ref[] {
  const toks = tokenize(source).filter((t) => t.kind !== 'space');
  const out: Ref[] = [];
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    const name = refName(t);
    if (name === null) continue;
    if (t.kind === 'name' && toks[i + 1]?.kind === 'lpar') continue; // a function call
    if (t.kind === 'name' && ['TRUE', 'FALSE'].includes(t.text.toUpperCase())) continue;
    if (toks[i - 1]?.kind === 'dot') continue; // a column, taken with its table below
    let column: Ref['column'] = null;
    if (toks[i + 1]?.kind === 'dot' && toks[i + 2]) {
      const colName = refName(toks[i + 2]);
      if (colName !== null) column = { token: toks[i + 2], name: colName };
    }
    out.push({ token: t, name, column });
  }
  return out;
}

function applyEdits(source: string, edits: { start: number; end: number; text: string }[]): string {
  let out = source;
  for (const e of [...edits].sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

/** The formula with field `from` renamed to `to` (its sub-table column references too). */
export function renameInFormula(source: string, from: string, to: string): string {
  if (!source || from === to) return source;
  const edits = references(source)
    .filter((r) => r.name === from)
    .map((r) => ({ start: r.token.start, end: r.token.end, text: fieldRef(to) }));
  return edits.length ? applyEdits(source, edits) : source;
}

/** The formula with column `from` of sub-table `table` renamed to `to`. */
export function renameColumnInFormula(source: string, table: string, from: string, to: string): string {
  if (!source || from === to) return source;
  const edits = references(source)
    .filter((r) => r.name === table && r.column?.name === from)
    .map((r) => ({ start: r.column!.token.start, end: r.column!.token.end, text: fieldRef(to) }));
  return edits.length ? applyEdits(source, edits) : source;
}

/** The names of the fields a formula refers to. */
export function referencedNames(source: string): string[] {
  return [...new Set(references(source).map((r) => r.name))];
}

/** The 0-based offset of a 1-based line and column in `source`. */
export function offsetOf(source: string, line: number, column: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const nl = source.indexOf('\n', offset);
    if (nl < 0) return source.length;
    offset = nl + 1;
  }
  return Math.min(source.length, offset + Math.max(0, column - 1));
}

/**
 * What to underline for a problem: `offset`..`end` when the server gave them, else from the
 * "(line L, column C)" a message ends with, to the end of the token there. An empty span at the
 * end of the text (a formula that stops too early) stays empty: the editor marks the spot.
 */
export function problemSpan(source: string, p: { message: string; offset?: number; end?: number }): { start: number; end: number } | null {
  if (typeof p.offset === 'number' && typeof p.end === 'number') {
    const start = Math.min(Math.max(0, p.offset), source.length);
    return { start, end: Math.min(Math.max(start, p.end), source.length) };
  }
  const m = /\(line (\d+), column (\d+)\)\s*$/.exec(p.message);
  if (!m) return null;
  const start = offsetOf(source, Number(m[1]), Number(m[2]));
  const tok = tokenize(source).find((t) => t.start === start && t.kind !== 'space');
  return { start, end: tok ? tok.end : start };
}

/** A message without the "(line L, column C)" the server appends for people reading it alone. */
export function bareMessage(message: string): string {
  return message.replace(/\s*\(line \d+, column \d+\)\s*$/, '');
}

/** The 1-based line and column of an offset. */
export function lineColumn(source: string, offset: number): { line: number; column: number } {
  const before = source.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

export const FUNCTION_GROUPS: { group: 'logic' | 'maths' | 'text' | 'dates' | 'lists'; items: string[] }[] = [
  {
    group: 'logic',
    items: ['IF(condition, value_if_true, [value_if_false])', 'IFS(condition, value, ...)', 'AND(condition, ...)', 'OR(condition, ...)', 'NOT(condition)', 'ISBLANK(value)', 'IFERROR(value, value_if_error)', 'SWITCH(value, case, result, ...)'],
  },
  {
    group: 'maths',
    items: ['SUM(number, ...)', 'AVERAGE(number, ...)', 'MIN(value, ...)', 'MAX(value, ...)', 'ROUND(number, [digits])', 'ROUNDUP(number, [digits])', 'ROUNDDOWN(number, [digits])', 'ABS(number)', 'MOD(number, divisor)', 'INT(number)', 'POWER(number, power)', 'SQRT(number)'],
  },
  {
    group: 'text',
    items: ['CONCATENATE(value, ...)', 'LEFT(text, [count])', 'RIGHT(text, [count])', 'MID(text, start, count)', 'LEN(text)', 'UPPER(text)', 'LOWER(text)', 'TRIM(text)', 'TEXT(value, [format])', 'CONTAINS(text_or_list, search)', 'SUBSTITUTE(text, old_text, new_text, [instance])', 'TEXTJOIN(delimiter, ignore_empty, value, ...)', 'VALUE(text)'],
  },
  {
    group: 'dates',
    items: ['TODAY()', 'NOW()', 'DATE(year, month, day)', 'YEAR(date)', 'MONTH(date)', 'DAY(date)', 'WEEKDAY(date, [return_type])', 'DATEDIF(start, end, unit)', 'DATEADD(date, count, [unit])', 'EOMONTH(date, [months])', 'WORKDAY(start, days, [holidays])', 'NETWORKDAYS(start, end, [holidays])'],
  },
  {
    group: 'lists',
    items: ['COUNT(value, ...)', 'COUNTA(value, ...)', 'COUNTIF(list, criteria)', 'SUMIF(list, criteria, [sum_list])', 'AVERAGEIF(list, criteria, [sum_list])', 'COUNTBLANK(list)'],
  },
];

/** What a function item inserts: its name and an opening bracket (`SUM(`). */
export function functionStub(signature: string): string {
  return signature.slice(0, signature.indexOf('(') + 1) + (signature.endsWith('()') ? ')' : '');
}
