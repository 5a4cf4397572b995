"""A local Slack: a Web API emulator the real ``slack_sdk`` talks to, and a driver that plays the user."""

from bot.emulator.driver import DriverResult, LocatedAction, SlackDriver, element_value, locate_action
from bot.emulator.server import SlackApiFailure, SlackEmulator

__all__ = [
    "DriverResult",
    "LocatedAction",
    "SlackApiFailure",
    "SlackDriver",
    "SlackEmulator",
    "element_value",
    "locate_action",
]
