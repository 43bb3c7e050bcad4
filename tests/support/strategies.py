"""Hypothesis strategies for every event kind, derived from the models' own annotations."""

import types
import typing
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from annotated_types import Ge, Le
from hypothesis import strategies as st
from pydantic import BaseModel

from agentd.events import EVENT_TYPES

_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
_int64 = st.integers(min_value=-(2**62), max_value=2**62)
_times = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))


def for_annotation(annotation: Any, metadata: list[Any] | None = None) -> st.SearchStrategy[Any]:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return for_annotation(args[0], list(args[1:]))
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*(for_annotation(a) for a in args))
    if origin is typing.Literal:
        return st.sampled_from(args)
    if origin is tuple:
        return st.lists(for_annotation(args[0]), max_size=3).map(tuple)
    if origin is dict:
        return st.dictionaries(for_annotation(args[0]), for_annotation(args[1]), max_size=3)
    if annotation is type(None):
        return st.none()
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return model(annotation)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return st.sampled_from(list(annotation))
    if annotation is bool:
        return st.booleans()
    if annotation is int:
        low, high = -(2**62), 2**62
        for item in metadata or []:
            if isinstance(item, Ge):
                low = int(item.ge)  # type: ignore[call-overload]
            if isinstance(item, Le):
                high = int(item.le)  # type: ignore[call-overload]
        return st.integers(min_value=low, max_value=high)
    if annotation is str:
        return _text
    if annotation is datetime:
        return _times
    raise NotImplementedError(f"no strategy for {annotation!r}")


def model(cls: type[BaseModel]) -> st.SearchStrategy[Any]:
    fields = {
        name: for_annotation(info.annotation, list(info.metadata)) for name, info in cls.model_fields.items()
    }
    return st.fixed_dictionaries(fields).map(cls.model_validate)


def any_event() -> st.SearchStrategy[Any]:
    return st.one_of(*(model(cls) for cls in EVENT_TYPES))
