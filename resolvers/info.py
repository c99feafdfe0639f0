"""The `info` every resolver receives, typed: strawberry's Info over Feedline's RequestContext.

A module of its own so that types.py can name it without importing the context (which builds those types).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

import strawberry
from strawberry.types.nodes import SelectedField

if TYPE_CHECKING:
    from resolvers.context import RequestContext

    Info: TypeAlias = strawberry.Info[RequestContext, None]
else:
    # At run time strawberry only needs to recognise the parameter as its Info; the context type parameter
    # would be a forward reference it cannot resolve from the modules that use this alias.
    Info = strawberry.Info


def selected_names(info: Info) -> frozenset[str]:
    """The names (not aliases) of every field selected at and below the resolver's field, fragments included:
    what a list resolver may load ahead for its items' fields (Loaders.prefetch)."""
    names: set[str] = set()
    stack = list(info.selected_fields)
    while stack:
        selection = stack.pop()
        if isinstance(selection, SelectedField):
            names.add(selection.name)
        stack.extend(selection.selections)
    return frozenset(names)
