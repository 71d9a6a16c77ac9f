"""Linear's GraphQL schema, read from the types that npm's ``@linear/sdk`` ships.

Why this module: Linear publishes its schema through its SDK, which is
generated from it by graphql-codegen's TypeScript plugin; since 2025 the
package ships the generated ``.d.mts`` only (the ``schema.graphql`` lives
in Linear's repository, not in the package). The plugin's output is regular
and loses nothing the fake needs, so it is turned back into SDL here:

* ``declare enum Name { Member = "value", }`` is the enum whose values are the strings;
* ``type Name = { __typename?: "Name"; field: T; }`` is an object type, and
  ``type Name = Base & { ... }`` one that implements the interface ``Base``;
* ``type Name = { field?: InputMaybe<T>; }`` is an input type, and
  ``type OwnerFieldArgs = {...}`` the arguments of ``Owner.field``;
* a block without ``__typename`` that other types extend, or whose fields
  are ``Maybe<T>``, is an interface; ``type Name = A | B;`` a union;
* ``Maybe<T>`` (``InputMaybe<T>``) is nullable, anything else non-null;
  ``Array<T>`` a list; ``Scalars["Name"]`` a scalar, custom when it is not
  one of GraphQL's five.

Documents, fragments and operation results (``...Query``, ``...Fragment``)
carry a ``__typename`` of another type and are skipped. The schema is built
once per process (about a second) with graphql-core.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import graphql

SDK = Path(__file__).resolve().parents[1] / "oracle" / "node_modules" / "@linear" / "sdk" / "dist"
_BUILT_IN = frozenset({"ID", "String", "Boolean", "Int", "Float"})
_BLOCK = re.compile(r"^type (\w+) = (?:(\w+) & )?\{\n(.*?)^\};?$", re.MULTILINE | re.DOTALL)
_ENUM = re.compile(r"^declare enum (\w+) \{\n(.*?)^\}$", re.MULTILINE | re.DOTALL)
_UNION = re.compile(r"^type (\w+) = (\w+(?: \| \w+)+);$", re.MULTILINE)
_SCALARS = re.compile(r"^type Scalars = \{\n(.*?)^\};$", re.MULTILINE | re.DOTALL)
_FIELD = re.compile(r"^  (\w+)(\??): (.+);$", re.MULTILINE)
_TYPENAME = re.compile(r'^  __typename\??: "(\w+)";$', re.MULTILINE)
_MEMBER = re.compile(r'^  \w+ = "([^"]+)",?$', re.MULTILINE)
_COMMENT = re.compile(r"/\*\*.*?\*/", re.DOTALL)


_REGION = re.compile(r"^//#region src/_generated_documents\.d\.ts$(.*?)^//#endregion$", re.M | re.S)
"""The generated part of the bundled declarations; the webhook helpers after it are not
the schema."""


def declarations() -> str:
    """The generated types in the SDK's bundled declaration file."""
    for path in sorted(SDK.glob("*.d.mts")):
        region = _REGION.search(path.read_text("utf-8"))
        if region is not None and "\ntype Issue = " in region.group(1):
            return region.group(1)
    raise FileNotFoundError(
        f"no @linear/sdk declarations under {SDK}: run npm ci --prefix tests/oracle"
    )


def _graphql_type(ts: str, nullable_marker: str) -> str:
    """A TypeScript field type of the plugin's output as a GraphQL type reference."""
    ts = ts.strip()
    nullable = False
    for marker in (f"{nullable_marker}<", "Maybe<"):
        if ts.startswith(marker) and ts.endswith(">"):
            ts, nullable = ts[len(marker) : -1], True
            break
    if ts.startswith("Array<") and ts.endswith(">"):
        inner = f"[{_graphql_type(ts[6:-1], nullable_marker)}]"
    else:
        scalar = re.fullmatch(r'Scalars\["(\w+)"\](?:\["(?:input|output)"\])?', ts)
        inner = scalar.group(1) if scalar else ts
        if not re.fullmatch(r"\w+", inner):
            raise ValueError(f"unexpected type {ts!r} in @linear/sdk's declarations")
    return inner if nullable else f"{inner}!"


def linear_sdl(text: str) -> str:
    """The SDL of the schema that ``text`` (the SDK's declarations) describes."""
    text = _COMMENT.sub("", text)
    lines: list[str] = []
    scalars = _SCALARS.search(text)
    assert scalars is not None, "the SDK declares its scalars"
    for name, _ in re.findall(r"^  (\w+): (.+);$", scalars.group(1), re.MULTILINE):
        if name not in _BUILT_IN:
            lines.append(f"scalar {name}")
    for name, body in _ENUM.findall(text):
        values = " ".join(_MEMBER.findall(body))
        lines.append(f"enum {name} {{ {values} }}")
    blocks = {name: (base, body) for name, base, body in _BLOCK.findall(text) if name != "Scalars"}
    bases = {base for base, _ in blocks.values() if base}
    objects: dict[str, tuple[str, str]] = {}
    others: dict[str, str] = {}
    for name, (base, body) in blocks.items():
        typename = _TYPENAME.search(body)
        if typename is not None:
            if typename.group(1) == name:
                objects[name] = (base, body)
            continue
        others[name] = body
    arguments = {
        f"{owner}{field[0].upper()}{field[1:]}Args": (owner, field)
        for owner, (_, body) in objects.items()
        for field, _, _ in _FIELD.findall(body)
    }
    field_args: dict[tuple[str, str], str] = {}
    for name, body in others.items():
        if name in arguments:
            args = [
                f"{arg}: {_graphql_type(kind, 'InputMaybe')}"
                for arg, _, kind in _FIELD.findall(body)
            ]
            field_args[arguments[name]] = f"({', '.join(args)})" if args else ""
            continue
        if name in bases or ("Maybe<" in body and "InputMaybe<" not in body):
            field_args_of = {k[1]: v for k, v in field_args.items() if k[0] == name}
            lines.append(f"interface {name} {{ {_fields(body, field_args_of)} }}")
        else:
            fields = " ".join(
                f"{field}: {_graphql_type(kind, 'InputMaybe')}"
                for field, _, kind in _FIELD.findall(body)
            )
            if fields:
                lines.append(f"input {name} {{ {fields} }}")
    for name, (base, body) in objects.items():
        own = {k[1]: v for k, v in field_args.items() if k[0] == name}
        implements = f" implements {base}" if base else ""
        fields = _fields(body, own)
        if fields:
            lines.append(f"type {name}{implements} {{ {fields} }}")
    for name, members in _UNION.findall(text):
        if all(member.strip() in objects for member in members.split("|")):
            lines.append(f"union {name} = {members}")
    return "\n".join(lines) + "\n"


def _fields(body: str, args: dict[str, str]) -> str:
    return " ".join(
        f"{field}{args.get(field, '')}: {_graphql_type(kind, 'Maybe')}"
        for field, _, kind in _FIELD.findall(body)
        if field != "__typename"
    )


@functools.cache
def linear_schema() -> graphql.GraphQLSchema:
    """Linear's published GraphQL schema, built once per process."""
    return graphql.build_schema(
        linear_sdl(declarations()), assume_valid_sdl=True, assume_valid=True
    )
