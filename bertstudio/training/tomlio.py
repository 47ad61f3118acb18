"""Read and write the flat TOML files run configs are saved as.

Reading uses `tomllib` (Python 3.11+); on 3.10 a small parser covers what `dump_toml` writes:
`key = value` lines with strings, numbers, booleans and one-line arrays of those, and comments.
"""

from __future__ import annotations

import ast
import json
import math
import re
from pathlib import Path
from typing import Any

from bertstudio.errors import ConfigError

_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def dump_toml(values: dict[str, Any]) -> str:
    """TOML text for a flat mapping of scalars and lists of scalars (None values are left out)."""
    lines = []
    for key, value in values.items():
        if value is None:
            continue
        if not _KEY.match(key):
            raise ValueError(f"unsupported TOML key {key!r}")
        lines.append(f"{key} = {_dump_value(value)}")
    return "\n".join(lines) + "\n"


def _dump_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_dump_value(item) for item in value) + "]"
    raise ValueError(f"unsupported TOML value {value!r}")


def load_toml(path: str | Path) -> dict[str, Any]:
    """Parse a TOML file; ConfigError with the line on a syntax error."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("The config file does not exist.", path=path) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"The config file is not UTF-8 text (byte {exc.start}).", path=path) from None
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        return _parse_flat_toml(text, path)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"The config file is not valid TOML: {exc}.", path=path) from None


def _parse_flat_toml(text: str, path: Path) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not _KEY.match(key):
            raise ConfigError(f"line {number}: expected `key = value`, got {raw!r}.", path=path)
        try:
            values[key] = _parse_value(value.strip())
        except (ValueError, SyntaxError):
            raise ConfigError(
                f"line {number}: cannot read the value of {key!r}: {value.strip()!r}.", path=path
            ) from None
    return values


def _parse_value(text: str) -> Any:
    text = _strip_comment(text)
    if text in ("true", "false"):
        return text == "true"
    if text in ("nan", "inf", "+inf", "-inf"):
        return float(text)
    if text.startswith("["):
        inner = text[1:-1] if text.endswith("]") else ""
        return [_parse_value(item) for item in _split_items(inner)]
    if text.startswith('"'):
        return json.loads(text)
    if text.startswith("'"):
        return text[1:-1]
    return ast.literal_eval(text.replace("_", ""))  # int or float


def _outside_strings(text: str):
    """(index, char) of each character of `text` outside quoted strings (escapes inside "..." skipped)."""
    quote, index = None, 0
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\" and quote == '"':
                index += 1  # the escaped character cannot end the string
            elif char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        else:
            yield index, char
        index += 1


def _strip_comment(text: str) -> str:
    for index, char in _outside_strings(text):
        if char == "#":
            return text[:index].strip()
    return text.strip()


def _split_items(inner: str) -> list[str]:
    cuts = [index for index, char in _outside_strings(inner) if char == ","]
    items = [inner[start + 1 : end] for start, end in zip([-1, *cuts], [*cuts, len(inner)], strict=True)]
    return [item.strip() for item in items if item.strip()]
