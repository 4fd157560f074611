"""Serving the API, and the accounts that use it."""

from __future__ import annotations

import gc
import os
import secrets
from datetime import datetime, timedelta
from typing import Annotated, Any

import typer
import uvicorn
from fastapi import FastAPI
from rich.table import Table

from shelfpilot import config
from shelfpilot.api.app import create_app
from shelfpilot.cli.app import By, Db, app, who
from shelfpilot.cli.support import clearance_options, err, fail, handled, open_db, out
from shelfpilot.config import DEFAULT_DB_URL
from shelfpilot.domain.access import Role
from shelfpilot.services import identity
from shelfpilot.storage import Database
from shelfpilot.web import app as web

users_app = typer.Typer(help="Accounts for the API and the dashboard.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys for a store's tills (POS systems).", no_args_is_help=True)
app.add_typer(users_app, name="user")
app.add_typer(keys_app, name="api-key")

Password = Annotated[
    str,
    typer.Option(
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        envvar="SHELFPILOT_NEW_PASSWORD",
        help="At least 8 characters; asked for when not given.",
    ),
]
RoleOpt = Annotated[Role, typer.Option(help="What the account may do.")]
Place = Annotated[
    str | None,
    typer.Option(
        "--location",
        "-l",
        help="Brand, distributor or store the account covers (and all under it).",
    ),
]


#: how ``serve --workers`` tells its worker processes the dashboard's clock
AS_OF_VARIABLE = "SHELFPILOT_SERVE_AS_OF"


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="Server processes sharing the database, so any of them answers any "
            "request: one per core is a good start on PostgreSQL (on a SQLite file "
            "writes wait for each other whatever the number).",
        ),
    ] = 1,
    access_log: Annotated[
        bool, typer.Option("--access-log/--no-access-log", help="Log every request.")
    ] = True,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Run the dashboard's clock at this moment, e.g. 2017-04-09T17:00+00:00 "
            "to look at a replayed history such as the demo (default: now).",
        ),
    ] = None,
    db: Db = DEFAULT_DB_URL,
) -> None:
    """Run the REST API (interactive docs at /api/v1/docs) and the dashboard (/app)."""
    with handled():
        clock = _clock(as_of)
        database = open_db(db)
        described = database.describe()
        key = config.settings().secret_key
        if key is None:
            err.print(
                "[yellow]SHELFPILOT_SECRET_KEY is not set: a random key signs logins, "
                "so everyone logs in again after a restart"
            )
        secret = secrets.token_urlsafe(48) if key is None else key.get_secret_value()
        if workers == 1:
            api = server_app(database, db, clock, secret)
        else:
            database.close()
            # the workers start afresh and read the database, key and clock from
            # their environment (readable by this user and root, like any setting)
            os.environ["SHELFPILOT_DB_URL"] = db
            os.environ["SHELFPILOT_SECRET_KEY"] = secret
            os.environ.pop(AS_OF_VARIABLE, None)
            if clock is not None:
                os.environ[AS_OF_VARIABLE] = clock.isoformat()
    out.print(f"ShelfPilot API on http://{host}:{port}/api/v1/docs ({described})")
    out.print(f"Dashboard on http://{host}:{port}/app/")
    options: dict[str, Any] = {"host": host, "port": port, "log_level": "info"}
    if workers == 1:
        settle_heap()
        uvicorn.run(api, access_log=access_log, **options)
    else:
        uvicorn.run(
            f"{__name__}:worker_app", factory=True, workers=workers, access_log=access_log,
            **options,
        )  # fmt: skip


def _clock(as_of: str | None) -> datetime | None:
    if as_of is None:
        return None
    try:
        clock = datetime.fromisoformat(as_of)
    except ValueError:
        fail(f"{as_of!r} is not a time; write it like 2017-04-09T17:00+00:00")
    if clock.tzinfo is None:
        fail(f"give --as-of with its zone, e.g. {as_of}+08:00")
    return clock


