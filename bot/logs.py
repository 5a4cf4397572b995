"""How mal logs: one line per event, as text or (``MAL_LOG_FORMAT=json``) as JSON, and never a secret.

mal's own lines name keys and ids, never what people wrote. The libraries underneath would log whole
requests at DEBUG (Slack's client logs message bodies, SQLAlchemy its parameters), so they are held at INFO
whatever level is asked for, and a last filter blanks anything shaped like a Slack token.
"""

import logging
import os
import re
import sys

from pythonjsonlogger.json import JsonFormatter

# Loggers whose DEBUG lines carry request bodies, answers or tokens: held at INFO at least. SQLAlchemy's
# engine logs every statement with its parameters already at INFO, so it is held at WARNING.
CHATTY = {
    "slack_sdk": logging.INFO,
    "slack_bolt": logging.INFO,
    "urllib3": logging.INFO,
    "uvicorn.access": logging.INFO,
    "apscheduler": logging.INFO,
    "sqlalchemy.engine": logging.WARNING,
    "sqlalchemy.pool": logging.WARNING,
}
# The module loggers Slack's clients take when they are made (after logging is configured): made here first.
CLIENT_LOGGERS = ("slack_sdk.web.base_client", "slack_sdk.webhook.client")
TOKEN = re.compile(r"\b(xox[abposr]|xapp)-[0-9A-Za-z-]+")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time, so a redirected stderr is followed."""

    @property
    def stream(self) -> object:
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if TOKEN.search(message):
            record.msg, record.args = TOKEN.sub(r"\1-…", message), None
        return True


def configure(fmt: str | None = None, level: str | None = None) -> None:
    fmt = (fmt or os.environ.get("MAL_LOG_FORMAT") or "text").lower()
    level_name = (level or os.environ.get("MAL_LOG_LEVEL") or "INFO").upper()
    numeric = logging.getLevelName(level_name)
    if not isinstance(numeric, int):
        numeric = logging.INFO
    handler = StderrHandler()
    if fmt == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    handler.addFilter(RedactTokens())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(numeric)
    hold_chatty(numeric)


def hold_chatty(numeric: int) -> None:
    """Holds the chatty libraries at their floor, down to each module's own logger.

    Slack's client and Bolt decide whether to build a debug line from the module logger's own level, not the
    level it inherits: a logger left at NOTSET counts as DEBUG there, and every API call then formats its whole
    request body (a Home view, a list of 500 actions) into a line that is thrown away. So each existing logger
    under these names gets an explicit level, and the clients' own loggers are made now to get theirs.
    """
    for name in CLIENT_LOGGERS:
        logging.getLogger(name)
    for name, floor in CHATTY.items():
        level = max(numeric, floor)
        logging.getLogger(name).setLevel(level)
        for child in list(logging.root.manager.loggerDict):
            logger = logging.root.manager.loggerDict[child]
            if child.startswith(name + ".") and isinstance(logger, logging.Logger):
                logger.setLevel(level)
