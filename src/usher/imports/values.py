"""Cell values of an imported file into Usher's values; each error message says what to fix."""

from __future__ import annotations

import re
from datetime import date, datetime

from usher.kit.spreadsheet import unneutralize
from usher.models.user import Gender

# What people write in a gender column, case-folded.
_GENDERS = {
    "female": Gender.female,
    "f": Gender.female,
    "woman": Gender.female,
    "w": Gender.female,
    "male": Gender.male,
    "m": Gender.male,
    "man": Gender.male,
    "other": Gender.other,
    "o": Gender.other,
    "diverse": Gender.other,
    "d": Gender.other,
    "non-binary": Gender.other,
    "nonbinary": Gender.other,
    "x": Gender.other,
    "unspecified": Gender.unspecified,
    "u": Gender.unspecified,
    "unknown": Gender.unspecified,
    "prefer not to say": Gender.unspecified,
    "not specified": Gender.unspecified,
}


def unquote_formula(text: str) -> str:
    """Undo an export's formula neutralization (``'=1+1`` reads back as ``=1+1``), so an
    export imports as a no-op."""
    return unneutralize(text)


def parse_gender(text: str) -> Gender:
    found = _GENDERS.get(" ".join(text.casefold().split()))
    if found is None:
        raise ValueError(
            f"Unknown gender {text!r}: use female, male, other or unspecified (or F, M, O, U)."
        )
    return found


_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]00:00(?::00(?:\.0+)?)?)?")
_DOTTED = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_SLASHED_YMD = re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})")


def parse_date(text: str) -> date:
    """ISO dates (``1990-04-21``, also ``1990/04/21``) and day-first dotted dates
    (``21.04.1990``). Slashed day/month dates are refused: ``04/05/1990`` means April to some
    and May to others."""
    value = text.strip()
    for pattern, order in ((_ISO, "ymd"), (_SLASHED_YMD, "ymd"), (_DOTTED, "dmy")):
        match = pattern.fullmatch(value)
        if match:
            a, b, c = (int(g) for g in match.groups())
            year, month, day = (a, b, c) if order == "ymd" else (c, b, a)
            try:
                return date(year, month, day)
            except ValueError:
                raise ValueError(f"{value!r} is not a real date.") from None
    try:
        return datetime.fromisoformat(value).date()
    except ValueError:
        pass
    raise ValueError(f"Write the date as YYYY-MM-DD (for example 1990-04-21), not {value!r}.")


def split_list(text: str) -> list[str]:
    """Team names separated by ``;`` (or ``,`` or new lines), blanks dropped, order kept."""
    parts = re.split(r"[;,\n]", text)
    seen: dict[str, str] = {}
    for part in parts:
        name = " ".join(part.split())
        if name and name.casefold() not in seen:
            seen[name.casefold()] = name
    return list(seen.values())


def split_path(text: str) -> list[str]:
    """An org unit path ``Engineering / Platform`` (or ``Engineering/Platform``; Google's
    ``/Engineering/Platform``) into its names, root first."""
    return [" ".join(p.split()) for p in text.split("/") if p.strip()]
