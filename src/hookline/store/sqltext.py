"""SQL text as the databases read it: where its code is, and what in it is a parameter or a statement end.

A ``?`` or ``;`` inside a string, a quoted name, a comment or a dollar-quoted body is text, not a
placeholder or a statement end. The lexer knows PostgreSQL's quoting (``'…'`` with ``''``, ``E'…'``
with backslash escapes, ``"…"``, ``$tag$…$tag$``, ``--`` and nested ``/* */`` comments), which
covers SQLite's everyday quoting too; SQLite statements are split with SQLite's own tokenizer's
help, so a trigger's ``BEGIN … END`` stays whole.

Placeholders, for statements sent to PostgreSQL (SQLite reads both styles itself):

- with a sequence of parameters, each ``?`` is the next one (``$1``, ``$2``, …); ``??`` stands for
  PostgreSQL's own ``?`` operator (as in JDBC), so ``data ?? 'key'`` reaches it as ``data ? 'key'``;
- with a mapping, ``:name`` is the parameter of that name (one ``$n`` however often it appears),
  and ``::`` stays a cast.
"""

from __future__ import annotations

import functools
import re
import sqlite3
from collections.abc import Iterator

# What can start something the lexer must step over, or something it must see.
_TOKEN = re.compile(
    r"""
      (?P<line>--)
    | (?P<block>/\*)
    | (?P<estring>(?<![\w$])[eE]')
    | (?P<string>')
    | (?P<ident>")
    | (?P<dollar>(?<![\w$])\$(?:[^\W\d]\w*)?\$)
    | (?P<cast>::)
    | (?P<named>(?<![\w:]):[^\W\d]\w*)
    | (?P<qq>\?\?)
    | (?P<q>\?)
    | (?P<semi>;)
    """,
    re.VERBOSE,
)
_QUOTE = re.compile(r"'|\Z")
_DOUBLE_QUOTE = re.compile(r'"|\Z')
_ESTRING_BODY = re.compile(r"(?:[^'\\]|\\.|'')*('|\Z)", re.DOTALL)  # backslash escapes, '' too
_BLOCK = re.compile(r"/\*|\*/")


class SqlTextError(ValueError):
    """A statement mixes ``?`` and ``:name`` placeholders, or names a parameter it was not given."""


def _skip_quoted(sql: str, start: int, end_re: re.Pattern[str], doubled: str) -> int:
    """The end of a quoted run whose body starts at ``start``: after its closing quote (or the text's end)."""
    pos = start
    while True:
        m = end_re.search(sql, pos)
        assert m is not None  # \Z always matches
        if m.group() == "":
            return len(sql)
        if sql.startswith(doubled, m.start()):
            pos = m.start() + 2
            continue
        return m.end()


def _skip_block(sql: str, start: int) -> int:
    """The end of a block comment opened just before ``start`` (PostgreSQL nests them)."""
    depth, pos = 1, start
    while depth:
        m = _BLOCK.search(sql, pos)
        if m is None:
            return len(sql)
        depth += 1 if m.group() == "/*" else -1
        pos = m.end()
    return pos


def tokens(sql: str) -> Iterator[tuple[str, int, int]]:
    """Yield ``(kind, start, end)`` for each comment (``comment``), quoted run (``quoted``) and code
    mark (``cast``, ``named``, ``qq``, ``q``, ``semi``) of ``sql``; everything between is plain code."""
    pos = 0
    while (m := _TOKEN.search(sql, pos)) is not None:
        kind, start = m.lastgroup, m.start()
        assert kind is not None
        if kind == "line":
            newline = sql.find("\n", m.end())
            end = len(sql) if newline < 0 else newline
            yield "comment", start, end
        elif kind == "block":
            end = _skip_block(sql, m.end())
            yield "comment", start, end
        elif kind == "string":
            end = _skip_quoted(sql, m.end(), _QUOTE, "''")
            yield "quoted", start, end
        elif kind == "estring":
            em = _ESTRING_BODY.match(sql, m.end())
            assert em is not None
            end = em.end()
            yield "quoted", start, end
        elif kind == "ident":
            end = _skip_quoted(sql, m.end(), _DOUBLE_QUOTE, '""')
            yield "quoted", start, end
        elif kind == "dollar":
            close = sql.find(m.group(), m.end())
            end = len(sql) if close < 0 else close + len(m.group())
            yield "quoted", start, end
        else:
            end = m.end()
            yield kind, start, end
        pos = end


@functools.lru_cache(maxsize=4096)
def to_dollar(sql: str) -> str:
    """Rewrite ``?`` placeholders as PostgreSQL's ``$1, $2, …`` (and ``??`` as a ``?`` operator)."""
    out: list[str] = []
    last, n = 0, 0
    for kind, start, end in tokens(sql):
        if kind == "named":
            continue  # left as it is: only a mapping of parameters names them
        if kind in ("q", "qq"):
            out.append(sql[last:start])
            if kind == "q":
                n += 1
                out.append(f"${n}")
            else:
                out.append("?")
            last = end
    out.append(sql[last:])
    return "".join(out)


@functools.lru_cache(maxsize=1024)
def to_dollar_named(sql: str) -> tuple[str, tuple[str, ...]]:
    """Rewrite ``:name`` placeholders as ``$n``; return the text and the names in ``$n`` order."""
    out: list[str] = []
    names: dict[str, int] = {}
    last = 0
    for kind, start, end in tokens(sql):
        if kind == "q":
            raise SqlTextError("a statement with named parameters has a '?' placeholder too")
        if kind in ("named", "qq"):
            out.append(sql[last:start])
            if kind == "named":
                number = names.setdefault(sql[start + 1 : end], len(names) + 1)
                out.append(f"${number}")
            else:
                out.append("?")
            last = end
    out.append(sql[last:])
    return "".join(out), tuple(names)


def split_statements(sql: str, dialect: str = "postgres") -> list[str]:
    """The statements of a script (a migration file), without their comments, in order.

    On SQLite a ``;`` ends a statement only where SQLite agrees the statement is complete, so the
    ``;`` inside a trigger's ``BEGIN … END`` do not.
    """
    statements: list[str] = []
    parts: list[str] = []  # the current statement's code, comments left out
    last = 0
    for kind, start, end in tokens(sql):
        if kind == "comment":
            parts.append(sql[last:start])
            parts.append(" " if sql[start:end].startswith("/*") else "")
            last = end
        elif kind == "semi":
            parts.append(sql[last:start])
            last = end
            text = "".join(parts).strip()
            if dialect == "sqlite" and text and not sqlite3.complete_statement(text + ";"):
                parts = [text, ";"]
                continue
            parts = []
            if text:
                statements.append(text)
    parts.append(sql[last:])
    text = "".join(parts).strip()
    if text:
        statements.append(text)
    return statements
