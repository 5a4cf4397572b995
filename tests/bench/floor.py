"""The framework's floor: a Bolt app on mal's own server stack that does the least each request allows.

`/mal` only acknowledges; Done acknowledges and replaces the message with one word; opening the Home
tab publishes a one-block view. Set against mal, the difference is what mal itself costs: the store,
the rules, the rendering. Run as ``python -m tests.bench.floor --port N`` with mal's environment.
"""

import argparse
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.app import listener_client
from bot.server import serve
from bot.settings import load_settings


def floor_app(token: str, signing_secret: str, api_url: str) -> App:
    app = App(
        client=listener_client(token, api_url),
        signing_secret=signing_secret,
        process_before_response=False,
    )

    @app.command("/mal")
    def mal(ack: Ack) -> None:
        ack(response_type="ephemeral", text="ok")

    @app.action("action_done")
    def done(ack: Ack, respond: Respond) -> None:
        ack()
        respond(text="ok", replace_original=True)

    @app.event("app_home_opened")
    def home(event: dict[str, Any], client: WebClient) -> None:
        view = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "ok"}}]}
        client.views_publish(user_id=event["user"], view=view)

    return app


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.floor")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    settings = load_settings(require_slack=True)
    app = floor_app(settings.bot_token, settings.signing_secret, settings.slack_api_url)
    serve(app, settings.signing_secret, args.host, args.port)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
