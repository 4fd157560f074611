"""Choices shared by several commands."""

from __future__ import annotations

from enum import StrEnum


class Language(StrEnum):
    en = "en"
    zh = "zh"
