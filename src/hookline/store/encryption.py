"""Which key seals this database's secrets: HOOKLINE_ENCRYPTION_KEY, or a key made on the first start.

When the setting is unset, a key is generated on the first start, written to a key file (mode
0600) beside a SQLite database (``hookline.db.key``) or in the working directory for PostgreSQL
(``hookline.key``), and printed once; later starts read the file. A database whose secrets are
sealed with a key this process does not hold refuses to start, naming the setting.

Rotation: set ``HOOKLINE_ENCRYPTION_KEY=new,old``; on start every secret not sealed with the new key
is sealed again with it, after which the old key can be dropped. Secrets stored before encryption
existed are sealed the same way.
"""

from __future__ import annotations

import os
from pathlib import Path

from hookline.config import ConfigError
from hookline.store.db import SqliteDatabase
from hookline.store.secret_box import SecretBox, SecretKeyError, new_key, parse_keys
from hookline.store.store import Store

CHECK_SETTING = "encryption_key_check"
# settings whose values are secrets (the identity service's RSA signing key)
SEALED_SETTINGS = ("identity_signing_key_pem",)
_CHECK_TEXT = "hookline"


def key_file(store: Store) -> Path | None:
    """Where a generated key is kept for this database (None for an in-memory one)."""
    if isinstance(store.db, SqliteDatabase):
        return None if store.db.path == ":memory:" else Path(store.db.path + ".key")
    return Path("hookline.key")


def _write_key_file(path: Path, key: str) -> str:
    """Create ``path`` (0600) holding ``key``; when another process made it first, its key wins."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(key + "\n")
    return key


async def attach(store: Store, configured: str | None) -> str | None:
    """Give ``store`` its key(s) and seal whatever is not sealed with the first; return a key generated
    now (to print once), or None."""
    generated = None
    if configured:
        keys = _parse(configured, "HOOKLINE_ENCRYPTION_KEY")
    else:
        path = key_file(store)
        if path is not None and path.exists():
            keys = _parse(path.read_text(), str(path))
        else:
            check = await store.get_setting(CHECK_SETTING)
            if check is not None:
                raise ConfigError(
                    "HOOKLINE_ENCRYPTION_KEY is not set, and this database's secrets are sealed with key "
                    f"{check.split(':')[1] if check.count(':') >= 2 else '?'}: set it to the key printed "
                    "when they were first stored"
                )
            key = new_key()
            if path is not None:
                key = _write_key_file(path, key)
                generated = key
            keys = _parse(key, "the generated key")
    box = SecretBox(keys)
    check = await store.get_setting(CHECK_SETTING)
    if check is not None:
        try:
            box.open(check)
        except SecretKeyError as exc:
            raise ConfigError(f"HOOKLINE_ENCRYPTION_KEY: {exc}; set it to the key (or keys) in use") from None
    store.box = box
    await reseal(store, box)
    return generated


def _parse(text: str, where: str) -> list[bytes]:
    try:
        keys = parse_keys(text)
    except ValueError as exc:
        raise ConfigError(f"HOOKLINE_ENCRYPTION_KEY ({where}): {exc}") from None
    if not keys:
        raise ConfigError(f"HOOKLINE_ENCRYPTION_KEY ({where}) holds no key")
    return keys


async def reseal(store: Store, box: SecretBox) -> int:
    """Seal again with the first key every secret that is plain or sealed with another; return how many."""
    changed = 0
    async with store.db.transaction() as tx:
        for endpoint_id, secret in await tx.fetchall("SELECT endpoint_id, secret FROM endpoint_secrets"):
            if not box.fresh(secret):
                await tx.execute(
                    "UPDATE endpoint_secrets SET secret = ? WHERE endpoint_id = ? AND secret = ?",
                    (box.seal(box.open(secret)), endpoint_id, secret),
                )
                changed += 1
        for name in (*SEALED_SETTINGS, CHECK_SETTING):
            row = await tx.fetchone("SELECT value FROM settings WHERE key = ?", (name,))
            if row is None or box.fresh(row[0]):
                continue
            value = box.seal(box.open(row[0]))
            await tx.execute(
                "UPDATE settings SET value = ? WHERE key = ? AND value = ?", (value, name, row[0])
            )
            changed += 1
        await tx.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
            (CHECK_SETTING, box.seal(_CHECK_TEXT)),
        )
    return changed
