"""Every flow, by name, and the commands (French and English) that start them."""

from __future__ import annotations

from .base import Flow
from .browse import BrowseFlow
from .circles import CirclesFlow
from .express import ExpressFlow
from .language import LanguageFlow
from .menu import HelpFlow, MenuFlow, StartFlow
from .missions import MissionsFlow
from .my_needs import MyNeedsFlow
from .new_mission import NewMissionFlow
from .offer import OfferFlow
from .onboarding import OnboardingFlow
from .profile import ProfileFlow
from .qr import QrFlow
from .sorting import SortingFlow

FLOWS: tuple[Flow, ...] = (
    StartFlow(),
    MenuFlow(),
    HelpFlow(),
    OnboardingFlow(),
    ExpressFlow(),
    MyNeedsFlow(),
    BrowseFlow(),
    OfferFlow(),
    CirclesFlow(),
    MissionsFlow(),
    NewMissionFlow(),
    SortingFlow(),
    ProfileFlow(),
    LanguageFlow(),
    QrFlow(),
)

REGISTRY: dict[str, Flow] = {flow.name: flow for flow in FLOWS}
COMMANDS: dict[str, str] = {command: flow.name for flow in FLOWS for command in flow.commands}

__all__ = ["COMMANDS", "FLOWS", "REGISTRY", "Flow"]
