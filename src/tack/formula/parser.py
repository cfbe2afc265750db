"""Source text → syntax tree, with lark's LALR parser.

The tree is built *during* the parse (lark calls `_Build` at each reduction), so there is no
recursive pass over a parse tree: a pathological input cannot raise RecursionError. Depth and
node-count limits are checked at each reduction, so an oversized formula stops early.

Operator precedence is Excel's, from tightest to loosest: unary minus, `%`, `^`, `* /`,
`+ -`, `&`, comparisons; all binary operators are left-associative. So `-2^2` is 4 and
`2^3^2` is 64, as in Excel, and a formula pasted from a spreadsheet means the same here.
"""

from __future__ import annotations

import functools
import math
import re
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from tack.formula.ast import Binary, Bool, Call, Formula, Node, Number, Ref, Text, Unary
from tack.formula.errors import FormulaError, Span

MAX_SOURCE = 4_000
MAX_DEPTH = 64
MAX_NODES = 2_000

GRAMMAR = r"""
?start: expr
?expr: comparison
?comparison: concat | comparison COMP_OP concat -> binary
?concat: additive | concat AMP additive -> binary
?additive: multiplicative | additive ADD_OP multiplicative -> binary
?multiplicative: power | multiplicative MUL_OP power -> binary
?power: percent | power CARET percent -> binary
?percent: unary | percent PERCENT -> percent
?unary: atom | ADD_OP unary -> prefix
?atom: NUMBER -> number
     | STRING -> string
     | call
     | ref
     | LPAR expr RPAR -> paren
call: NAME LPAR [args] RPAR
args: expr (COMMA expr)*
ref: name | name DOT name
?name: NAME | BRACKETED

NUMBER: /([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?/
STRING: /"([^"]|"")*"/
NAME: /[^\W\d]\w*/
BRACKETED: /\[([^\]\r\n]|\]\])+\]/
COMP_OP: "<=" | ">=" | "<>" | "=" | "<" | ">"
ADD_OP: "+" | "-"
MUL_OP: "*" | "/"
CARET: "^"
AMP: "&"
PERCENT: "%"
LPAR: "("
RPAR: ")"
COMMA: ","
DOT: "."
%ignore /[ \t\r\n\u00a0\u3000]+/
"""

NAME_RE = re.compile(r"[^\W\d]\w*")  # a name that may be written without brackets
KEYWORDS = {"TRUE": True, "FALSE": False}

# What lark calls its terminals, in the words of the error messages.
_VALUE_TERMINALS = {"NUMBER", "STRING", "NAME", "BRACKETED", "LPAR", "ADD_OP"}
_OPERATOR_TERMINALS = {"COMP_OP", "AMP", "ADD_OP", "MUL_OP", "CARET", "PERCENT"}
_TOKEN_WORDS = {
    "NUMBER": "number {}",
    "STRING": "text {}",
    "NAME": "name {}",
    "BRACKETED": "field {}",
    "LPAR": "'('",
    "RPAR": "')'",
    "COMMA": "','",
    "DOT": "'.'",
}

# Characters people type by habit from other tools or keyboards, and what to type instead.
_HINTS = {
    "，": "use the ASCII comma ',' between arguments",
    "（": "use the ASCII parenthesis '('",
    "）": "use the ASCII parenthesis ')'",
    "“": 'put text in straight double quotes "..."',
    "”": 'put text in straight double quotes "..."',
    "'": 'put text in double quotes "...", not single quotes',
    "!": "use <> for 'not equal'",
    "|": "use OR(a, b) instead of ||",
    "；": "use the ASCII comma ',' between arguments",
    ";": "use a comma ',' between arguments",
    '"': "this text has no closing quote",
    "[": "this field name has no closing ]",
    "]": "there is a ] without an opening [",
}


def _span(first: Token | Node, last: Token | Node) -> Span:
    a = first.span if isinstance(first, Node) else _token_span(first)
    b = last.span if isinstance(last, Node) else _token_span(last)
    return Span(a.offset, b.end, a.line, a.column)


