"""The one error of parsing a file: what the user can fix, with per-row details."""

from __future__ import annotations

from apps.core.errors import InvalidRequest

MAX_ROW_ERRORS = 50


class ImportValidationError(InvalidRequest):
    """`valid_rows` and `invalid_rows` are set when rows had problems: the caller can offer to skip them. The API
    answers it like every InvalidRequest (400), with `payload`'s fields beside "error"."""

    def __init__(self, message: str, details: list[dict] | None = None, *, valid_rows: int = 0,
                 invalid_rows: int = 0):
        super().__init__(message)
        self.message = message
        self.details = details or []
        self.valid_rows = valid_rows
        self.invalid_rows = invalid_rows

    @property
    def payload(self) -> dict:
        return {"details": self.details, "valid_rows": self.valid_rows, "invalid_rows": self.invalid_rows}
