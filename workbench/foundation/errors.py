"""Exceptions with messages in Chinese and English.

Every error names what was wrong (column, row, code or parameter) and, where
there is a closed list, the valid choices.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["WorkbenchError", "ValidationError", "ParameterError", "choices_text"]


def choices_text(choices: Iterable[object], limit: int = 60) -> str:
    """Format a list of valid choices for an error message (truncated when long)."""
    items = [str(c) for c in choices]
    shown = ", ".join(items[:limit])
    if len(items) > limit:
        shown += f", ... ({len(items)} in all)"
    return shown


class WorkbenchError(ValueError):
    """Base class: a problem the user can fix, explained in both languages."""

    def __init__(self, en: str, zh: str | None = None):
        self.en = en
        self.zh = zh or en
        super().__init__(f"{en}\n{self.zh}" if zh else en)


class ValidationError(WorkbenchError):
    """Input data (catalogue, regions, observations) failed validation.

    ``problems`` holds one dict per problem (``row``, ``column``, ``value``,
    ``reason``) so callers can show them as a table.
    """

    def __init__(self, en: str, zh: str | None = None, problems: list[dict] | None = None):
        self.problems = problems or []
        if self.problems:
            lines = [f"  - row {p.get('row', '?')}, column {p.get('column', '?')}: "
                     f"{p.get('reason', '')}" for p in self.problems[:20]]
            if len(self.problems) > 20:
                lines.append(f"  ... {len(self.problems) - 20} more")
            en = en + "\n" + "\n".join(lines)
        super().__init__(en, zh)


class ParameterError(WorkbenchError):
    """A notebook parameter is unknown, of the wrong type or not a valid code."""
