"""The portal's look: name, logo, primary colour, light or dark, font — per application, or in the link.

A link takes Svix's App Portal parameters (``darkMode``, ``primaryColor``, ``icon``, ``fontFamily``,
as ``svix-react``'s ``<AppPortal>`` appends them) and hookline's ``name``; they win over what the
operator stored for the application. Every value is checked strictly (a colour is hex, a logo an
``https`` URL, a font a plain family name), so none can break out of the page's CSS or HTML.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from urllib.parse import urlsplit

from hookline.services.errors import FieldError
from hookline.services.runtime import Runtime
from hookline.store.portal_themes import PortalThemes

HEX = re.compile(r"#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})")
FONT = re.compile(r"[A-Za-z0-9][A-Za-z0-9 \-]{0,63}")
MODES = ("light", "dark")
# a link's parameters: Svix's App Portal names, and the theme field each sets
LINK_PARAMS = {"darkMode": "mode", "primaryColor": "primary_color", "icon": "logo_url",
               "fontFamily": "font_family", "name": "name"}  # fmt: skip


@dataclass(frozen=True)
class PortalTheme:
    """How the portal looks; a field left None takes the default (or the application's)."""

    name: str | None = None
    logo_url: str | None = None
    primary_color: str | None = None  # "#rrggbb"
    mode: str | None = None  # "light" or "dark"; None follows the viewer's system
    font_family: str | None = None

    def over(self, base: PortalTheme | None) -> PortalTheme:
        """This theme's fields where set, ``base``'s elsewhere."""
        if base is None:
            return self
        return replace(base, **{f.name: v for f in fields(self) if (v := getattr(self, f.name)) is not None})

    @property
    def empty(self) -> bool:
        return all(getattr(self, f.name) is None for f in fields(self))

    def to_json(self) -> str | None:
        """The stored form (None when nothing is set)."""
        return None if self.empty else json.dumps({k: v for k, v in asdict(self).items() if v is not None})

    @classmethod
    def from_json(cls, text: str | None) -> PortalTheme | None:
        """A stored theme (as checked when it was stored)."""
        if not text:
            return None
        data = json.loads(text)
        return cls(**{f.name: data.get(f.name) for f in fields(cls)})


def _invalid(field: str, message: str) -> FieldError:
    # a field error, so the API answers it in the shape of any other 422 (Svix's validation errors)
    return FieldError(["body", field], f"{field}: {message}")


def check_color(value: str, field: str = "primaryColor") -> str:
    """A hex colour (``#3451b2``, ``3451b2`` or ``#35b``) as ``#rrggbb``."""
    found = HEX.fullmatch(value.strip())
    if not found:
        raise _invalid(field, "a hex colour such as #3451b2")
    digits = found.group(1).lower()
    return "#" + (digits if len(digits) == 6 else "".join(c * 2 for c in digits))


def check_logo(value: str, field: str = "icon") -> str:
    """An ``https`` URL of an image (no credentials, no spaces or quotes), at most 2048 characters."""
    value = value.strip()
    parts = urlsplit(value)
    if (parts.scheme != "https" or not parts.hostname or parts.username or parts.password
            or len(value) > 2048 or any(c in value for c in " \"'<>\\`") or not value.isprintable()):  # fmt: skip
        raise _invalid(field, "an https:// URL of an image")
    return value


def check_mode(value: str | bool, field: str = "darkMode") -> str:
    """``light`` or ``dark`` (a link's ``darkMode=true|false``)."""
    if isinstance(value, bool):
        return "dark" if value else "light"
    low = value.strip().lower()
    if low in ("true", "1", "dark"):
        return "dark"
    if low in ("false", "0", "light"):
        return "light"
    raise _invalid(field, "true or false (dark or light)")


def check_font(value: str, field: str = "fontFamily") -> str:
    """Font family names, comma-separated (``DM Sans, sans-serif``): letters, digits, spaces and
    hyphens each, at most four (they are written, quoted, into the page's CSS)."""
    names = [part.strip() for part in value.split(",")]
    if not 1 <= len(names) <= 4 or not all(FONT.fullmatch(n) for n in names):
        raise _invalid(field, "font family names (letters, digits, spaces, hyphens), comma-separated")
    return ", ".join(names)


def check_name(value: str, field: str = "name") -> str:
    """A display name of 1 to 80 printable characters."""
    value = value.strip()
    if not value or len(value) > 80 or not value.isprintable():
        raise _invalid(field, "1 to 80 printable characters")
    return value


def build(
    *, name: str | None = None, logo_url: str | None = None, primary_color: str | None = None,
    mode: str | bool | None = None, font_family: str | None = None, names: Mapping[str, str] | None = None,
) -> PortalTheme:  # fmt: skip
    """A checked theme from its parts (an empty string is "not set"); ``names`` are the fields' names
    in the caller's words, for the 422's sentence."""
    n = {"name": "name", "logo_url": "logoUrl", "primary_color": "primaryColor", "mode": "mode",
         "font_family": "fontFamily", **(names or {})}  # fmt: skip
    return PortalTheme(
        name=check_name(name, n["name"]) if name else None,
        logo_url=check_logo(logo_url, n["logo_url"]) if logo_url else None,
        primary_color=check_color(primary_color, n["primary_color"]) if primary_color else None,
        mode=check_mode(mode, n["mode"]) if mode not in (None, "") else None,
        font_family=check_font(font_family, n["font_family"]) if font_family else None,
    )


def from_link(params: Mapping[str, str]) -> PortalTheme:
    """The theme a portal link's query parameters ask for (Svix's names; a bad value is a 422)."""
    given = {field: params[param] for param, field in LINK_PARAMS.items() if param in params}
    return build(**given, names={field: param for param, field in LINK_PARAMS.items()})


async def app_theme(rt: Runtime, app_id: str) -> PortalTheme | None:
    """The theme the operator stored for an application's portal, or None."""
    return PortalTheme.from_json(await PortalThemes(rt.store.db).get(app_id))


async def set_app_theme(rt: Runtime, app_id: str, theme: PortalTheme) -> None:
    """Store (or, when empty, forget) an application's portal theme."""
    await PortalThemes(rt.store.db).put(app_id, theme.to_json())
