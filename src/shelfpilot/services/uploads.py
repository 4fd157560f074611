"""Files uploaded on someone's behalf (the API, the dashboard): who may
import which kind, and what an uploaded file is called while it is read."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO

from shelfpilot.domain.access import Permission, Principal
from shelfpilot.services.imports import ImportReport, check_kind, import_file
from shelfpilot.storage import Database

#: what each kind of file records, and so who may upload it; products and
#: suppliers are shared by every brand on the server (``SHARED``)
IMPORT_PERMISSIONS = {
    "locations": Permission.MANAGE_CATALOG,
    "calendar": Permission.MANAGE_CATALOG,
    "lots": Permission.RECEIVE,
    "sales": Permission.SELL,
    "counts": Permission.ADJUST_STOCK,
}
SHARED = ("products", "suppliers")


def import_for(db: Database, principal: Principal, kind: str, path: Path) -> ImportReport:
    """An import on someone's behalf (API, dashboard): the kind needs the
    right its rows use, shared kinds an account covering every location, and
    rows may name only locations the account covers."""
    may_import(db, principal, kind)
    return import_file(db, kind, path, may_use=principal.sees)


def may_import(db: Database, principal: Principal, kind: str) -> None:
    """Refuse an unknown kind, or one the account may not import."""
    check_kind(kind)
    if kind in SHARED:
        with db.transaction(readonly=True) as uow:
            codes = [loc.code for loc in uow.catalog.locations()]
        principal.require_everywhere(Permission.MANAGE_CATALOG, codes, kind)
    else:
        principal.require(IMPORT_PERMISSIONS[kind])


def import_upload(
    db: Database, principal: Principal, kind: str, sent_name: str | None, stream: BinaryIO
) -> tuple[str, ImportReport]:
    """Save an uploaded file under its own name (row errors name it) in a
    temporary folder and import it there (``import_for``); the folder goes
    whatever happens. Returns the name used and the report."""
    may_import(db, principal, kind)  # before the file is copied
    name = upload_name(sent_name)
    with tempfile.TemporaryDirectory(
        prefix="shelfpilot-import-", ignore_cleanup_errors=True
    ) as folder:
        path = Path(folder) / name
        with path.open("wb") as out:
            shutil.copyfileobj(stream, out)
        return name, import_for(db, principal, kind, path)


def upload_name(sent: str | None) -> str:
    """The file's own name (row errors name it), or ``upload`` with its suffix
    when the name is not one a file can have here."""
    name = Path(sent or "").name
    if name in ("", ".", "..") or "\0" in name or len(name.encode()) > 200:
        suffix = Path(name.replace("\0", "")).suffix
        return "upload" + (suffix if suffix.isascii() and len(suffix) <= 10 else "")
    return name
