"""A newcomer adds a flow by writing one module and registering it: no edit to the engine, the help,
the menu or the adapters. This test is that module (a tiny « petition » flow with a typed global
choice and a deep link), and checks everything the engine gives it for free."""

from __future__ import annotations

from typing import ClassVar

import pytest

from dialogs.choices import GlobalChoice, NeedAction, OpenFlow, from_deep_link, unpack
from dialogs.context import Ctx
from dialogs.contract import Text
from dialogs.engine import Engine, Registry
from dialogs.flows import DEFAULT_FLOWS
from dialogs.flows.base import Audience, Flow, Picked, Unexpected, handles, step
from lte_core.clock import FixedClock
from lte_core.config import Settings
from lte_core.store import Database, DialogState, UnitOfWork
from tests.support.chat import Person, dialog_state


async def onboard(person: Person, first_name: str, *, started: bool = False) -> Person:
    """Onboarding in English (the test flow's texts are not in the catalogs)."""
    if not started:
        await person.command("start")
    for value in ("en", "yes"):
        await person.pick(value)
    await person.send(first_name)
    await person.pick("skip")
    await person.pick("done")
    return person


class PetitionAction(GlobalChoice):
    verbs: ClassVar[dict[str, str]] = {"sign": "psign"}
    link: ClassVar[tuple[str, str] | None] = ("petition", "sign")


class PetitionFlow(Flow):
    name = "petition"
    commands = ("petition", "petition")
    title = "Sign a petition"
    summary = "sign the petition for a bike shelter"
    in_menu = True

    async def start(self, ctx: Ctx, args: str) -> None:
        ctx.ask("why", ctx.tr._("Why do you sign?"), [("skip", "Skip")])

    @step("why", accepts=(Text, Picked))
    async def on_why(self, ctx: Ctx, event: Text | Picked) -> None:
        if isinstance(event, Text) and event.text.strip() == "nope":
            raise Unexpected
        ctx.finish()
        ctx.say(ctx.tr._("Signed."), [PetitionAction("sign", 7).option("Sign again")])

    @handles(PetitionAction, "sign")
    async def sign(self, ctx: Ctx, petition_id: int) -> None:
        ctx.say(ctx.tr._("Petition {n} signed.", n=petition_id))


class NoyauOnlyFlow(Flow):
    name = "secret"
    commands = ("secret", "secret")
    title = "Noyau only"
    summary = "a tool for the noyau"
    audience = Audience.NOYAU

    async def start(self, ctx: Ctx, args: str) -> None:
        ctx.say(ctx.tr._("Secret."))


@pytest.fixture
def engine(db: Database, settings: Settings, clock: FixedClock) -> Engine:
    return Engine(db, settings, clock, flows=(*DEFAULT_FLOWS(), PetitionFlow(), NoyauOnlyFlow()))


async def test_a_registered_flow_is_in_help_menu_and_command_list(engine: Engine) -> None:
    resident = await onboard(Person(engine, "ines", locale_hint="en"), "Inès")
    await resident.command("help")
    assert "/petition — sign the petition for a bike shelter" in resident.text
    assert "a tool for the noyau" not in resident.text  # audience: noyau only
    await resident.command("menu")
    assert "Sign a petition" in [o.label for o in resident.options]
    assert ("petition", "Sign a petition") in engine.command_menu("en")
    assert all(name != "secret" for name, _ in engine.command_menu("en"))

    noyau = await onboard(Person(engine, "camille", locale_hint="en"), "Camille")  # LTE_ADMINS
    await noyau.command("help")
    assert "/secret — a tool for the noyau" in noyau.text


async def test_a_registered_flow_runs_and_the_engine_answers_what_it_did_not_declare(engine: Engine) -> None:
    resident = await onboard(Person(engine, "ines", locale_hint="en"), "Inès")
    await resident.command("petition")
    assert await dialog_state(resident) == ("petition", "why")
    await resident.photo("file-1")  # not declared by the step: the engine says so, asks again
    assert "not expecting a photo" in resident.text and "Why do you sign?" in resident.text
    await resident.send("nope")  # the step raises Unexpected: same question again
    assert "Why do you sign?" in resident.text and await dialog_state(resident) == ("petition", "why")
    await resident.send("Because the station needs one")
    assert "Signed." in resident.text and await dialog_state(resident) is None
    await resident.press("Sign again")  # its typed global choice, handled by the flow
    assert "Petition 7 signed." in resident.text


async def test_a_deep_link_of_a_new_choice_onboards_first_then_runs_it(engine: Engine) -> None:
    newcomer = Person(engine, "noe", locale_hint="en")
    await newcomer.command("start", "petition_12")
    assert await dialog_state(newcomer) == ("onboarding", "language")
    await onboard(newcomer, "Noé", started=True)
    assert "Petition 12 signed." in newcomer.text


async def test_an_unknown_state_restarts_its_flow(engine: Engine, db: Database, clock: FixedClock) -> None:
    resident = await onboard(Person(engine, "ines", locale_hint="en"), "Inès")
    await resident.command("petition")
    async with UnitOfWork(db) as uow:
        ident = await uow.people.identity("terminal", "ines")
        assert ident is not None
        await uow.dialogs.save(ident.id, DialogState("petition", "gone_step", {}, "abcde"), clock.now())
    await resident.send("hello")
    assert "Why do you sign?" in resident.text and await dialog_state(resident) == ("petition", "why")


def test_choices_pack_and_unpack() -> None:
    assert NeedAction.support(12).pack() == "g.sup.12"
    assert unpack("g.sup.12") == NeedAction("support", 12)
    assert unpack("g.psign.3") == PetitionAction("sign", 3)
    assert unpack("g.cmd.express") == OpenFlow("express")
    for forged in (
        "g.sup.",
        "g.sup.x",
        "g.sup.1.2",
        "g.nope.1",
        "g.sup.1234567890",
        "sup.1",
        "g.cmd.a.b",
        "",
    ):
        assert unpack(forged) is None, forged
    assert from_deep_link("need_12") == NeedAction("show", 12)
    assert from_deep_link("petition_4") == PetitionAction("sign", 4)
    assert from_deep_link("need_") is None and from_deep_link("nothing_1") is None
    assert NeedAction.deep_link(5) == "need_5"
    with pytest.raises(ValueError):
        NeedAction("fly", 1)


def test_a_verb_cannot_be_taken_twice() -> None:
    with pytest.raises(TypeError):

        class Clash(GlobalChoice):  # "sup" is NeedAction's
            verbs: ClassVar[dict[str, str]] = {"x": "sup"}


def test_the_registry_refuses_two_flows_answering_one_command() -> None:
    class Other(PetitionFlow):
        name = "other"

    with pytest.raises(ValueError, match="petition"):
        Registry((*DEFAULT_FLOWS(), PetitionFlow(), Other()))


def test_every_default_flow_declares_its_steps_and_commands_in_two_languages() -> None:
    for flow in DEFAULT_FLOWS():
        if flow.commands:
            assert len(flow.commands) == 2, flow.name
        assert "step" not in vars(type(flow)), f"{flow.name} still has a step() dispatcher"