def _token_span(tok: Token) -> Span:
    start = tok.start_pos or 0
    end = tok.end_pos if tok.end_pos is not None else start + len(tok)
    return Span(start, end, tok.line or 1, tok.column or 1)


def _limit(node: Node) -> Node:
    if node.depth > MAX_DEPTH:
        raise FormulaError(
            f"The formula is nested too deeply (more than {MAX_DEPTH} levels)", node.span, kind="limit"
        )
    if node.size > MAX_NODES:
        raise FormulaError(
            f"The formula is too long (more than {MAX_NODES} parts); split it into several fields",
            node.span,
            kind="limit",
        )
    return node


def _field_name(tok: Token) -> str:
    if tok.type == "BRACKETED":
        return str(tok)[1:-1].replace("]]", "]").strip()
    return str(tok)


@v_args(inline=True)
class _Build(Transformer[Token, Node]):
    """Called by the LALR parser at each reduction: builds our nodes straight from tokens."""

    def number(self, tok: Token) -> Node:
        text = str(tok)
        # Integers stay exact up to 15 digits (Excel's precision); the rest become floats.
        value: int | float = int(text) if text.isdigit() and len(text) <= 15 else float(text)
        if not math.isfinite(value):
            raise FormulaError(f"The number {text} is too large", _token_span(tok))
        if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
            value = int(value)
        return Number(value, span=_token_span(tok))

    def string(self, tok: Token) -> Node:
        return Text(str(tok)[1:-1].replace('""', '"'), span=_token_span(tok))

    def ref(self, name: Token, dot: Token | None = None, column: Token | None = None) -> Node:
        span = _span(name, column or name)
        if column is None:
            if name.type == "NAME" and name.upper() in KEYWORDS:
                return Bool(KEYWORDS[name.upper()], span=span)
            return Ref(_field_name(name), span=span)
        return Ref(_field_name(name), _field_name(column), span=span)

    def call(self, name: Token, lpar: Token, args: list[Node] | None, rpar: Token) -> Node:
        node = Call(str(name).upper(), tuple(args or ()), span=_span(name, rpar), name_span=_token_span(name))
        return _limit(node)

    def args(self, *items: Node | Token) -> list[Node]:
        return [i for i in items if isinstance(i, Node)]

    def binary(self, left: Node, op: Token, right: Node) -> Node:
        return _limit(Binary(str(op), left, right, span=_span(left, right)))

    def prefix(self, op: Token, operand: Node) -> Node:
        return _limit(Unary(str(op), operand, span=_span(op, operand)))

    def percent(self, operand: Node, op: Token) -> Node:
        return _limit(Unary("%", operand, span=_span(operand, op)))

    def paren(self, lpar: Token, inner: Node, rpar: Token) -> Node:
        # Parentheses add no node, but they do count as nesting for the depth limit.
        object.__setattr__(inner, "depth", inner.depth + 1)
        if inner.depth > MAX_DEPTH:
            raise FormulaError(
                f"The formula is nested too deeply (more than {MAX_DEPTH} levels)", _span(lpar, rpar), kind="limit"
            )
        return inner


_LARK = Lark(GRAMMAR, parser="lalr", transformer=_Build(), maybe_placeholders=True)


def parse(source: str) -> Formula:
    """Parse a formula. A leading `=` (as typed in a spreadsheet cell) is allowed and ignored."""
    if not isinstance(source, str):
        raise FormulaError("A formula must be text")
    return _parse(source)


