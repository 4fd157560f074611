"""The language of error messages: English or simplified Chinese, by the
request's ``Accept-Language``.

Messages are written in English; the Chinese ones come from a gettext
catalogue (``shelfpilot/locale/zh_CN/LC_MESSAGES/shelfpilot.po``, read with
Babel when first needed, no compile step). A domain error carries its English
``template`` and ``params``; the template is looked up, and the params are
translated too when they are phrases (``Text``), lots or wrapped errors.
Anything not in the catalogue is shown in English, so a message is never lost.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import cache, lru_cache
from importlib import resources
from typing import Annotated, Any

from babel import Locale, UnknownLocaleError
from babel.messages.pofile import read_po
from fastapi import Depends, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shelfpilot.domain.errors import DomainError, Text
from shelfpilot.domain.lots import LotKey

log = logging.getLogger("shelfpilot.api")

ENGLISH, CHINESE = "en", "zh-CN"
#: language tag (as sent in Content-Language) → catalogue folder
CATALOGUES = {CHINESE: "zh_CN"}
#: what ``Locale.negotiate`` may pick; any ``zh-*`` falls back to "zh"
_AVAILABLE = ["en", "zh"]
_PICKED = {"en": ENGLISH, "zh": CHINESE}
DOMAIN = "shelfpilot"
#: an Accept-Language header is short; a longer one is read only this far
_MAX_HEADER, _MAX_RANGES = 512, 16


def N_(text: str) -> str:
    """Mark ``text`` as a message to translate where it is defined (the
    catalogue test collects these); it is translated where it is shown."""
    return text


def preferred(header: str | None) -> list[str]:
    """The language ranges of an ``Accept-Language`` header, most wanted
    first (by q-value, then order); ``q=0`` and ``*`` are left out."""
    ranges: list[tuple[float, int, str]] = []
    for n, part in enumerate((header or "")[:_MAX_HEADER].split(",")[:_MAX_RANGES]):
        tag, *options = (p.strip() for p in part.split(";"))
        q = 1.0
        for option in options:
            name, _, value = option.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        tag = tag.replace("_", "-")
        if 0 < q <= 1 and 0 < len(tag) <= 35 and tag.replace("-", "").isalnum():
            ranges.append((-q, n, tag))
    return [tag for _, _, tag in sorted(ranges)]


@lru_cache(maxsize=256)
def negotiate(header: str | None) -> str:
    """``zh-CN`` when the client prefers any Chinese to English, else ``en``."""
    try:
        locale = Locale.negotiate(preferred(header), _AVAILABLE, sep="-")
    except (ValueError, UnknownLocaleError):
        locale = None
    return _PICKED.get(locale.language, ENGLISH) if locale else ENGLISH


@cache
def catalogue(language: str) -> Mapping[str, str]:
    """msgid → translation of one language (empty for English)."""
    folder = CATALOGUES.get(language)
    if folder is None:
        return {}
    path = resources.files("shelfpilot") / "locale" / folder / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as fh:
        po = read_po(fh, locale=folder, domain=DOMAIN)
    return {
        str(m.id): str(m.string)
        for m in po
        if m.id and isinstance(m.id, str) and isinstance(m.string, str) and m.string
        if not m.fuzzy
    }


def translate(
    template: str, params: Mapping[str, object], language: str, english: str | None = None
) -> str:
    """``template`` in ``language``, formatted with its params (translated
    too); ``english`` (by default the template formatted) when there is no
    translation or it does not fit the params."""
    if english is None:
        english = template.format(**params) if params else template
    wording = None if language == ENGLISH else catalogue(language).get(template)
    if wording is None:
        return english
    values = {k: localize(v, language) for k, v in params.items()}
    try:
        return wording.format(**values) if params else wording
    except (KeyError, IndexError, ValueError):
        log.warning("translation of %r does not fit its values", template)
        return english


def localize(value: object, language: str) -> object:
    """A message's value as shown in ``language``."""
    if isinstance(value, DomainError):
        return message(value, language)
    if isinstance(value, Text):
        return translate(value.template, value.params, language)
    if isinstance(value, LotKey):
        return localize(value.text, language)
    return value


def message(error: DomainError, language: str) -> str:
    """A domain error's message in ``language``; as ``str(error)`` when it
    has no translation (a plain message, an error that words itself)."""
    return translate(error.template, error.params, language, str(error))


