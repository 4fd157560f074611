"""The Typer application and the options every command shares."""

from __future__ import annotations

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
