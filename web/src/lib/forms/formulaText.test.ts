import { describe, expect, it } from 'vitest';
import { bareMessage, fieldRef, functionStub, lineColumn, offsetOf, problemSpan, referencedNames, renameColumnInFormula, renameInFormula, tokenize } from './formulaText';

describe('tokenize', () => {
  it('knows strings, bracketed names, names, numbers and the rest', () => {
    const kinds = tokenize('IF([Unit price] > 1.5e3, "a ""b""", x.y)')
      .filter((t) => t.kind !== 'space')
      .map((t) => `${t.kind}:${t.text}`);
    expect(kinds).toEqual(['name:IF', 'lpar:(', 'bracketed:[Unit price]', 'other:>', 'number:1.5e3', 'other:,', 'string:"a ""b"""', 'other:,', 'name:x', 'dot:.', 'name:y', 'other:)']);
  });

  it('reads Chinese names bare', () => {
    expect(tokenize('金额*2')[0]).toMatchObject({ kind: 'name', text: '金额' });
  });
});

describe('fieldRef', () => {
  it('writes a name bare when it can, else in brackets', () => {
    expect(fieldRef('Amount')).toBe('Amount');
    expect(fieldRef('金额')).toBe('金额');
    expect(fieldRef('Unit price')).toBe('[Unit price]');
    expect(fieldRef('2nd')).toBe('[2nd]');
    expect(fieldRef('TRUE')).toBe('[TRUE]');
  });
});

describe('renames', () => {
  it('rewrite references to the field, bare or bracketed, and nothing else', () => {
    expect(renameInFormula('Amount * 2 + [Amount] + SUM(Amount)', 'Amount', 'Net amount')).toBe('[Net amount] * 2 + [Net amount] + SUM([Net amount])');
    expect(renameInFormula('"Amount" & Amounts & x.Amount', 'Amount', 'Total')).toBe('"Amount" & Amounts & x.Amount');
  });

  it('leave functions of the same name alone', () => {
    expect(renameInFormula('SUM(SUM)', 'SUM', 'Total')).toBe('SUM(Total)');
  });

  it('rename a sub-table in its column references', () => {
    expect(renameInFormula('SUM(lines.amount)', 'lines', 'Expense lines')).toBe('SUM([Expense lines].amount)');
  });

  it('rename a column only under its table', () => {
    expect(renameColumnInFormula('SUM(lines.amount) + other.amount + amount', 'lines', 'amount', 'Amount (CNY)')).toBe(
      'SUM(lines.[Amount (CNY)]) + other.amount + amount',
    );
  });

  it('lists the names a formula uses', () => {
    expect(referencedNames('IF(a > b, [c d], a) & t.x')).toEqual(['a', 'b', 'c d', 't']);
  });
});

describe('problem positions', () => {
  it('use the offsets the server gives', () => {
    expect(problemSpan('Amont * 2', { message: 'Unknown field', offset: 0, end: 5 })).toEqual({ start: 0, end: 5 });
    expect(problemSpan('1 +', { message: 'ends too early', offset: 3, end: 3 })).toEqual({ start: 3, end: 3 });
  });

  it('fall back to the line and column in the message, to the end of the token', () => {
    expect(problemSpan('a +\n  Amont', { message: 'Unknown field [Amont] (line 2, column 3)' })).toEqual({ start: 6, end: 11 });
    expect(problemSpan('x', { message: 'no position' })).toBeNull();
  });

  it('convert between offsets and lines', () => {
    expect(offsetOf('ab\ncd', 2, 2)).toBe(4);
    expect(lineColumn('ab\ncd', 4)).toEqual({ line: 2, column: 2 });
    expect(bareMessage('Oops (line 1, column 4)')).toBe('Oops');
  });

  it('insert function stubs', () => {
    expect(functionStub('SUM(number, ...)')).toBe('SUM(');
    expect(functionStub('TODAY()')).toBe('TODAY()');
  });
});
