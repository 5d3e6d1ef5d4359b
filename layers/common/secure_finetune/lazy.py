"""PEP 562 lazy exports for a package's ``__init__``: each name loads the submodule that defines it on first use.

Cold starts: a handler that needs one record type of a package (``ports.py`` -> ``approval.links``) must not import
the package's every module (the approval pages, the dataset validator)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any


def lazy_exports(package: str, where: Mapping[str, str], namespace: MutableMapping[str, Any]) -> Callable[[str], Any]:
    """The package's module ``__getattr__``: ``where`` maps each exported name to its (relative) module; a loaded name
    is kept in ``namespace`` (the package's globals), so it is looked up once."""

    def __getattr__(name: str) -> Any:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(where[name], package), name)
        namespace[name] = value
        return value

    return __getattr__
