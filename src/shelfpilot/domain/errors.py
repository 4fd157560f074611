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
"""


class DomainError(Exception):
    """Base of every business-rule error."""


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