def text(wording: str, language: str, **params: object) -> str:
    """One of the API's own messages (marked with ``N_``) in ``language``."""
    return translate(wording, params, language)


#: Chinese wording of pydantic's common errors, by error type; in English the
#: API shows pydantic's own message. ``{placeholders}`` are the error's ctx.
VALIDATION: Mapping[str, str] = {
    "missing": N_("this field is required"),
    "extra_forbidden": N_("this field is not accepted here"),
    "json_invalid": N_("the body is not valid JSON"),
    "json_type": N_("the body must be JSON"),
    "model_attributes_type": N_("an object is expected here"),
    "dict_type": N_("an object is expected here"),
    "model_type": N_("an object is expected here"),
    "list_type": N_("a list is expected here"),
    "string_type": N_("a text is expected here"),
    "string_too_short": N_("at least {min_length} characters"),
    "string_too_long": N_("at most {max_length} characters"),
    "string_pattern_mismatch": N_("the text does not have the expected form"),
    "int_parsing": N_("a whole number is expected"),
    "int_type": N_("a whole number is expected"),
    "int_from_float": N_("a whole number is expected"),
    "float_parsing": N_("a number is expected"),
    "float_type": N_("a number is expected"),
    "decimal_parsing": N_("a decimal number is expected"),
    "decimal_type": N_("a decimal number is expected"),
    "decimal_max_places": N_("at most {decimal_places} decimal places"),
    "decimal_max_digits": N_("at most {max_digits} digits"),
    "bool_parsing": N_("true or false is expected"),
    "bool_type": N_("true or false is expected"),
    "date_parsing": N_("a date like 2026-05-01 is expected"),
    "date_from_datetime_parsing": N_("a date like 2026-05-01 is expected"),
    "date_type": N_("a date like 2026-05-01 is expected"),
    "datetime_parsing": N_("a date and time like 2026-05-01T09:30:00+08:00 is expected"),
    "datetime_from_date_parsing": N_("a date and time like 2026-05-01T09:30:00+08:00 is expected"),
    "datetime_type": N_("a date and time like 2026-05-01T09:30:00+08:00 is expected"),
    "timezone_aware": N_("the time needs a time zone, e.g. +08:00"),
    "greater_than": N_("must be greater than {gt}"),
    "greater_than_equal": N_("must be at least {ge}"),
    "less_than": N_("must be less than {lt}"),
    "less_than_equal": N_("must be at most {le}"),
    "too_short": N_("at least {min_length} items"),
    "too_long": N_("at most {max_length} items"),
    "enum": N_("must be one of {expected}"),
    "literal_error": N_("must be one of {expected}"),
    "uuid_parsing": N_("a UUID is expected"),
}


def validation_message(error: Mapping[str, Any], language: str) -> str:
    """One pydantic error's message: pydantic's own in English, ours in
    Chinese when its type is known (a domain error raised by a validator is
    translated as itself)."""
    english = str(error.get("msg", "invalid value"))
    if language == ENGLISH:
        return english
    ctx = error.get("ctx") or {}
    cause = ctx.get("error")
    if error.get("type") == "value_error" and isinstance(cause, DomainError):
        return message(cause, language)
    wording = VALIDATION.get(str(error.get("type")))
    if wording is None:
        return english if "msg" in error else text("invalid value", language)
    return text(wording, language, **{k: v for k, v in ctx.items() if k != "error"})


class ContentLanguage:
    """Say which language a response is in (``Content-Language``) and that it
    depends on the request's ``Accept-Language`` (``Vary``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        language = negotiate(request_header(scope, b"accept-language"))

        async def send_with_language(event: Message) -> None:
            if event["type"] == "http.response.start":
                headers = list(event.get("headers", []))
                names = {name.lower() for name, _ in headers}
                if b"content-language" not in names:
                    headers.append((b"content-language", language.encode()))
                if b"vary" not in names:
                    headers.append((b"vary", b"Accept-Language"))
                event = {**event, "headers": headers}
            await send(event)

        await self.app(scope, receive, send_with_language)


async def request_language(request: Request) -> str:
    """The language of this request's answer (a dependency: ``Language``)."""
    return negotiate(request.headers.get("accept-language"))


Language = Annotated[str, Depends(request_language)]


def request_header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None
