"""A small JSON Schema (draft-07 subset) validator for the tests' schema files.

The venv has no jsonschema package; this covers the keywords tests/data/*.json use: type,
properties, required, additionalProperties (boolean), items, enum, const, $ref into
#/definitions, oneOf. An unsupported keyword raises, so a schema cannot silently pass.
"""
from __future__ import annotations

from typing import Any

_SUPPORTED = {"$schema", "$id", "title", "description", "definitions", "type", "properties",
              "required", "additionalProperties", "items", "enum", "const", "$ref", "oneOf"}
_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
}


def errors(instance: Any, schema: dict[str, Any], root: dict[str, Any] | None = None,
           path: str = "$") -> list[str]:
    """Every violation of ``schema`` by ``instance``, as 'path: reason' strings."""
    root = root if root is not None else schema
    unknown = set(schema) - _SUPPORTED
    if unknown:
        raise ValueError(f"schema keyword(s) not supported by this checker: {sorted(unknown)}")
    if "$ref" in schema:
        ref = schema["$ref"]
        if not ref.startswith("#/definitions/"):
            raise ValueError(f"unsupported $ref {ref}")
        return errors(instance, root["definitions"][ref.split("/")[-1]], root, path)
    out: list[str] = []
    if "type" in schema and not _TYPES[schema["type"]](instance):
        return [f"{path}: expected {schema['type']}, got {type(instance).__name__}"]
    if "const" in schema and instance != schema["const"]:
        out.append(f"{path}: expected {schema['const']!r}, got {instance!r}")
    if "enum" in schema and instance not in schema["enum"]:
        out.append(f"{path}: {instance!r} not one of {schema['enum']}")
    if isinstance(instance, dict):
        props = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in instance:
                out.append(f"{path}: missing required property {key!r}")
        for key, value in instance.items():
            if key in props:
                out += errors(value, props[key], root, f"{path}.{key}")
            elif schema.get("additionalProperties", True) is False:
                out.append(f"{path}: property {key!r} is not allowed")
    if isinstance(instance, list) and "items" in schema:
        for i, item in enumerate(instance):
            out += errors(item, schema["items"], root, f"{path}[{i}]")
    if "oneOf" in schema:
        found = [errors(instance, sub, root, path) for sub in schema["oneOf"]]
        matches = sum(not e for e in found)
        if matches != 1:
            detail = "; ".join(f"alternative {i}: {', '.join(e)}" for i, e in enumerate(found) if e)
            out.append(f"{path}: matches {matches} of the oneOf alternatives, not exactly 1 ({detail})")
    return out
