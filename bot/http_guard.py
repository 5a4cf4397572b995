"""What the HTTP endpoint checks before Bolt sees a request: its size, then Slack's signature.

Bolt reads and parses the whole body before it verifies the signature, and logs a rejected body in full
at INFO. Anyone on the internet can reach the endpoint, so here a body is read only up to a limit (Slack's
own payloads are a few kilobytes), the signature is checked on the raw bytes with slack-sdk's verifier, and
only then is the body decoded and handed on. Nothing unsigned is parsed, and no body is ever logged.
"""

import logging
from dataclasses import dataclass
from urllib.parse import parse_qs

from slack_sdk.signature import SignatureVerifier
from starlette.requests import ClientDisconnect, Request

# Slack's payloads are small (a view submission with every field filled is some tens of kilobytes).
MAX_BODY_BYTES = 1_000_000
# Slack's SSL check (``ssl_check=1&token=…``) may come unsigned; Bolt answers it before verifying, so do we.
_SSL_CHECK_MAX = 512

log = logging.getLogger("mal.http")


@dataclass(frozen=True)
class Verdict:
    """``status`` 0 means the request may go on to Bolt; otherwise the HTTP status to answer with."""

    status: int
    reason: str = ""


class TooLarge(Exception):
    pass


async def read_bounded(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The body, or TooLarge as soon as it (or its announced length) passes ``limit``: never read whole."""
    announced = request.headers.get("content-length")
    if announced is not None:
        try:
            if int(announced) > limit:
                raise TooLarge
        except ValueError:
            raise TooLarge from None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise TooLarge
    return bytes(body)


def _is_ssl_check(body: bytes) -> bool:
    if len(body) > _SSL_CHECK_MAX:
        return False
    try:
        form = parse_qs(body.decode("ascii"), strict_parsing=False)
    except UnicodeDecodeError:
        return False
    return form.get("ssl_check") == ["1"]


class Guard:
    def __init__(self, signing_secret: str, limit: int = MAX_BODY_BYTES) -> None:
        self.verifier = SignatureVerifier(signing_secret) if signing_secret else None
        self.limit = limit

    async def check(self, request: Request) -> tuple[Verdict, bytes]:
        try:
            body = await read_bounded(request, self.limit)
        except TooLarge:
            log.warning("request refused: body over %d bytes", self.limit)
            return Verdict(413, reason="too_large"), b""
        except ClientDisconnect:
            return Verdict(400, reason="disconnected"), b""
        headers = request.headers
        return self.verify(body, headers.get("x-slack-request-timestamp"), headers.get("x-slack-signature")), body

    def verify(self, body: bytes, timestamp: str | None, signature: str | None) -> Verdict:
        if self.verifier is not None:
            try:
                valid = self.verifier.is_valid(body, timestamp, signature)
            except (ValueError, UnicodeDecodeError):  # a timestamp that is no number, a body that is no text
                valid = False
            if not valid:
                if _is_ssl_check(body):
                    return Verdict(200, reason="ssl_check")
                log.warning("request refused: missing or invalid Slack signature")
                return Verdict(401, reason="unsigned")
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            log.warning("request refused: signed body is not UTF-8")
            return Verdict(400, reason="malformed")
        return Verdict(0)


def quiet_bolt_verification_log() -> None:
    """Bolt's own check (kept as a second line) logs a rejected body, private text included, at INFO."""
    logging.getLogger("slack_bolt.RequestVerification").addFilter(lambda record: False)
