"""Typed errors raised by the domain layer.

The domain never prints: it raises one of these, and ``custarchive.cli`` turns
it into a one-line message on stderr and the documented exit code (contract:
1 = input or data refused, 2 = usage error).
"""
from __future__ import annotations


class CustarchiveError(Exception):
    """Base class: a refusal the user can act on. Exit code 1."""

    exit_code = 1

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ValidationError(CustarchiveError):
    """A value was refused; names the field so scripts and people can fix it."""

    def __init__(self, field: str | None, value: object, reason: str):
        self.field = field
        self.value = value
        self.reason = reason
        shown = repr(value) if value is not None else ""
        where = f"{field}: " if field else ""
        super().__init__(f"{where}{reason}" + (f" ({shown})" if shown and len(shown) < 80 else ""))


class NotFound(CustarchiveError):
    """No archive (or other record) matches the reference."""


class Ambiguous(CustarchiveError):
    """A REF matched several archives; the candidates are listed in the message."""

    def __init__(self, ref: str, candidates: list[str]):
        self.ref = ref
        self.candidates = candidates
        super().__init__(f"{ref!r} matches {len(candidates)} archives: {', '.join(candidates)}")


class Duplicate(CustarchiveError):
    """An identity key (archive_no, id_number, credit_code) is already taken."""


class DatabaseMissing(CustarchiveError):
    """A read-only command was pointed at a database that does not exist."""


class DatabaseError(CustarchiveError):
    """The database cannot be opened or is not a custarchive database."""


class PermissionDenied(CustarchiveError):
    """The operator's role does not allow the action (``operator`` and ``action`` name who and what, when known)."""

    operator: str | None = None
    action: str | None = None


class VerificationFailed(CustarchiveError):
    """An integrity check (hash chain, attachment, backup) failed."""


class ConfigError(CustarchiveError):
    """A template, scorecard, mapping or other TOML data file is invalid."""


class UsageError(CustarchiveError):
    """Wrong combination of options that the parser could not catch. Exit code 2."""

    exit_code = 2


class Cancelled(CustarchiveError):
    """The user interrupted an interactive session; nothing was saved."""

    exit_code = 130
