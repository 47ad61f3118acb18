"""Errors a user can act on.

Every message says what is wrong, where (file, line, column, value when known) and what to do.
The GUI shows them in a dialog; the CLI prints them and exits with status 2.
"""

from __future__ import annotations

from pathlib import Path


class BertStudioError(Exception):
    """Base class: `message` says what went wrong, `hint` what to do about it; `window_hint`, when the
    hint names command-line flags, says the same in the window's words (its pages and boxes)."""

    def __init__(
        self, message: str, hint: str = "", *, path: str | Path | None = None, window_hint: str | None = None
    ) -> None:
        self.message = message
        self.hint = hint
        self.window_hint = window_hint or hint
        self.path = str(path) if path is not None else None
        super().__init__(self.__str__())

    def located(self) -> str:
        """The message with where it happened (file, line, column), without the hint."""
        where = f"{self.path}: " if self.path and self.path not in self.message else ""
        return f"{where}{self.message}"

    def __str__(self) -> str:
        text = self.located()
        return f"{text}\n{self.hint}" if self.hint else text

    def in_window_words(self) -> str:
        """As str(), with the hint the window gives."""
        text = self.located()
        return f"{text}\n{self.window_hint}" if self.window_hint else text


class ConfigError(BertStudioError):
    """A model or run configuration is invalid."""


class CheckpointError(BertStudioError):
    """Weights could not be read or do not fit the model."""


class TokenizerError(BertStudioError):
    """A tokenizer is missing, unreadable or lacks a required special token."""


class DataImportError(BertStudioError):
    """A data file cannot be read as asked; carries the position of the problem."""

    def __init__(
        self,
        message: str,
        hint: str = "",
        *,
        path: str | Path | None = None,
        line: int | None = None,
        column: str | int | None = None,
        value: str | None = None,
        byte_offset: int | None = None,
        window_hint: str | None = None,
    ) -> None:
        self.line = line
        self.column = column
        self.value = value
        self.byte_offset = byte_offset
        super().__init__(message, hint, path=path, window_hint=window_hint)

    def located(self) -> str:
        parts = []
        if self.path:
            parts.append(self.path)
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.column is not None:
            parts.append(f"column {self.column}")
        if self.byte_offset is not None:
            parts.append(f"byte {self.byte_offset}")
        where = ", ".join(parts)
        text = f"{where}: {self.message}" if where else self.message
        if self.value is not None:
            shown = self.value if len(self.value) <= 80 else self.value[:77] + "..."
            text += f" (value: {shown!r})"
        return text


class TrainingError(BertStudioError):
    """Training cannot start or had to stop (divergence, out of memory, bad settings)."""


class RunStoreError(BertStudioError):
    """A run folder is missing, unreadable or not resumable."""


class EmbeddingError(BertStudioError):
    """Texts cannot be encoded or searched as asked (bad input, no index yet, cancelled)."""


class StorageError(BertStudioError):
    """A file could not be written: the disk is full, read-only, or the folder is not ours to write."""


class ExportError(BertStudioError):
    """A model cannot be exported as asked (no path for its task, target exists, write failed)."""
