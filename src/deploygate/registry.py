"""Registries that import an entry when it is first looked up, so naming the choices is free.

``--help`` lists every format and source, and a check on the local store
renders one format and opens one backend: importing the others (their
tables, clients, charts) would cost every run start-up time for code it
never calls. A :class:`LazyRegistry` knows each entry by name and by where
it lives, and imports it on the first lookup.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

T = TypeVar("T")


def imported(place: str) -> Any:
    """The attribute at ``place``, ``"module:attribute"``, its module imported now if it was
    not yet."""
    module, _, attribute = place.partition(":")
    return getattr(importlib.import_module(module), attribute)


class LazyRegistry(Mapping[str, T]):
    """Names mapped to ``"module:attribute"`` places, imported on first lookup.

    Iterating, ``in`` and ``len`` read only the names. ``wrap`` turns the
    imported attribute into the entry (a renderer made inert, say); it gets
    the entry's name too, since some entries are wrapped differently.
    """

    def __init__(
        self,
        places: Mapping[str, str],
        wrap: Callable[[str, Any], T] = lambda name, found: found,
    ) -> None:
        self._places = dict(places)
        self._wrap = wrap

    def __getitem__(self, name: str) -> T:
        # Python keeps the module once imported; looking the attribute up again each time
        # keeps the registry a view of the modules, with no cache of its own to go stale.
        return self._wrap(name, imported(self._places[name]))

    def __iter__(self) -> Iterator[str]:
        return iter(self._places)

    def __len__(self) -> int:
        return len(self._places)

    def __contains__(self, name: object) -> bool:
        return name in self._places
