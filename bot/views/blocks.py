"""Block Kit primitives that keep within Slack's limits, so no caller can produce a rejected message.

User text and names from Slack profiles are escaped (&, <, >) before they go into mrkdwn or a message's
``text``: a typed or self-chosen '<!channel>' must not ping anybody. Plain text is shown as written.
"""

from typing import Any

from storage.models import Person

Block = dict[str, Any]
SECTION_MAX = 3000
HEADER_MAX = 150
BUTTON_MAX = 75
OPTION_MAX = 75
MODAL_TITLE_MAX = 24
MESSAGE_BLOCKS_MAX = 50


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def name_of(person: Person) -> str:
    """A name from a Slack profile, for mrkdwn and a message's ``text`` (which Slack renders as mrkdwn in
    notifications): anyone can name themselves ``<!here>`` or ``<https://…|Open mal>``."""
    return escape(person.name)


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain(text: str, limit: int = SECTION_MAX) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit), "emoji": True}


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": clip(text, SECTION_MAX)}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, HEADER_MAX)}


def section(text: str, *, accessory: dict[str, Any] | None = None, block_id: str | None = None) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(text)}
    if accessory is not None:
        block["accessory"] = accessory
    if block_id:
        block["block_id"] = block_id
    return block


def fields(items: list[str]) -> Block:
    return {"type": "section", "fields": [mrkdwn(clip(i, 2000)) for i in items[:10]]}


def context(text: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(text)]}


def divider() -> Block:
    return {"type": "divider"}


def button(text: str, action_id: str, value: str = "", *, style: str | None = None) -> dict[str, Any]:
    el: dict[str, Any] = {"type": "button", "text": plain(text, BUTTON_MAX), "action_id": action_id}
    if value:
        el["value"] = value[:2000]
    if style in ("primary", "danger"):
        el["style"] = style
    return el


def actions(elements: list[dict[str, Any]], block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": elements[:25]}
    if block_id:
        block["block_id"] = block_id
    return block


def option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain(text, OPTION_MAX), "value": value}


def static_select(
    action_id: str, placeholder: str, options: list[dict[str, Any]], initial: str | None = None
) -> dict[str, Any]:
    el: dict[str, Any] = {
        "type": "static_select",
        "action_id": action_id,
        "placeholder": plain(placeholder, 150),
        "options": options[:100],
    }
    chosen = next((o for o in options if o["value"] == initial), None)
    if chosen is not None:
        el["initial_option"] = chosen
    return el


def input_block(
    block_id: str, label: str, element: dict[str, Any], *, optional: bool = False, hint: str | None = None
) -> Block:
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, 2000),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


def text_input(
    action_id: str,
    *,
    multiline: bool = False,
    initial: str | None = None,
    max_length: int = 3000,
    placeholder: str | None = None,
) -> dict[str, Any]:
    el: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": action_id,
        "multiline": multiline,
        "max_length": max_length,
    }
    if initial:
        el["initial_value"] = initial[:max_length]
    if placeholder:
        el["placeholder"] = plain(placeholder, 150)
    return el


def modal(
    callback_id: str, title: str, blocks: list[Block], *, submit: str | None, close: str, private_metadata: str = ""
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title, MODAL_TITLE_MAX),
        "close": plain(close, MODAL_TITLE_MAX),
        "blocks": blocks[:100],
        "private_metadata": private_metadata[:3000],
    }
    if submit:
        view["submit"] = plain(submit, MODAL_TITLE_MAX)
    return view


def fallback_text(blocks: list[Block]) -> str:
    """The message's ``text`` (mrkdwn) from its first block: plain text, such as a header with a name, is
    escaped on the way, or a name like ``<!here>`` would become a mention there."""
    for b in blocks:
        text = b.get("text")
        if isinstance(text, dict):
            value = str(text.get("text", ""))
            return (escape(value) if text.get("type") == "plain_text" else value)[:300]
    return "mal"
