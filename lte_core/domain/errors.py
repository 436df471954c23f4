"""Typed refusals: every refused action says why, with a code the dialogs translate."""

from __future__ import annotations

from typing import Any


class Refused(Exception):
    """An action the rules do not allow; `code` names the reason, `params` fill its message."""

    def __init__(self, code: str, /, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    def __repr__(self) -> str:
        return f"Refused({self.code!r}, {self.params!r})"


class NotFound(Refused):
    """The thing asked for does not exist (or is not visible to this person)."""

    def __init__(self, what: str, ref: object) -> None:
        super().__init__("not_found", what=what, ref=str(ref))


class NotAllowed(Refused):
    """This person's roles do not allow the action."""

    def __init__(self, action: str, **params: Any) -> None:
        super().__init__("not_allowed", action=action, **params)


class Invalid(Refused):
    """The input breaks a rule (too long, empty, wrong state...)."""
