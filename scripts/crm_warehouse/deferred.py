"""Imports put off until first use, for libraries that import more than we run.

Great Expectations imports `scipy.stats` and `altair` when it starts, for one
expectation this project never uses (the KL divergence, which calls them only
inside its functions): about 1.1 of the 2.3 s its import takes, paid by every
load (docs/performance.md, "Great Expectations' import without scipy.stats").

`deferred(names)` stands a placeholder module in for each named module while
the block imports: the importing module binds the placeholder, whose first
attribute lookup imports the real module and reads the attribute from it.
When the block ends the placeholders leave `sys.modules`, so any later import
of those names gets the real modules as usual.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import sys
import threading
import types
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_LOCK = threading.Lock()


class Deferred(types.ModuleType):
    """A module imported when one of its attributes is first read."""

    def __init__(self, name: str, spec: importlib.machinery.ModuleSpec) -> None:
        super().__init__(name)
        # the import system reads __spec__ of a module in sys.modules: a real
        # spec, so that reading it does not import the module
        self.__spec__ = spec

    def __getattr__(self, attr: str) -> Any:
        # called only for names the placeholder lacks, that is every name of the module
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)
        if sys.modules.get(self.__name__) is self:  # read while the block still imports
            del sys.modules[self.__name__]
        return getattr(importlib.import_module(self.__name__), attr)


@contextmanager
def deferred(names: tuple[str, ...]) -> Iterator[list[str]]:
    """Placeholders for the modules `names` not yet imported (a missing one is
    left out) for the duration of the block; yields the names it deferred."""
    with _LOCK:
        placed = []
        for name in names:
            if name in sys.modules:
                continue
            spec = importlib.util.find_spec(name)
            if spec is None:
                continue
            sys.modules[name] = Deferred(name, spec)
            placed.append(name)
        try:
            yield placed
        finally:
            for name in placed:
                if isinstance(sys.modules.get(name), Deferred):
                    del sys.modules[name]
