"""Errors the business rules raise.

Every message is written for a shop manager: it names the product, lot or
quantity involved and says what to do, because adapters show it verbatim.

    DomainError
     ├── InvalidValue          a value breaks a rule (negative quantity, float money, ...)
     ├── NotFound              an SKU, lot or location that does not exist
     ├── Conflict              duplicate lot code, idempotency key reused with other data
     └── NotSellable           the sale cannot be made
          ├── OutOfStock       not enough sellable stock
          └── LotNotSellable   the named lot is expired or pulled off sale
     ├── Unauthenticated       no valid login or key
     └── Forbidden             a known user acting outside their role or scope

A message is raised as an English template with its values as keywords,
``OutOfStock("lot {lot} has {have} on hand", lot=..., have=...)``: ``str()``
is the English, and an adapter may look ``template`` up in a translation
catalogue and format it with ``params`` (no translation library here). A
phrase inside a message that is translated too (a field's name, a role) is a
``Text``. A plain message (``InvalidValue(f"...")``) still works; it is
shown as written in every language.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from decimal import Decimal


def render(template: str, params: Mapping[str, object]) -> str:
    """``template`` formatted with ``params``; a template without params is
    taken as written (so braces in a plain message stay braces)."""
    return template.format(**params) if params else template


class Text(str):
    """A translatable phrase: a str holding its English text, which also keeps
    the ``template`` and ``params`` it was made from."""

    template: str
    params: Mapping[str, object]

    def __new__(cls, template: str, /, **params: object) -> Text:
        text = super().__new__(cls, render(template, params))
        text.template, text.params = template, params
        return text

    def __reduce__(self) -> tuple[object, ...]:
        return (_text, (self.template, dict(self.params)))

    def to_data(self) -> dict[str, object]:
        """The phrase as JSON-ready data (kept with what it describes, so it
        can be shown later in another language): nested phrases stay phrases,
        decimals stay exact, anything else is kept as its text."""
        return {
            "template": self.template,
            "params": {k: _encode(v) for k, v in self.params.items()},
        }

    @classmethod
    def from_data(cls, data: Mapping[str, object]) -> Text:
        params = data.get("params")
        values = params if isinstance(params, Mapping) else {}
        return cls(str(data.get("template", "")), **{k: _decode(v) for k, v in values.items()})

    @classmethod
    def readable(cls, data: object) -> Text | None:
        """The phrase stored as ``data``, or None when it cannot be read back
        (not a phrase's data, or values that no longer fit its template):
        the caller shows the English it stored beside it instead."""
        if not isinstance(data, Mapping):
            return None
        try:
            return cls.from_data(data)
        except (KeyError, IndexError, TypeError, ValueError):
            return None


def _text(template: str, params: dict[str, object]) -> Text:
    return Text(template, **params)


def _encode(value: object) -> object:
    if isinstance(value, Text):
        return {"text": value.to_data()}
    if isinstance(value, Decimal):
        return {"decimal": str(value)}
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, numbers.Integral):  # numpy's too: they format like Python's
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    return str(value)


def _decode(value: object) -> object:
    if isinstance(value, Mapping):
        if isinstance(value.get("text"), Mapping):
            return Text.from_data(value["text"])
        if isinstance(value.get("decimal"), str):
            return Decimal(value["decimal"])
        return str(value)
    return value


class DomainError(Exception):
    """Base of every business-rule error."""

    template: str
    params: Mapping[str, object]

    def __init__(self, template: str = "", /, **params: object) -> None:
        self.template, self.params = template, params
        super().__init__(render(template, params))


def phrase(error: DomainError) -> Text:
    """An error's message as a phrase to pass on (a row of an import, a step of
    a job): its template and params when it has them, else its text as written."""
    if error.template:
        return Text(error.template, **error.params)
    return Text(str(error))


class InvalidValue(DomainError, ValueError):
    pass


class NotFound(DomainError, LookupError):
    pass


class Conflict(DomainError):
    pass


class NotSellable(DomainError):
    pass


class OutOfStock(NotSellable):
    pass


class LotNotSellable(NotSellable):
    pass


class Unauthenticated(DomainError):
    """No valid login or key came with the request."""


class Forbidden(DomainError):
    """The user is known but may not do this, or not at this location."""
