"""Load YAML config files into pydantic models with errors that name file, key path and line.

Every config model in Whistle derives from :class:`StrictModel` (``extra="forbid"``), and every
file is read through :func:`load_yaml_model`, so a typo in any key of any file reads like::

    site.yaml:42: devices.3.zones.0.dwell_s: Input should be greater than 0 (got -5)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

M = TypeVar("M", bound=BaseModel)


class StrictModel(BaseModel):
    """Base of every config model: unknown keys are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ConfigError(Exception):
    """A config file could not be read or did not validate; ``str()`` is the user-facing text."""

    def __init__(self, path: Path | str, problems: Sequence[str]) -> None:
        self.path = Path(path)
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class _LineLoader(yaml.SafeLoader):
    """A SafeLoader that remembers the line of every mapping key and sequence item."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    lines = {}
    for key_node, _value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        lines[key] = key_node.start_mark.line + 1
    mapping_with_lines = _LinedDict(mapping)
    mapping_with_lines.lines = lines
    mapping_with_lines.line = node.start_mark.line + 1
    return mapping_with_lines


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> list[Any]:
    items = _LinedList(loader.construct_sequence(node, deep=True))
    items.lines = {i: child.start_mark.line + 1 for i, child in enumerate(node.value)}
    items.line = node.start_mark.line + 1
    return items


class _LinedDict(dict[Any, Any]):
    lines: dict[Any, int]
    line: int


class _LinedList(list[Any]):
    lines: dict[int, int]
    line: int


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def _line_of(document: Any, loc: Sequence[int | str]) -> int | None:
    """The line of the deepest key on ``loc`` that exists in the parsed document."""
    line: int | None = getattr(document, "line", None)
    node = document
    for part in loc:
        lines = getattr(node, "lines", None)
        if lines is None:
            break
        if part in lines:
            line = lines[part]
        else:
            break
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
    return line


def _plain(value: Any) -> Any:
    """Strip the line bookkeeping so pydantic sees ordinary dicts and lists."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _document_path(document: Any, loc: Sequence[Any]) -> list[int | str]:
    """``loc`` without the tags pydantic inserts for discriminated unions (``kind`` values)."""
    path: list[int | str] = []
    node = document
    for part in loc:
        if isinstance(node, dict) and part not in node and part in node.values():
            continue  # a union tag, e.g. "microphone" in devices.0.microphone.source
        path.append(part)
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            node = None
    return path


def format_validation_error(path: Path | str, document: Any, error: ValidationError) -> list[str]:
    problems = []
    for item in error.errors():
        loc = _document_path(document, [p for p in item["loc"] if isinstance(p, int | str)])
        key_path = ".".join(str(p) for p in loc) or "(top level)"
        line = _line_of(document, loc)
        where = f"{path}:{line}" if line is not None else str(path)
        got = item.get("input")
        shown = "" if isinstance(got, dict | list) or got is None else f" (got {got!r})"
        problems.append(f"{where}: {key_path}: {item['msg']}{shown}")
    return problems


def parse_yaml_text(text: str, path: Path | str = "<string>") -> Any:
    try:
        return yaml.load(text, Loader=_LineLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(path, [f"{where}: not valid YAML: {problem}"]) from exc


def load_yaml_model(path: Path | str, model: type[M]) -> M:
    """Read ``path`` and validate it as ``model``; :class:`ConfigError` names what is wrong."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            path, [f"{path}: cannot read config file: {exc.strerror or exc}"]
        ) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(path, [f"{path}: not UTF-8 text: {exc.reason}"]) from exc
    return validate_document(parse_yaml_text(text, path), model, path)


def validate_document(document: Any, model: type[M], path: Path | str = "<string>") -> M:
    if document is None:
        raise ConfigError(path, [f"{path}: the file is empty"])
    try:
        return model.model_validate(_plain(document))
    except ValidationError as exc:
        raise ConfigError(path, format_validation_error(path, document, exc)) from exc
