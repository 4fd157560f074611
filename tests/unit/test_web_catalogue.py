"""Every word the dashboard shows goes through the catalogue, and the Chinese
catalogue translates all of it with the same placeholders."""

from __future__ import annotations

import re
from functools import cache
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from shelfpilot.web.templating import CHINESE, ENGLISH, catalogue, environment, ui

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "src" / "shelfpilot" / "web"
TEMPLATES = WEB / "templates"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
#: text a template may show as written: the product's name, and each
#: language's name in itself on the switch
AS_WRITTEN = {"ShelfPilot", "English", "中文"}
#: attributes a person reads (or a screen reader speaks)
READ_ATTRIBUTES = ("aria-label", "placeholder", "title", "alt")


@cache
def extracted() -> frozenset[str]:
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    keywords = {"_": None, "L_": None, "gettext": (2,), "ui": (2,)}
    found = set()
    for _, _, message, *_ in extract_from_dir(str(WEB), method_map, keywords=keywords):
        found.add(message if isinstance(message, str) else message[0])
    return frozenset(found)


def test_every_message_has_a_chinese_translation_with_the_same_placeholders() -> None:
    messages = extracted()
    assert len(messages) > 150, "the extractor found the dashboard's wording"
    chinese = catalogue(CHINESE)
    missing = sorted(m for m in messages if not chinese.get(m))
    assert missing == [], f"untranslated: {missing}"
    for message in messages:
        assert set(PLACEHOLDER.findall(chinese[message])) == set(PLACEHOLDER.findall(message)), (
            message
        )
        # a template fills placeholders with %: a lone % would break the page
        assert ui(CHINESE, message, **dict.fromkeys(PLACEHOLDER.findall(message), "x"))


def test_the_catalogue_holds_nothing_the_dashboard_no_longer_says() -> None:
    path = resources.files("shelfpilot") / "locale" / "zh_CN" / "LC_MESSAGES" / "web.po"
    with path.open("rb") as fh:
        po = read_po(fh)
    stale = sorted(str(m.id) for m in po if m.id and m.id not in extracted())
    assert stale == []
    assert catalogue(ENGLISH) == {}


class _Visible(HTMLParser):
    """Text and read attributes of a template whose Jinja parts were blanked."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._hidden += tag in ("script", "style")
        self.found += [v or "" for k, v in attrs if k in READ_ATTRIBUTES]

    def handle_endtag(self, tag: str) -> None:
        self._hidden -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.found += data.split(JINJA)


JINJA = "\x00"


def _literal_text(template: str, folder: Path = TEMPLATES) -> list[str]:
    """Visible text written straight into a template (not through ``_()``)."""
    source = (folder / template).read_text(encoding="utf-8")
    blanked = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", JINJA, source, flags=re.S)
    parser = _Visible()
    parser.feed(blanked)
    texts = [t.replace(JINJA, " ").strip(" ·:") for t in parser.found]
    return [t for t in texts if re.search(r"[A-Za-z\u4e00-\u9fff]", t) and t not in AS_WRITTEN]


@pytest.mark.parametrize(
    "template", sorted(str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html"))
)
def test_no_template_shows_untranslated_text(template: str) -> None:
    assert _literal_text(template) == []


def test_the_lint_catches_text_written_into_a_template(tmp_path: Path) -> None:
    (tmp_path / "sample.html").write_text(
        '<p title="Hello">{{ _("Fine") }} Not fine</p>', encoding="utf-8"
    )
    assert _literal_text("sample.html", tmp_path) == ["Hello", "Not fine"]


def test_a_code_of_the_shops_own_is_shown_as_written() -> None:
    label = environment(CHINESE).globals["label"]
    assert label({"warn": "Warn"}, "warn") == catalogue(CHINESE)["Warn"]
    assert label({"warn": "Warn"}, "50% off") == "50% off"


def test_templates_render_in_both_languages_with_localised_numbers() -> None:
    for language in (ENGLISH, CHINESE):
        env = environment(language)
        assert env.filters["money"](1234.5, "CNY") in ("CN¥1,234.50", "¥1,234.50")
        assert env.filters["percent"](0.7) == "70%"
        assert env.filters["quantity"](1.25) == "1.25"
    from datetime import date

    assert environment(ENGLISH).filters["day"](date(2026, 11, 23)) == "Nov 23, 2026"
    assert environment(CHINESE).filters["day"](date(2026, 11, 23)) == "2026年11月23日"
