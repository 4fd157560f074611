"""Pages in the viewer's language: one Jinja2 environment per language, with
the dashboard's gettext catalogue installed and Babel filters that write
numbers, money, dates and times the way that language does.

UI wording is English in the templates (``_("Today")``); the Chinese is in
``shelfpilot/locale/zh_CN/LC_MESSAGES/web.po``, read with Babel at start-up
(no compile step). ``pybabel extract -F babel.cfg`` collects the wording;
a test fails when any of it has no translation.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, format_percent
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from shelfpilot.api.i18n import CHINESE, ENGLISH, localize

DOMAIN = "web"
LANGUAGES = (ENGLISH, CHINESE)
#: Babel locale of each language
LOCALES = {ENGLISH: "en", CHINESE: "zh_Hans_CN"}


@cache
def catalogue(language: str) -> Mapping[str, str]:
    """msgid → wording in ``language`` (empty for English)."""
    if language == ENGLISH:
        return {}
    path = resources.files("shelfpilot") / "locale" / "zh_CN" / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as fh:
        po = read_po(fh, locale="zh_CN", domain=DOMAIN)
    return {
        str(m.id): str(m.string)
        for m in po
        if m.id and isinstance(m.id, str) and isinstance(m.string, str) and m.string
        if not m.fuzzy
    }


def L_(text: str) -> str:
    """Mark a dashboard label where it is defined (``pybabel extract -k L_``
    and the catalogue test collect these); it is translated where shown."""
    return text


def gettext(language: str, message: str) -> str:
    return catalogue(language).get(message, message)


def ui(language: str, message: str, **params: object) -> str:
    """Wording made in Python (chart labels) the way templates make it:
    translated, then ``%(name)s`` filled in and ``%%`` read as ``%``."""
    return gettext(language, message) % params


def _filters(language: str) -> dict[str, Any]:
    locale = Locale.parse(LOCALES[language])

    def number(value: Decimal | float | int | None, places: int = 2) -> str:
        if value is None:
            return "–"
        pattern = "#,##0" + ("." + "0" * places if places else "")
        return format_decimal(value, format=pattern, locale=locale)

    def quantity(value: Decimal | float | None) -> str:
        """Up to 3 places, no trailing zeros (fresh food is sold by weight)."""
        return "–" if value is None else format_decimal(value, format="#,##0.###", locale=locale)

    def money(value: Decimal | float | None, currency: str = "CNY") -> str:
        return "–" if value is None else format_currency(value, currency, locale=locale)

    def percent(value: Decimal | float | None, places: int = 0) -> str:
        if value is None:
            return "–"
        return format_percent(
            value, format="#,##0" + ("." + "0" * places if places else "") + "%", locale=locale
        )

    def day(value: date | None, form: str = "medium") -> str:
        return "–" if value is None else format_date(value, form, locale=locale)

    def moment(value: datetime | None, zone: str | None = None, form: str = "short") -> str:
        if value is None:
            return "–"
        return format_datetime(
            value, form, tzinfo=ZoneInfo(zone) if zone else value.tzinfo, locale=locale
        )

    def message(value: object) -> object:
        """A domain message (``Text`` or an error) in the page's language."""
        return localize(value, language)

    return {
        "number": number, "quantity": quantity, "money": money, "percent": percent,
        "day": day, "moment": moment, "message": message,
    }  # fmt: skip


@cache
def environment(language: str) -> Environment:
    env = Environment(
        loader=PackageLoader("shelfpilot.web", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda message: gettext(language, message),
        lambda singular, plural, n: gettext(language, singular if n == 1 else plural),
        newstyle=True,
    )
    env.filters.update(_filters(language))
    # a label of a known code (stage, action, status) in this language; a code
    # of the shop's own making is shown as it is (never read as a format)
    env.globals["label"] = lambda labels, code: (
        gettext(language, labels[code]) if code in labels else code
    )
    env.globals["language"] = language
    env.globals["html_lang"] = "zh-CN" if language == CHINESE else "en"
    return env


def render(language: str, name: str, context: Mapping[str, Any]) -> str:
    return environment(language).get_template(name).render(**context)
