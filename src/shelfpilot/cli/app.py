"""The Typer application and the options every command shares."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer

app = typer.Typer(
    help="ShelfPilot: lots, expiry ladders and FEFO stock for goods that do not keep.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
Db = Annotated[
    str,
    typer.Option(
        "--db", envvar="SHELFPILOT_DB_URL", help="Database URL (SQLite file or postgresql://...)."
    ),
]
At = Annotated[
    str | None,
    typer.Option(
        "--at",
        help="Time as ISO 8601 ('2026-11-22 15:00'); without a zone it is the store's. Default now.",
    ),
]
Location = Annotated[str | None, typer.Option("--location", "-l", help="Location code.")]
Key = Annotated[str | None, typer.Option(help="Idempotency key: a retry with it records once.")]


def _default_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "shelfpilot"


By = Annotated[
    str | None,
    typer.Option(
        "--by",
        envvar="SHELFPILOT_USER",
        help="Who is acting, kept in the audit log (default: your login name).",
    ),
]


def who(by: str | None) -> str:
    return by if by and by.strip() else _default_user()
