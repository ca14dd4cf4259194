"""Errors raised by indspace, each with a Chinese and an English message.

The hierarchy::

    IndspaceError                  base; carries message_zh / message_en / hint
    ├── ValidationError            a value breaks a domain rule (credit code, unit, enum)
    │   ├── TooLargeError          an input over a size or shape limit (413)
    │   ├── BalanceError           an approval would make a district's 占补平衡 balance negative
    │   ├── ReplacementLandError   replacement land (补划) fails its checks
    │   └── ProposalStateError     a control-line proposal is not in the state an action needs
    ├── PolicyError                a policy profile is malformed or has no value in force
    ├── AuthError                  no or bad credentials (401)
    │   └── RateLimitedError       too many failed logins (429)
    ├── ForbiddenError             logged in, but the role or scope does not allow it (403)
    │   └── OutOfDistrictError     an edit's geometry reaches into another district (403)
    ├── ConflictError              a stale edit: If-Match is not the current ETag (409)
    │   └── PreconditionRequired   an edit without If-Match (428)
    └── StoreError                 the store cannot be opened, migrated or written
        └── NotFoundError          a keyed record does not exist

Every message says what is wrong, where (file, row, field, key) and how to fix it.
"""

from __future__ import annotations


class IndspaceError(Exception):
    """Base error with bilingual text: ``str(err)`` is ``"中文 / English"``."""

    http_status = 500

    def __init__(self, message_zh: str, message_en: str, *, where: str | None = None,
                 hint_zh: str | None = None, hint_en: str | None = None) -> None:
        self.message_zh = message_zh
        self.message_en = message_en
        self.where = where
        self.hint_zh = hint_zh
        self.hint_en = hint_en
        super().__init__(self.__str__())

    def __str__(self) -> str:
        zh = self.message_zh + (f"（{self.hint_zh}）" if self.hint_zh else "")
        en = self.message_en + (f" ({self.hint_en})" if self.hint_en else "")
        loc = f"[{self.where}] " if self.where else ""
        return f"{loc}{zh} / {en}"

    def to_dict(self) -> dict[str, str | None]:
        """The one error body shape used by the CLI (--json) and the API."""
        return {
            "error": type(self).__name__,
            "where": self.where,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "hint_zh": self.hint_zh,
            "hint_en": self.hint_en,
        }


class ValidationError(IndspaceError):
    """A value breaks a domain rule."""

    http_status = 422


class TooLargeError(ValidationError):
    """An input over a size or shape limit (bytes, unzipped size, vertices): 413."""

    http_status = 413


class BalanceError(ValidationError):
    """An approval would make a district's 占补平衡 (equal-area replacement) balance negative."""

    http_status = 409


class ReplacementLandError(ValidationError):
    """The replacement land (补划 areas in) of a control-line adjustment fails its checks."""


class ProposalStateError(ValidationError):
    """A control-line adjustment proposal is not in the state the action needs."""

    http_status = 409


class PolicyError(IndspaceError):
    """A policy profile is malformed or has no value in force at the requested date."""

    http_status = 422


class AuthError(IndspaceError):
    """No credentials, or credentials that are wrong or expired."""

    http_status = 401


class RateLimitedError(AuthError):
    """Too many failed logins for one account or client address; ``retry_after`` seconds
    (the ``Retry-After`` header) until the next attempt is allowed."""

    http_status = 429

    def __init__(self, message_zh: str, message_en: str, *, retry_after: int = 60,
                 **kw: str | None) -> None:
        self.retry_after = retry_after
        super().__init__(message_zh, message_en, **kw)


class ForbiddenError(IndspaceError):
    """The caller is known but its role or scope (district, enterprise) does not allow it."""

    http_status = 403


class OutOfDistrictError(ForbiddenError):
    """An edit of one district whose geometry lies in another district or touches another
    district's control-line block (decided by overlay, not by the ``district`` field)."""


class ConflictError(IndspaceError):
    """An edit based on a stale version of a record (optimistic locking)."""

    http_status = 409


class PreconditionRequired(ConflictError):
    """An edit that does not say which version it is based on (no If-Match)."""

    http_status = 428


class StoreError(IndspaceError):
    """The store cannot be opened, migrated or written."""

    http_status = 503


class NotFoundError(StoreError):
    """A keyed record does not exist in the store."""

    http_status = 404
