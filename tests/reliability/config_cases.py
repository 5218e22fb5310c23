"""Wrong-value cases generated from the config models: one per field reachable in a full
document (site, edge agent, routing), with the YAML line the error must name.

For each field the first candidate value that pydantic rejects *at that field* (not at a
parent) is used; the line comes from PyYAML's own node marks (not from Whistle's loader).
"""

from __future__ import annotations

import copy
import types
import typing
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

CANDIDATES: tuple[Any, ...] = ("bogus value!", ["a", "b"], {"k": 1}, -1_000_000, 10**12, 0.5)


@dataclass(frozen=True)
class Case:
    model: type[BaseModel]
    base: dict[str, Any]
    path: tuple[str | int, ...]
    value: Any

    @property
    def id(self) -> str:
        return f"{self.model.__name__}:{'.'.join(map(str, self.path))}"

    def document(self) -> dict[str, Any]:
        doc = copy.deepcopy(self.base)
        node: Any = doc
        for part in self.path[:-1]:
            node = node[part]
        node[self.path[-1]] = self.value
        return doc


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """Model classes inside an annotation (through Optional, Annotated, unions, list, dict)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _models_in(typing.get_args(annotation)[0])
    found: list[type[BaseModel]] = []
    if origin in (typing.Union, types.UnionType, list, tuple, dict):
        args = typing.get_args(annotation)
        if origin is dict:
            args = args[1:]
        for arg in args:
            found += _models_in(arg)
    return found


def _container(annotation: Any) -> Any:
    """list / dict / None: what holds the models of a field."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _container(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            kind = _container(arg)
            if kind is not None:
                return kind
        return None
    return origin if origin in (list, dict) else None


def _variant(models: list[type[BaseModel]], node: dict[str, Any]) -> type[BaseModel] | None:
    if len(models) == 1:
        return models[0]
    for model in models:
        kind = model.model_fields.get("kind")
        if kind is not None and node.get("kind") in typing.get_args(kind.annotation):
            return model
    return None


def _paths(model: type[BaseModel], node: dict[str, Any], prefix: tuple[str | int, ...]):  # type: ignore[no-untyped-def]
    for name, field in model.model_fields.items():
        path = (*prefix, name)
        yield path
        value = node.get(name)
        models = _models_in(field.annotation)
        if not models or value is None:
            continue
        container = _container(field.annotation)
        if container is list and isinstance(value, list) and value:
            # every item of a new kind (devices: camera, microphone, ...; zones: each kind)
            children = list(((*path, i), item) for i, item in enumerate(value))
        elif container is dict and isinstance(value, dict) and value:
            key = next(iter(value))
            children = [((*path, key), value[key])]
        else:
            children = [(path, value)]
        visited: set[type[BaseModel]] = set()
        for child_path, child in children:
            if isinstance(child, dict):
                variant = _variant(models, child)
                if variant is not None and variant not in visited:
                    visited.add(variant)
                    yield from _paths(variant, child, child_path)


def _strip_tags(loc: tuple[Any, ...], document: Any) -> tuple[Any, ...]:
    """Remove the discriminator tags pydantic puts in a location (``devices.0.camera.x``)."""
    out: list[Any] = []
    node = document
    for part in loc:
        if isinstance(node, dict) and part not in node and node.get("kind") == part:
            continue
        out.append(part)
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            node = None
    return tuple(out)


def _rejected_at(model: type[BaseModel], document: dict[str, Any], path: tuple[Any, ...]) -> bool:
    try:
        model.model_validate(document)
    except ValidationError as exc:
        return any(_strip_tags(tuple(e["loc"]), document) == path for e in exc.errors())
    return False


def cases(model: type[BaseModel], base: dict[str, Any]) -> tuple[list[Case], list[str]]:
    """(the cases, the fields for which no candidate is rejected at the field itself)."""
    model.model_validate(base)  # the base document is valid
    found: list[Case] = []
    unchecked: list[str] = []
    for path in _paths(model, base, ()):
        for value in CANDIDATES:
            case = Case(model, base, path, value)
            if _rejected_at(model, case.document(), path):
                found.append(case)
                break
        else:
            unchecked.append(".".join(map(str, path)))
    return found, unchecked


def key_line(text: str, path: tuple[Any, ...]) -> int:
    """1-based line of the key (or sequence item) at ``path`` in the YAML ``text``."""
    node = yaml.compose(text)
    assert node is not None, "empty YAML document"
    line = node.start_mark.line + 1
    for part in path:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if yaml.safe_load(yaml.serialize(key)) == part:
                    line, node = key.start_mark.line + 1, value
                    break
            else:
                raise KeyError(part)
        elif isinstance(node, yaml.SequenceNode):
            node = node.value[int(part)]
            line = node.start_mark.line + 1
        else:
            raise KeyError(part)
    return line
