"""A decision's explanation: a stable code, a gettext message id with its parameters, and the
citation of the rule applied. Stored as message ids and translated when read, so a result
computed in one request can be shown in any locale."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fupin.i18n import _


@dataclass(frozen=True)
class Reason:
    code: str
    msgid: str
    citation_msgid: str = ""
    params: tuple[tuple[str, str | int], ...] = ()

    @property
    def message(self) -> str:
        """The message in the current locale, placeholders filled in."""
        return _(self.msgid, **dict(self.params))

    @property
    def citation(self) -> str:
        return _(self.citation_msgid) if self.citation_msgid else ""


def reason_from(
    messages: Mapping[str, str], code: str, citation: str = "", **params: str | int
) -> Reason:
    """The reason ``code`` of a rule set whose message ids are ``messages``."""
    return Reason(
        code=code, msgid=messages[code], citation_msgid=citation, params=tuple(params.items())
    )