@functools.lru_cache(maxsize=2048)
def _parse(source: str) -> Formula:
    # Formulas are immutable and re-evaluated constantly (every record save, every view):
    # parsing each distinct source once is worth a small cache.
    if len(source) > MAX_SOURCE:
        span = Span(MAX_SOURCE, len(source), *_line_col(source, MAX_SOURCE))
        raise FormulaError(f"The formula is longer than {MAX_SOURCE:,} characters", span, kind="limit")
    text = source
    stripped = source.lstrip()
    if stripped.startswith("=") and not stripped.startswith("=="):
        # Keep offsets pointing into the user's text: blank the '=' out instead of cutting it.
        at = len(source) - len(stripped)
        text = source[:at] + " " + source[at + 1 :]
    if not text.strip():
        raise FormulaError("The formula is empty", kind="syntax")
    try:
        root: Any = _LARK.parse(text)
    except UnexpectedInput as e:
        raise _syntax_error(text, e) from None
    return Formula(source, root)


def _line_col(source: str, offset: int) -> tuple[int, int]:
    line = source.count("\n", 0, offset) + 1
    return line, offset - (source.rfind("\n", 0, offset) + 1) + 1


def _syntax_error(source: str, e: UnexpectedInput) -> FormulaError:
    if isinstance(e, UnexpectedCharacters):
        pos = e.pos_in_stream or 0
        char = source[pos] if pos < len(source) else ""
        span = Span(pos, pos + 1, *_line_col(source, pos))
        message = f"Unexpected character {char!r}"
        if source.startswith("[]", pos):
            message += ": a field name in brackets cannot be empty"
        elif char in _HINTS:
            message += f": {_HINTS[char]}"
        elif char == "=" and source[pos - 1 : pos] == "=":
            message += ": use a single = to compare"
        return FormulaError(message, span, kind="syntax", expected=_expected(e.allowed or set()))
    if isinstance(e, UnexpectedToken) and e.token.type != "$END":
        tok = e.token
        span = _token_span(tok)
        what = _TOKEN_WORDS.get(tok.type, "'{}'").format(tok)
        expected = _expected(_acceptable(e))
        message = f"Unexpected {what}"
        if tok.type == "COMP_OP" and source[span.offset - 1 : span.offset] in ("=", "<", ">"):
            message += ": use a single = to compare, <> for 'not equal'"
        elif expected:
            message += ": expected " + _or(expected)
        if tok.type == "DOT":
            message += " (only a sub-table column can follow a '.', as in lines.amount)"
        return FormulaError(message, span, kind="syntax", expected=expected)
    expected = _expected(_acceptable(e))
    end = len(source.rstrip())
    span = Span(end, end, *_line_col(source, end))
    message = "The formula ends too early"
    if expected:
        message += ": expected " + _or(expected)
    if isinstance(e, UnexpectedEOF | UnexpectedToken) and source.count("(") > source.count(")"):
        message += " (a '(' is not closed)"
    return FormulaError(message, span, kind="syntax", expected=expected)


def _acceptable(e: UnexpectedInput) -> set[str]:
    """The terminals that could really come next. LALR tables merge states, so the raw
    `expected` set may list tokens valid only elsewhere; lark's interactive parser knows."""
    parser = getattr(e, "interactive_parser", None)
    if parser is not None:
        try:
            return set(parser.accepts())
        except Exception:  # noqa: BLE001 - a hint only; the raw set is good enough
            pass
    return set(getattr(e, "expected", None) or ())


def _expected(terminals: set[str] | frozenset[str]) -> list[str]:
    """Collapse lark's terminal names into the handful of things a person could type next."""
    out: list[str] = []
    if terminals and terminals <= {"NAME", "BRACKETED"}:
        return ["a column name"]
    if terminals & _VALUE_TERMINALS - {"ADD_OP"}:
        out.append("a value")
    if terminals & _OPERATOR_TERMINALS - {"ADD_OP"}:
        out.append("an operator")
    for name, word in (("COMMA", "','"), ("RPAR", "')'"), ("LPAR", "'('")):
        if name in terminals and (name != "LPAR" or "a value" not in out):
            out.append(word)
    if "$END" in terminals:
        out.append("the end of the formula")
    return out


def _or(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def is_bare_name(name: str) -> bool:
    """Whether a field name can be written without brackets (and is not TRUE or FALSE)."""
    return bool(NAME_RE.fullmatch(name)) and name.upper() not in KEYWORDS
