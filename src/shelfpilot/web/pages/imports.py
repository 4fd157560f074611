"""Import: upload a spreadsheet; a bad row is shown with its file, row and
column, and nothing of the file is saved until every row is clean."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse

from shelfpilot.importing import KINDS, ImportFailed
from shelfpilot.services import uploads
from shelfpilot.web import session
from shelfpilot.web.pages.base import Current, Db, page

router = APIRouter()


@router.get("/import", response_class=HTMLResponse)
def import_form(request: Request, viewer: Current) -> HTMLResponse:
    return page(
        request, viewer, "import.html", kinds=KINDS, chosen="lots", report=None, failed=None
    )


@router.post("/import", response_class=HTMLResponse)
def import_upload(
    request: Request,
    db: Db,
    viewer: Current,
    kind: Annotated[str, Form(max_length=32)],
    file: Annotated[UploadFile, File()],
    csrf: Annotated[str, Form()] = "",
) -> HTMLResponse:
    session.check_csrf(request, viewer, csrf)
    name, report, failed = uploads.upload_name(file.filename), None, None
    try:
        name, report = uploads.import_upload(db, viewer.principal, kind, file.filename, file.file)
    except ImportFailed as error:
        failed = error
    return page(
        request, viewer, "import.html", status=422 if failed else 200, kinds=KINDS, chosen=kind,
        report=report, failed=failed, name=name,
    )  # fmt: skip
