"""Clerk's organization claims of a session token (version 2): ``o`` and ``fea``.

``o`` holds the active organization's ``id``, ``slg`` (slug) and ``rol`` (the role key without ``org:``);
with custom permissions (``org:<feature>:<action>``; Clerk leaves system permissions out of tokens), ``per``
lists the actions, ``fea`` the features (``o:<feature>``) and ``o.fpm`` for each feature, in order, the
actions it has as a bit mask over ``per`` (bit ``i`` is ``per[i]``), in decimal.
"""

from __future__ import annotations

from typing import Any

from hookline.store import organization_members as members
from hookline.store import organization_roles as roles
from hookline.store import organizations as orgs
from hookline.store.db import Conn


def encode(org_id: str, slug: str, role: str, permissions: list[str]) -> dict[str, Any]:
    """The claims for a member with ``role`` and these permission keys (system ones are left out)."""
    pairs = [
        tuple(k.split(":")[1:3]) for k in permissions if k.count(":") == 2 and not k.startswith("org:sys_")
    ]
    features = sorted({f for f, _ in pairs})
    actions = sorted({a for _, a in pairs})
    claim: dict[str, Any] = {"id": org_id, "slg": slug, "rol": role.removeprefix("org:")}
    out: dict[str, Any] = {"o": claim}
    if pairs:
        claim["per"] = ",".join(actions)
        claim["fpm"] = ",".join(
            str(sum(1 << actions.index(a) for f2, a in pairs if f2 == f)) for f in features
        )
        out["fea"] = ",".join("o:" + f for f in features)
    return out


async def session_claims(c: Conn, session_id: str, user_id: str) -> dict[str, Any]:
    """The organization claims of a session's token: none without an active organization of which the user
    is (still) a member."""
    org_id = await orgs.active_for_session(c, session_id)
    if org_id is None:
        return {}
    o = await orgs.get(c, org_id)
    m = await members.get_membership(c, org_id, user_id)
    if o is None or m is None or o.id != org_id:
        return {}
    role = await roles.get_role(c, m.role)
    return encode(o.id, o.slug, m.role, [p.key for p in role.permissions] if role else [])
