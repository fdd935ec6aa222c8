"""Dates and times from clients are ISO 8601 text. Pydantic would also read a bare number as
seconds since 1970 (``0`` as 1970-01-01), which no client of ours means: such input is refused."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AwareDatetime, BeforeValidator

_NUMBER = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")


def _is_number(value: object) -> bool:
    if isinstance(value, str):
        return _NUMBER.fullmatch(value) is not None
    return isinstance(value, int | float)


def date_text(value: object) -> object:
    if _is_number(value):
        raise ValueError("Write the date as YYYY-MM-DD, for example 1990-04-21.")
    return value


def time_text(value: object) -> object:
    if _is_number(value):
        raise ValueError("Write the time in ISO 8601, for example 2024-05-01T12:00:00Z.")
    return value


IsoTime = Annotated[AwareDatetime, BeforeValidator(time_text)]
