"""Translation for one person: messages as Markup with escaped parameters, labels, formats."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup

from lte_core import i18n
from lte_core.domain import AssetKind, CircleKind, CircleTask, NeedStatus, Theme


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated later, where it is shown."""
    return message


STATUS_LABELS: dict[NeedStatus, str] = {
    NeedStatus.EXPRESSED: N_("expressed"),
    NeedStatus.IN_STUDY: N_("being studied"),
    NeedStatus.SORTED: N_("sorted"),
    NeedStatus.PRESENTED: N_("presented to the assembly"),
    NeedStatus.IN_CIRCLE: N_("in a work circle"),
    NeedStatus.PROPOSED: N_("proposal made"),
    NeedStatus.ASSIGNED: N_("assigned to a thematic circle"),
    NeedStatus.IN_PROJECT: N_("in a project"),
    NeedStatus.REALISED: N_("realised"),
    NeedStatus.WITHDRAWN: N_("withdrawn"),
    NeedStatus.MERGED: N_("merged"),
    NeedStatus.DECLINED: N_("declined"),
}

# What the button says for a move *to* this status (sorting queue, circles).
MOVE_LABELS: dict[NeedStatus, str] = {
    NeedStatus.IN_STUDY: N_("Study it"),
    NeedStatus.SORTED: N_("Sort it (choose a theme)"),
    NeedStatus.PRESENTED: N_("Present it to the assembly"),
    NeedStatus.IN_CIRCLE: N_("Hand it to a work circle"),
    NeedStatus.PROPOSED: N_("Write the proposal"),
    NeedStatus.ASSIGNED: N_("Assign to a thematic circle"),
    NeedStatus.IN_PROJECT: N_("Form its project circle"),
    NeedStatus.REALISED: N_("Mark as realised (closing note)"),
    NeedStatus.WITHDRAWN: N_("Withdraw it"),
    NeedStatus.MERGED: N_("Merge into another need"),
    NeedStatus.DECLINED: N_("Decline (with a reason)"),
}

CIRCLE_KIND_LABELS: dict[CircleKind, str] = {
    CircleKind.MISSION: N_("Mission circles"),
    CircleKind.WORK: N_("Work circles"),
    CircleKind.ACTIVITIES: N_("Activities circle"),
    CircleKind.THEMATIC: N_("Thematic circles"),
    CircleKind.PROJECT: N_("Project circles"),
}

CIRCLE_TASK_LABELS: dict[CircleTask, str] = {
    CircleTask.KNOW_TERRITORY: N_("getting to know the territory"),
    CircleTask.COLLECT_NEEDS: N_("collecting needs"),
    CircleTask.SORT_NEEDS: N_("sorting needs"),
    CircleTask.FOLLOW_UP: N_("following up"),
    CircleTask.OTHER: N_("a precise mission"),
}

ASSET_KIND_LABELS: dict[AssetKind, str] = {
    AssetKind.SKILL: N_("A skill"),
    AssetKind.TOOL: N_("A tool or equipment"),
    AssetKind.PLACE: N_("A place"),
    AssetKind.ACTOR: N_("An organisation or business"),
}


_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def isolated(params: dict[str, Any]) -> dict[str, Any]:
    """User text carrying direction controls is wrapped in an isolate (FSI … PDI): a right-to-left
    override in a need cannot turn the rest of the message around."""
    out = params
    for key, value in params.items():
        if isinstance(value, str) and not isinstance(value, Markup) and any(ch in _BIDI for ch in value):
            if out is params:
                out = dict(params)
            out[key] = "\u2068" + value + "\u2069"
    return out


class Tr:
    """`tr._("Hello {name}", name=user_text)` → Markup with `user_text` escaped."""

    def __init__(self, locale: str, tz: ZoneInfo) -> None:
        self.locale = locale if locale in i18n.LOCALES else i18n.LOCALES[0]
        self.fmt = i18n.Formatter(self.locale, tz)

    def _(self, message: str, **params: Any) -> Markup:
        text = Markup(i18n.gettext(self.locale, message))
        return text.format(**isolated(params)) if params else text

    def ngettext(self, singular: str, plural: str, n: int, **params: Any) -> Markup:
        text = Markup(i18n.ngettext(self.locale, singular, plural, n))
        return text.format(n=self.fmt.number(n), **isolated(params))

    def plain(self, message: str) -> str:
        """A translated label with no markup (buttons)."""
        return i18n.gettext(self.locale, message)

    def status(self, status: NeedStatus) -> str:
        return self.plain(STATUS_LABELS[status])

    def theme(self, code: str | None, themes: list[Theme]) -> str:
        if not code:
            return self.plain("no theme yet")
        for theme in themes:
            if theme.code == code:
                return theme.label(self.locale)
        return code
