"""Helpers that read the emulator the way a person reads Slack: the newest DM, a button by its label."""

from typing import Any

from bot.emulator.server import SlackEmulator
from flows import pairings
from storage.models import Person
from tests.harness import Harness


def dm(bot: Harness, user: str, start: int = 0) -> list[dict[str, Any]]:
    """Messages the bot posted in a person's DM, oldest first (from the ``start``-th message of the DM on)."""
    return [
        m for m in bot.emulator.messages(user, start) if m.get("bot_id") or m.get("user") == bot.emulator.bot_user_id
    ]


def last_dm(bot: Harness, user: str) -> dict[str, Any]:
    msgs = dm(bot, user, max(0, bot.emulator.message_count(user) - 20)) or dm(bot, user)
    assert msgs, f"no DM for {user}"
    return msgs[-1]


def text_of(message: dict[str, Any]) -> str:
    out = [message.get("text") or ""]
    for b in message.get("blocks") or []:
        if isinstance(b.get("text"), dict):
            out.append(b["text"]["text"])
        for el in (b.get("elements") or []) + (b.get("fields") or []):
            if isinstance(el, dict) and isinstance(el.get("text"), dict):
                out.append(el["text"]["text"])
            elif isinstance(el, dict) and isinstance(el.get("text"), str):
                out.append(el["text"])
    return "\n".join(out)


def add_people(emulator: SlackEmulator) -> None:
    emulator.add_user("UPER", "per", real_name="Per Hansen", email="per@example.org", tz="Europe/Oslo", locale="nb-NO")
    emulator.add_user(
        "UKARI", "kari", real_name="Kari Nordmann", email="kari@example.org", tz="Europe/Oslo", locale="nb-NO"
    )
    emulator.add_user(
        "USVEN", "sven", real_name="Sven Svensson", email="sven@example.org", tz="Europe/Stockholm", locale="sv-SE"
    )
    emulator.add_user(
        "UJOHN", "john", real_name="John Smith", email="john@example.org", tz="America/New_York", locale="en-US"
    )
    emulator.add_user("UOLA", "ola", real_name="Ola Olsen", email="ola@example.org", tz="Europe/Oslo", locale="nb-NO")


def pair(bot: Harness, manager: str, employee: str, cadence: str = "monthly") -> None:
    """Who reports to whom, as an import would set it (people known to Slack, pairs scheduled)."""
    from bot import people

    assert bot.svc is not None
    client = bot.svc.settings
    from bot.app import listener_client

    web = listener_client(client.bot_token, client.slack_api_url)
    with bot.repo() as repo:
        m: Person = people.ensure(repo, web, bot.emulator.team_id, manager, bot.clock.now())
        e: Person = people.ensure(repo, web, bot.emulator.team_id, employee, bot.clock.now())
        pairings.pair(
            repo,
            m,
            e,
            now=bot.clock.now(),
            tz="Europe/Oslo",
            lead=bot.svc.settings.mal_invite_lead_days,
            cadence_name=cadence,
        )


def after(bot: Harness, user: str, act: Any, *, what: str = "dm") -> dict[str, Any]:
    """Do something, then wait for what the person sees next: a new DM, or a modal opening."""
    if what == "view":
        before_ids = {v["id"] for v in bot.emulator.open_views(user)}
        act()
        assert bot.emulator.wait_for(lambda: any(v["id"] not in before_ids for v in bot.emulator.open_views(user))), (
            f"no modal opened for {user}"
        )
        return [v for v in bot.emulator.open_views(user) if v["id"] not in before_ids][-1]
    count = bot.emulator.message_count(user, from_bot=True)
    act()
    grew = bot.emulator.wait_for(lambda: bot.emulator.message_count(user, from_bot=True) > count)
    assert grew, f"no new DM for {user}"
    return last_dm(bot, user)


def settle(bot: Harness, condition: Any, message: str = "condition not reached") -> None:
    assert bot.emulator.wait_for(condition), message


def template_of(bot: Harness, user: str) -> str:
    """The conversation a person's pair holds now."""
    with bot.repo() as repo:
        pairing = repo.active_pairing_of(bot.person(user).id or 0)
        assert pairing is not None
        return pairing.template


def invite_from_nudge(bot: Harness, manager: str, day: str, *, about: str = "") -> None:
    """The manager opens the invitation from the newest nudge (about a report, when given) and invites for
    10:00 on ``day``; the invitation is sent."""
    nudge = next(
        m
        for m in reversed(dm(bot, manager))
        if "meeting_invite_open" in str(m.get("blocks")) and (not about or f"<@{about}>" in text_of(m))
    )
    modal = after(bot, manager, lambda: bot.d.click(manager, nudge, "meeting_invite_open"), what="view")
    assert bot.d.view_submission(manager, modal, {"date": day, "time": "10:00"}).ok
    bot.tick()


def send_invitation(bot: Harness, manager: str, modal: dict[str, Any], values: dict[str, Any]) -> str:
    """Submit the invitation form; when it comes back with a warning about the time (a clash, a weekend, out
    of someone's hours), press Send once more, as a manager who knows what she is doing would. Returns the
    warning shown ('' when there was none)."""
    result = bot.d.view_submission(manager, modal, values)
    assert result.ok, result.body
    warned = [
        v for v in bot.emulator.open_views(manager) if any(b.get("block_id") == "slot_warning" for b in v["blocks"])
    ]
    if not warned:
        return ""
    warning = text_of({"blocks": [b for b in warned[-1]["blocks"] if b.get("block_id") == "slot_warning"]})
    assert bot.d.view_submission(manager, warned[-1], values).ok
    assert not [v for v in bot.emulator.open_views(manager) if v.get("callback_id") == "meeting_invite_submit"]
    return warning