def server_app(database: Database, url: str, clock: datetime | None, secret: str) -> FastAPI:
    """The API with the dashboard mounted, as ``serve`` runs it (``url`` as
    given, which names the demand model file beside a SQLite database)."""
    settings = config.settings()
    api = create_app(
        database,
        secret=secret,
        access=timedelta(minutes=settings.access_minutes),
        refresh=timedelta(days=settings.refresh_days),
        clearance=clearance_options(None, url),
    )
    api.state.as_of = clock
    web.mount(api)
    return api


def worker_app() -> FastAPI:
    """One worker process of ``serve --workers``: the app from what ``serve``
    put in the environment."""
    settings = config.settings()
    as_of = os.environ.get(AS_OF_VARIABLE)
    if settings.secret_key is None:  # each worker would sign logins the others refuse
        raise RuntimeError("serve --workers gives its workers SHELFPILOT_SECRET_KEY; it is missing")
    api = server_app(
        Database(settings.db_url),
        settings.db_url,
        None if as_of is None else datetime.fromisoformat(as_of),
        settings.secret_key.get_secret_value(),
    )
    settle_heap()
    return api


def settle_heap() -> None:
    """Keep what the server has loaded out of the garbage collector's full passes.

    The modules, the app and the libraries' tables (pandas, SQLAlchemy, ...)
    are about 300,000 objects that live as long as the process; a
    full collection walks them all, about 0.2 s on the reference machine,
    and under load one came every ten seconds or so: a till would wait that long.
    Frozen, a full pass walks only what requests made.
    """
    gc.collect()
    gc.freeze()


@users_app.command("create")
def user_create(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: RoleOpt,
    password: Password,
    location: Place = None,
    supplier: Annotated[str | None, typer.Option(help="Supplier code (supplier role).")] = None,
    by: By = None,
    db: Db = DEFAULT_DB_URL,
) -> None:
    """Create an account, e.g. the first brand admin:
    `shelfpilot user create alice --role brand_admin -l BB`."""
    with handled():
        user = identity.create_user(
            open_db(db), username, password, role, location=location, supplier=supplier,
            actor=who(by),
        )  # fmt: skip
        out.print(f"created {user.role.value} {user.username} at {user.location or user.supplier}")


@users_app.command("list")
def user_list(db: Db = DEFAULT_DB_URL) -> None:
    """Every account, its role, place and version."""
    with handled():
        table = Table("user", "role", "location", "supplier", "active", "version")
        for u in identity.users(open_db(db)):
            table.add_row(
                u.username, u.role.value, u.location or "", u.supplier or "",
                "yes" if u.active else "no", str(u.version),
            )  # fmt: skip
        out.print(table)


@users_app.command("change")
def user_change(
    username: Annotated[str, typer.Argument()],
    version: Annotated[int, typer.Option(help="The version you saw (`user list`).")],
    role: Annotated[Role | None, typer.Option()] = None,
    location: Place = None,
    active: Annotated[bool | None, typer.Option("--active/--inactive")] = None,
    by: By = None,
    db: Db = DEFAULT_DB_URL,
) -> None:
    """Change an account's role or place, or stop it logging in."""
    with handled():
        user = identity.change_user(
            open_db(db), username, expected_version=version, actor=who(by), role=role,
            location=location, active=active,
        )  # fmt: skip
        out.print(f"{user.username}: {user.role.value} at {user.location}, version {user.version}")


@keys_app.command("create")
def key_create(
    location: Annotated[str, typer.Argument(help="Store code.")],
    name: Annotated[str, typer.Option(help="Which till or system, e.g. 'till 1'.")] = "till",
    by: By = None,
    db: Db = DEFAULT_DB_URL,
) -> None:
    """Make a key for a store's tills; it is shown once, so store it now."""
    with handled():
        key = identity.create_api_key(open_db(db), location, name, actor=who(by))
        out.print(key, highlight=False)


@keys_app.command("revoke")
def key_revoke(
    prefix: Annotated[str, typer.Argument(help="The 8 characters after 'sp_' in the key.")],
    by: By = None,
    db: Db = DEFAULT_DB_URL,
) -> None:
    """Stop a key working at once."""
    with handled():
        identity.revoke_api_key(open_db(db), prefix, actor=who(by))
        out.print(f"revoked {prefix}")
