"""A name in a Slack profile is whatever its owner typed. Ola renames himself
``<!here> <https://evil.example/phish|Open mal now>`` and his manager Per renames himself ``<!channel>``;
the nudge, the invitation, the brief and `/mal @ola` show the names as written, and nobody is pinged
or offered a link by them — neither in a notification (the message's ``text``) nor in its blocks.
"""

import re
from datetime import UTC, datetime
from typing import Any

from tests.harness import Harness
from tests.story import after, last_dm, pair

OLA = "<!here> <https://evil.example/phish|Open mal now>"
PER = "<!channel> & co"
# What Slack turns into a mention of many or into a link in mrkdwn: <!here>, <!channel>, <https://…|…>.
LIVE = re.compile(r"<(?:!|https?://|mailto:)[^>]*>")


def mrkdwn_texts(message: dict[str, Any]) -> list[str]:
    """The message's ``text`` and every mrkdwn text object in its blocks, where Slack parses markup."""
    found = [str(message.get("text") or "")]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(message.get("blocks") or [])
    return found


def live_markup(message: dict[str, Any]) -> list[str]:
    return [hit for text in mrkdwn_texts(message) for hit in LIVE.findall(text)]


def test_names_from_slack_profiles_never_become_mentions_or_links(bot: Harness) -> None:
    bot.emulator.add_user("UPER", "per", real_name=PER, locale="nb-NO")
    bot.emulator.add_user("UOLA", "ola", real_name=OLA, locale="nb-NO")
    pair(bot, "UPER", "UOLA")

    bot.at(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    nudge = last_dm(bot, "UPER")
    assert "Tid for 1:1-samtale med &lt;!here&gt; &lt;https://evil.example/phish|Open mal now&gt;" in nudge["text"]
    assert live_markup(nudge) == []

    modal = after(bot, "UPER", lambda: bot.d.click("UPER", nudge, "meeting_invite_open"), what="view")
    assert bot.d.view_submission("UPER", modal, {"date": "2026-12-03", "time": "10:00", "place": "Fjord"}).ok
    bot.tick()
    invitation = last_dm(bot, "UOLA")
    assert "&lt;!channel&gt; &amp; co" in invitation["text"]
    assert live_markup(invitation) == []

    bot.at(datetime(2026, 12, 2, 8, 30, tzinfo=UTC))
    brief = last_dm(bot, "UPER")
    assert "&lt;!here&gt;" in brief["text"] and live_markup(brief) == []

    listing = bot.d.slash_command("UPER", "<@UOLA|ola>")
    assert listing.status == 200 and isinstance(listing.json, dict)
    header = listing.json["blocks"][0]
    assert header["type"] == "header" and OLA in header["text"]["text"]  # plain text: shown as written
    assert live_markup(listing.json) == []
    assert "&lt;!here&gt;" in str(listing.json.get("text"))
