"""How ``hookline … --help`` looks: plain text, filled to the terminal's width and not wrapped at all
when piped, and positional arguments named by their metavar (``URL``), never by a type (``<str>``)."""

from __future__ import annotations

import shutil
import sys
from typing import Any

from typer.core import TyperArgument, TyperCommand

_TTY = sys.stdout.isatty()
# On a terminal, paragraphs are filled to its width (at most 120 columns); piped to a file or a
# program, each paragraph and each option stays one line.
WIDTH = shutil.get_terminal_size().columns if _TTY else 100_000
SETTINGS: dict[str, Any] = {"terminal_width": WIDTH, "max_content_width": 120 if _TTY else WIDTH}


def _name(param: TyperArgument) -> str:
    return param.metavar or (param.name or "ARG").upper()


class Command(TyperCommand):
    """A typer command whose help shows each positional argument by its metavar alone."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        """The usage line: ``[OPTIONS] URL``."""
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if isinstance(param, TyperArgument):
                pieces.append(_name(param))
            else:
                pieces.extend(param.get_usage_pieces(ctx))
        return pieces

    def format_options(self, ctx: Any, formatter: Any) -> None:
        """The ``Arguments`` and ``Options`` sections."""
        arguments, options = [], []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if isinstance(param, TyperArgument):
                arguments.append((_name(param), record[1]))
            else:
                options.append(record)
        for title, rows in (("Arguments", arguments), ("Options", options)):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)
