"""The flows this bot is made of, in the order help and menus show them.

Adding a flow is writing its module and listing an instance here (or passing a registry of one's
own to `Engine(…, flows=…)`): the engine, the help, the menu and the channels' command lists
read everything else from the flow itself."""

from __future__ import annotations

from .agenda import AgendaFlow
from .alerts import AlertsFlow
from .base import Flow
from .browse import BrowseFlow
from .circles import CirclesFlow
from .dashboard import DashboardFlow
from .express import ExpressFlow
from .forget import ForgetFlow
from .help_offer import HelpOfferFlow
from .language import LanguageFlow
from .link import LinkFlow
from .menu import CancelFlow, HelpFlow, MenuFlow, StartFlow
from .milestones import MilestonesFlow
from .missions import MissionsFlow
from .moderation import ModerationFlow
from .my_needs import MyNeedsFlow
from .mydata import MyDataFlow
from .new_event import NewEventFlow
from .new_mission import NewMissionFlow
from .new_poll import NewPollFlow
from .offer import OfferFlow
from .onboarding import OnboardingFlow
from .profile import ProfileFlow
from .programme import ProgrammeFlow
from .proposal import ProposalFlow
from .qr import QrFlow
from .report import ReportFlow
from .sorting import SortingFlow
from .typed import TypedTextFlow
from .votes import VotesFlow


def DEFAULT_FLOWS() -> tuple[Flow, ...]:
    """A fresh instance of every flow, in the order help, menus and command lists show them."""
    return (
        StartFlow(),
        MenuFlow(),
        OnboardingFlow(),
        ExpressFlow(),
        BrowseFlow(),
        MyNeedsFlow(),
        OfferFlow(),
        CirclesFlow(),
        MissionsFlow(),
        AgendaFlow(),
        ProgrammeFlow(),
        VotesFlow(),
        ProfileFlow(),
        LanguageFlow(),
        LinkFlow(),
        MyDataFlow(),
        ForgetFlow(),
        ReportFlow(),
        NewMissionFlow(),
        NewEventFlow(),
        MilestonesFlow(),
        NewPollFlow(),
        SortingFlow(),
        ProposalFlow(),
        AlertsFlow(),
        HelpOfferFlow(),
        QrFlow(),
        ModerationFlow(),
        DashboardFlow(),
        HelpFlow(),
        CancelFlow(),
        TypedTextFlow(),
    )


__all__ = ["DEFAULT_FLOWS", "Flow"]
