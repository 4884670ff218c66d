"""Path convertors of the HTML routes: ``{need_id:id}`` and ``{code:region}``.

Starlette's ``int`` convertor takes any run of digits, so ``/needs/9223372036854775808`` reached
the database as an integer SQLite cannot bind (OverflowError) and PostgreSQL's ``integer`` column
cannot hold (2^31 and up), and a 13-digit region code reached a 12-character column (Tortoise's
ValidationError): 500s for a mistyped URL. A convertor whose pattern does not match makes the
route not match, so such a URL is a page that does not exist (404) before any handler runs. The
JSON API has the same bounds as schema types (``core.schemas.Id``, ``RegionCode``).

Registering a convertor is global in Starlette and must happen before a route naming it is
built, so ``core/web.py`` — which every pages module imports — imports this module (it
imports nothing of the package, so ``core/schemas.py`` can take ``MAX_ID`` from it too).
"""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor

#: The largest id of a table: PostgreSQL ``integer`` (Tortoise ``IntField``), the smaller of the
#: two databases' integer keys.
MAX_ID = 2**31 - 1
#: A region code: GB/T 2260 (2-digit province prefix up to 6 digits), NBS township (9) and
#: village (12) codes.
REGION_PATTERN = "[0-9]{2,12}"


def id_pattern(maximum: int) -> str:
    """A regular expression matching exactly the decimal numbers 1..``maximum`` (no sign, no
    leading zero): every shorter length in full, then, for ``maximum``'s own length, each
    prefix of it followed by a smaller digit and any digits, and ``maximum`` itself."""
    text = str(maximum)
    width = len(text)
    if width == 1:
        return f"[1-{text}]"
    options = [f"[1-9][0-9]{{0,{width - 2}}}"]
    for index, digit in enumerate(text):
        lowest = 1 if index == 0 else 0
        if int(digit) > lowest:
            rest = width - index - 1
            options.append(f"{text[:index]}[{lowest}-{int(digit) - 1}][0-9]{{{rest}}}")
    options.append(text)
    return "(?:" + "|".join(options) + ")"


class IdConvertor(Convertor[int]):
    """A database id, 1..``MAX_ID``."""

    regex = id_pattern(MAX_ID)

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        if not 1 <= int(value) <= MAX_ID:
            raise ValueError(f"not a database id: {value}")
        return str(int(value))


class RegionConvertor(Convertor[str]):
    """A region code: 2 to 12 digits."""

    regex = REGION_PATTERN

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return str(value)


register_url_convertor("id", IdConvertor())
register_url_convertor("region", RegionConvertor())
