"""Every kind of reply the contract has is shown by every adapter without a per-kind test to
remember: a kind added to `dialogs.contract.OUTGOING_KINDS` without a sample here, or without a
branch in an adapter's one render dispatch, fails these tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bots.matrix.render import messages
from bots.telegram.render import plan
from bots.terminal import show
from dialogs.contract import (
    OUTGOING_KINDS,
    FileReply,
    ImageReply,
    Markup,
    Option,
    Outgoing,
    PollReply,
    Reply,
)
from dialogs.notifications import render
from dialogs.qr import qr_png
from dialogs.tr import Tr
from lte_core import notices
from tests.unit.dialogs.test_notices import sample

CHOICES = (Option("p.0", "Monday"), Option("p.1", "Tuesday"))
SAMPLES: dict[type, Outgoing] = {
    Reply: Reply(Markup("Which <b>day</b>?"), CHOICES),
    ImageReply: ImageReply(qr_png("https://example.org/"), Markup("A <b>QR</b> code"), "qr.png"),
    FileReply: FileReply(
        b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "event.ics", "text/calendar", Markup("Invite")
    ),
    PollReply: PollReply("poll:1", "Which day?", ("Monday", "Tuesday"), Reply(Markup("Which day?"), CHOICES)),
}


class Uploads:
    """The adapter's upload step, standing for the media repository: records what it was given."""

    def __init__(self) -> None:
        self.files: list[tuple[bytes, str, str]] = []

    async def __call__(self, data: bytes, mime: str, filename: str) -> str:
        self.files.append((data, mime, filename))
        return f"mxc://example.org/{len(self.files)}"


@dataclass(frozen=True)
class Unknown:
    text: str = "a kind no adapter knows"


def test_every_kind_of_the_contract_has_a_sample() -> None:
    assert set(SAMPLES) == set(OUTGOING_KINDS)


@pytest.mark.parametrize("kind", OUTGOING_KINDS, ids=lambda k: k.__name__)
async def test_matrix_shows_every_kind(kind: type) -> None:
    uploads = Uploads()
    sent = await messages(SAMPLES[kind], uploads)
    assert sent, f"{kind.__name__} sends nothing on Matrix"
    for message in sent:
        assert message.type and message.content
        assert message.content.get("body"), f"{kind.__name__}: a Matrix event without a text body"
    for data, _mime, _name in uploads.files:
        assert data == getattr(SAMPLES[kind], "data", None)


@pytest.mark.parametrize("kind", OUTGOING_KINDS, ids=lambda k: k.__name__)
def test_the_terminal_shows_every_kind(kind: type, tmp_path: Path) -> None:
    shown = show(SAMPLES[kind], tmp_path)
    assert shown.text.strip(), f"{kind.__name__} prints nothing in the terminal"


async def test_a_kind_without_a_branch_is_an_error_not_silence(tmp_path: Path) -> None:
    with pytest.raises(AssertionError):
        await messages(Unknown(), Uploads())  # type: ignore[arg-type]
    with pytest.raises(AssertionError):
        show(Unknown(), tmp_path)  # type: ignore[arg-type]


def test_the_terminal_writes_a_file_where_it_says_and_a_poll_as_its_fallback(tmp_path: Path) -> None:
    shown = show(SAMPLES[FileReply], tmp_path)
    path = tmp_path / "event.ics"
    assert path.read_bytes() == b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    assert shown.text == f"Invite\n  [{path}]" and shown.options == ()
    unsafe = show(FileReply(b"x", "../../escape.txt"), tmp_path)
    assert (tmp_path / "escape.txt").read_bytes() == b"x" and unsafe.text == f"[{tmp_path / 'escape.txt'}]"
    poll = show(SAMPLES[PollReply], tmp_path)
    assert poll.text == "Which day?\n  1. Monday\n  2. Tuesday" and poll.options == CHOICES


# Every notice the core queues reaches a person on every channel: rendered by the dialogs in both
# languages, then shown by each adapter's one dispatch (what the outbox senders do).
NOTICE_KINDS = list(notices.NOTICES.values())


@pytest.mark.parametrize("cls", NOTICE_KINDS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("locale", ["fr", "en"])
async def test_every_notice_is_shown_on_every_channel(
    cls: type[notices.Notice], locale: str, tmp_path: Path
) -> None:
    outgoing = render(Tr(locale, ZoneInfo("Europe/Paris")), sample(cls))
    assert outgoing
    for item in outgoing:
        assert plan(item), f"{cls.__name__}: nothing on Telegram"
        assert await messages(item, Uploads()), f"{cls.__name__}: nothing on Matrix"
        assert show(item, tmp_path).text.strip(), f"{cls.__name__}: nothing in the terminal"
