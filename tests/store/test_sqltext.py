"""Placeholders and statement ends are found in SQL code only, never in its strings, names or comments."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator

import pytest

from hookline.store.sqltext import SqlTextError, split_statements, to_dollar, to_dollar_named
from hookline.store.store import Store


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT ?, ?", "SELECT $1, $2"),
        ("SELECT '?', ?", "SELECT '?', $1"),
        ("SELECT 'it''s ?', ?", "SELECT 'it''s ?', $1"),
        ("SELECT E'\\' ?', ?", "SELECT E'\\' ?', $1"),
        ("SELECT e'a\\\\', ?", "SELECT e'a\\\\', $1"),
        ('SELECT "wh?t" FROM t WHERE x = ?', 'SELECT "wh?t" FROM t WHERE x = $1'),
        ('SELECT "a""?" , ?', 'SELECT "a""?" , $1'),
        ("SELECT 1 -- why?\n, ?", "SELECT 1 -- why?\n, $1"),
        ("SELECT /* a /* ? */ ? */ ?", "SELECT /* a /* ? */ ? */ $1"),
        ("SELECT $$ ? $$, ?", "SELECT $$ ? $$, $1"),
        ("SELECT $fn$ it's ? $$ $fn$, ?", "SELECT $fn$ it's ? $$ $fn$, $1"),
        ("SELECT data ?? 'key' FROM t WHERE id = ?", "SELECT data ? 'key' FROM t WHERE id = $1"),
        ("SELECT data ??| array['a'], ?", "SELECT data ?| array['a'], $1"),
        ("SELECT ?::text[], x::int", "SELECT $1::text[], x::int"),
        ("SELECT a$b, ?", "SELECT a$b, $1"),
        ("SELECT 'no end ?", "SELECT 'no end ?"),
    ],
)
def test_question_marks_outside_code_are_not_placeholders(sql: str, expected: str) -> None:
    assert to_dollar(sql) == expected


def test_named_parameters_are_numbered_once_each_and_casts_stay() -> None:
    text, names = to_dollar_named("SELECT :a::text[], :b, ':a', \":b\", :a -- :c\n, x::int, data ?? 'k'")
    assert text == "SELECT $1::text[], $2, ':a', \":b\", $1 -- :c\n, x::int, data ? 'k'"
    assert names == ("a", "b")


def test_named_and_question_mark_placeholders_do_not_mix() -> None:
    with pytest.raises(SqlTextError):
        to_dollar_named("SELECT :a, ?")


def test_positional_statements_leave_colon_names_alone() -> None:
    assert to_dollar("SELECT arr[lo:hi], ?") == "SELECT arr[lo:hi], $1"


SCRIPT = """
-- a comment; with a semicolon
CREATE TABLE t (a TEXT DEFAULT ';', b TEXT DEFAULT E'\\';', "c;" INT); /* block; /* nested; */ still; */
INSERT INTO t (a) VALUES ('x;y''z;');
CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $fn$
BEGIN
    RETURN 1; -- inside the body; kept
END
$fn$;
SELECT $$;$$;  -- trailing
-- only a comment at the end;
"""


def test_a_script_splits_at_semicolons_in_code_only() -> None:
    assert split_statements(SCRIPT) == [
        "CREATE TABLE t (a TEXT DEFAULT ';', b TEXT DEFAULT E'\\';', \"c;\" INT)",
        "INSERT INTO t (a) VALUES ('x;y''z;')",
        "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $fn$\nBEGIN\n    RETURN 1; -- inside the body; kept\n"
        "END\n$fn$",
        "SELECT $$;$$",
    ]


def test_a_sqlite_trigger_stays_one_statement() -> None:
    script = (
        "CREATE TABLE t (a INT, n INT);\n"
        "CREATE TRIGGER t_count AFTER INSERT ON t BEGIN\n"
        "    UPDATE t SET n = 1 WHERE a = NEW.a; -- the first; of two\n"
        "    UPDATE t SET n = n + 1 WHERE a = NEW.a;\n"
        "END;\n"
        "INSERT INTO t (a) VALUES (';');"
    )
    statements = split_statements(script, "sqlite")
    assert len(statements) == 3
    db = sqlite3.connect(":memory:")
    for statement in statements:
        db.execute(statement)
    assert db.execute("SELECT n FROM t").fetchall() == [(2,)]


async def test_a_question_mark_in_a_literal_reaches_the_database_as_text(store: Store) -> None:
    async with store.db.reader() as c:
        row = await c.fetchone("SELECT '?' AS q, CAST(? AS INTEGER) AS v, 'it''s ?' AS w -- what?\n", (5,))
    assert row is not None
    assert tuple(row) == ("?", 5, "it's ?")
    assert (row["q"], row["v"], row["w"]) == ("?", 5, "it's ?")


async def test_named_parameters_reach_the_database(store: Store) -> None:
    async with store.db.reader() as c:
        row = await c.fetchone("SELECT :a AS a, CAST(:b AS INTEGER) AS b, :a AS again", {"a": "x", "b": 2})
    assert row is not None
    assert tuple(row) == ("x", 2, "x")


@pytest.fixture
async def pg_store(pg_module_url: str) -> AsyncIterator[Store]:
    s = await Store.connect(pg_module_url)
    yield s
    await s.close()


@pytest.mark.postgres
async def test_the_jsonb_question_mark_operator_is_written_doubled(pg_store: Store) -> None:
    async with pg_store.db.reader() as c:
        row = await c.fetchone(
            "SELECT ?::jsonb ?? 'a' AS has_a, ?::jsonb ??| array['z'] AS has_z", ('{"a": 1}', '{"a": 1}')
        )
    assert row is not None
    assert (row["has_a"], row["has_z"]) == (True, False)


async def test_rows_read_by_position_and_name_and_equal_their_tuples(store: Store) -> None:
    async with store.db.reader() as c:
        rows = await c.fetchall(
            "SELECT CAST(? AS INTEGER) AS n, 'a' AS s UNION ALL SELECT CAST(? AS INTEGER), 'b'", (1, 2)
        )
    assert rows == [(1, "a"), (2, "b")]
    assert [(r["n"], r["s"]) for r in rows] == [(r[0], r[1]) for r in rows]
    [(n, s), _] = rows
    assert (n, s) == (1, "a")
    assert rows[0] != (1, "b")
    assert {rows[0]: "hashable like its tuple"}[(1, "a")]
    with pytest.raises(LookupError):
        rows[0]["missing"]
