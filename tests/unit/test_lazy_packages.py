"""The packages whose ``__init__`` loads lazily export exactly what ``__all__`` says, each name its module's own."""

from __future__ import annotations

import importlib
from types import ModuleType

import pytest

from secure_finetune import approval, dataset


@pytest.mark.parametrize("package", [approval, dataset], ids=lambda p: p.__name__)
def test_every_exported_name_resolves_to_the_object_its_module_defines(package: ModuleType) -> None:
    where = vars(package)["_WHERE"]
    assert set(package.__all__) == set(where)
    for name, module in where.items():
        assert getattr(package, name) is getattr(importlib.import_module(module, package.__name__), name), name


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        _ = dataset.nothing_here
