"""Exceptions raised by shopcore.

Every error carries ``.code`` (a stable snake_case machine code such as
``"insufficient_stock"``) and ``.category`` (``validation``, ``not_found``,
``conflict``, ``unauthenticated``, ``forbidden``, ``rate_limited`` or
``storage``), which the HTTP layer maps to 400, 404, 409, 401, 403, 429 and 503.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shopcore._core import Quote

__all__ = [
    "AuthenticationError",
    "ConflictError",
    "ForbiddenError",
    "NotFoundError",
    "RateLimitedError",
    "ShopError",
    "StorageError",
    "ValidationError",
]


class ShopError(Exception):
    """Base class of every shopcore error."""

    code: str
    category: str
    message: str

    def __init__(self, message: str, code: str, category: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.category = category

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, code={self.code!r})"


class ValidationError(ShopError, ValueError):
    """The input is malformed or breaks a rule (HTTP 400)."""


class NotFoundError(ShopError, LookupError):
    """The input names something that does not exist (HTTP 404)."""


class ConflictError(ShopError):
    """The input conflicts with the current state, e.g. insufficient stock (HTTP 409).

    A ``price_changed`` refusal of ``Engine.checkout(..., expected_total=...)``
    carries the current quote as ``quote`` (``None`` otherwise)."""

    quote: Quote | None = None


class AuthenticationError(ShopError):
    """The caller could not prove who they are: a wrong email or password, or a
    missing, unknown, expired or revoked token (HTTP 401)."""


class ForbiddenError(ShopError):
    """The caller's session or staff key does not allow this (HTTP 403)."""


class RateLimitedError(ShopError):
    """Too many attempts, e.g. failed logins (HTTP 429); ``retry_after`` says
    how many seconds to wait."""

    retry_after: int = 1


class StorageError(ShopError):
    """The database failed or is unreachable (HTTP 503)."""
