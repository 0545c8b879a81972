"""The interface both database drivers offer, and the row type they return.

Statements take ``?`` placeholders with a sequence of parameters, or ``:name`` ones with a mapping
(see ``sqltext``). A row reads its columns by position or by name (``row["id"]``), on both backends.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Protocol, SupportsIndex, TypeVar, overload

T = TypeVar("T")

Params = Sequence[Any] | Mapping[str, Any]


class Row(Protocol):
    """A result row: a sequence of column values that also reads a column by its name."""

    def __getitem__(self, key: Any, /) -> Any: ...

    def __iter__(self) -> Iterator[Any]: ...

    def __len__(self) -> int: ...


class NamedRow(tuple[Any, ...]):
    """A SQLite row: a plain tuple (equal to one, as asyncpg's ``Record`` is) that also reads columns
    by name. Each result's columns make a subclass of their own that holds the name -> index map."""

    __slots__ = ()
    _index: dict[str, int] = {}

    @overload
    def __getitem__(self, key: SupportsIndex | str, /) -> Any: ...

    @overload
    def __getitem__(self, key: slice, /) -> tuple[Any, ...]: ...

    def __getitem__(self, key: Any, /) -> Any:
        if isinstance(key, str):
            try:
                key = self._index[key]
            except KeyError:
                raise KeyError(f"no column {key!r} in this row") from None
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        """The column names, in order."""
        return list(self._index)


@functools.lru_cache(maxsize=1024)
def row_type(names: tuple[str, ...]) -> type[NamedRow]:
    """The row class of a result with these column names (the first of two same names wins)."""
    index: dict[str, int] = {}
    for i, name in enumerate(names):
        index.setdefault(name, i)
    return type("Row", (NamedRow,), {"__slots__": (), "_index": index})


def named_rows(description: Sequence[Sequence[Any]] | None, rows: Iterable[Sequence[Any]]) -> list[Row]:
    """Rows of a DB-API cursor (``cursor.description``, its fetched tuples) as named rows."""
    if description is None:
        return [tuple(r) for r in rows]
    cls = row_type(tuple(d[0] for d in description))
    return list(map(cls, rows))


class Conn(Protocol):
    """A connection inside a transaction (or a read)."""

    dialect: str

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; return the number of rows it changed."""

    async def executemany(self, sql: str, params: Iterable[Params]) -> None:
        """Run one statement for each parameter tuple (or mapping)."""

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        """Run a query and return every row."""

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        """Run a query and return its first row, or None."""


class Database(Protocol):
    """A connection source: transactions for writes, plain connections for reads."""

    dialect: str

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    def transaction(self) -> contextlib.AbstractAsyncContextManager[Conn]: ...

    def reader(self) -> contextlib.AbstractAsyncContextManager[Conn]: ...

    def keyed(self) -> contextlib.AbstractAsyncContextManager[Conn]:
        """A plain connection for hot-path statements that reach every row by key."""
        ...

    async def run_transaction(self, job: Callable[[Conn], Awaitable[T]]) -> T:
        """Run ``job`` in one transaction; it awaits only the connection it is given."""
        ...
