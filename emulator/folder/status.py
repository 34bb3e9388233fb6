"""What the functions folder's last reports left broken: a save that did not load stays listed
(with its file and line, as the loader reported it) until the function loads or goes."""

from __future__ import annotations

from collections.abc import Callable

from .load import Report

__all__ = ["FolderStatus"]


class FolderStatus:
    """Wraps the loader's `report`: passes each report on (but `unchanged`, which only ends an
    error), keeps the open errors, tells listeners."""

    __slots__ = ("_report", "errors", "listeners")

    def __init__(self, report: Report) -> None:
        self._report = report
        self.errors: dict[str, str] = {}
        """function name → the loader's message (`file:line: ...`)."""
        self.listeners: list[Callable[[str, str, str], None]] = []

    def report(self, kind: str, name: str, message: str) -> None:
        if kind == "error":
            self.errors[name] = message
        elif self.errors.pop(name, None) is None and kind == "unchanged":
            return  # nothing happened
        if kind != "unchanged":
            self._report(kind, name, message)
        for listener in self.listeners:
            listener(kind, name, message)
