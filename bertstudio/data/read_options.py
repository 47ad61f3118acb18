"""How a table file is read: one value the data layer, the run config, the CLI and the window share."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from bertstudio.errors import ConfigError

HEADER_CHOICES = ("auto", "yes", "no")
_HEADER_VALUES = {"auto": None, "yes": True, "no": False}
_TAB_SPELLINGS = {"\\t": "\t", "tab": "\t"}


@dataclass(frozen=True)
class ReadOptions:
    """Each setting None is detected from the file."""

    encoding: str | None = None  # e.g. "cp1252"
    delimiter: str | None = None  # one character
    has_header: bool | None = None  # does the first row name the columns
    format: str | None = None  # csv, jsonl or text
    quoting: bool | None = None  # False: quote characters are plain text (TSV files with bare quotes)

    @classmethod
    def from_text(cls, encoding: str = "", delimiter: str = "", header: str = "auto") -> ReadOptions:
        """From the words a person types in a flag or a TOML file: '' detects; delimiter '\\t' or 'tab'
        is a tab; header auto, yes or no."""
        if header not in HEADER_CHOICES:
            raise ConfigError(
                f"header {header!r} is not supported.", f"Use one of: {', '.join(HEADER_CHOICES)}."
            )
        return cls(
            encoding=encoding or None,
            delimiter=_TAB_SPELLINGS.get(delimiter, delimiter) or None,
            has_header=_HEADER_VALUES[header],
        )

    def as_text(self) -> dict[str, str]:
        """The run config's encoding / delimiter / header words (from_text's inverse)."""
        header = next(word for word, value in _HEADER_VALUES.items() if value is self.has_header)
        return {"encoding": self.encoding or "", "delimiter": self.delimiter or "", "header": header}

    def as_dict(self) -> dict[str, str | bool | None]:
        """Every setting by name (JSON-ready, e.g. part of a cache key)."""
        return asdict(self)


DETECT = ReadOptions()
