"""The interface both database drivers offer, and the row type they return.

Statements take ``?`` placeholders with a sequence of parameters, or ``:name`` ones with a mapping
(see ``sqltext``). A row reads its columns by position or by name (``row["id"]``), on both backends.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Protocol, TypeVar

T = TypeVar("T")

Params = Sequence[Any] | Mapping[str, Any]


class Row(Protocol):
    """A result row: a sequence of column values that also reads a column by its name (asyncpg's
    ``Record``; on SQLite, ``sqlite_thread.SqliteRow``). Both compare equal to the tuple of their values."""

    def __getitem__(self, key: Any, /) -> Any: ...

    def __iter__(self) -> Iterator[Any]: ...

    def __len__(self) -> int: ...


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
