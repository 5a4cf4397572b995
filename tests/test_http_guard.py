"""A stranger on the internet meets the bot's endpoint: nothing unsigned is read whole, parsed or logged.

Huge bodies are refused from their announced length before a byte of them is read, or as soon as a
chunked body passes the limit; anything unsigned or malformed gets Bolt's own 401, never a 500 with a
traceback; an employee's DM text in a stale request never reaches the log.
"""

import json
import logging
import socket
import time
from urllib.parse import urlparse

import pytest

from bot.http_guard import MAX_BODY_BYTES
from tests.harness import Harness


def _complete(answer: bytes) -> bool:
    head, sep, body = answer.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":", 1)[1])
    return True


def raw_post(bot: Harness, head: dict[str, str], body_parts: list[bytes], *, wait: float = 5.0) -> tuple[int, bytes]:
    """POST over a plain socket, so a test controls what is sent and when (and can stop sending)."""
    assert bot.server is not None
    url = urlparse(bot.server.url)
    with socket.create_connection((url.hostname, url.port), timeout=wait) as sock:
        lines = ["POST /slack/events HTTP/1.1", f"Host: {url.hostname}"] + [f"{k}: {v}" for k, v in head.items()]
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        for part in body_parts:
            try:
                sock.sendall(part)
            except OSError:  # the server answered and closed while we were still sending
                break
        answer = b""
        while not _complete(answer):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    status = int(answer.split(b" ", 2)[1]) if answer else 0
    return status, answer


def test_an_announced_huge_body_is_refused_before_a_byte_of_it_is_read(bot: Harness) -> None:
    started = time.monotonic()
    status, _ = raw_post(bot, {"Content-Type": "application/json", "Content-Length": "104857600"}, [])
    assert status == 413
    assert time.monotonic() - started < 3  # answered at once: the server did not wait for 100 MB


def test_a_chunked_body_is_cut_off_at_the_limit(bot: Harness) -> None:
    chunk = b"x" * 65536
    frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    parts = [frame] * (MAX_BODY_BYTES // len(chunk) + 4) + [b"0\r\n\r\n"]
    status, _ = raw_post(bot, {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}, parts)
    assert status == 413


@pytest.mark.parametrize(
    ("label", "body", "headers"),
    [
        ("unsigned JSON", b'{"type": "event_callback"}', {}),
        ("bad JSON", b"{not json", {}),
        ("not UTF-8", b"\xff\xfe\xfa payload", {}),
        ("timestamp that is no number", b"command=/mal", {"X-Slack-Request-Timestamp": "soon"}),
        ("signature of another secret", b"command=/mal", {"X-Slack-Signature": "v0=" + "ab" * 32}),
    ],
)
def test_unsigned_or_malformed_requests_get_401_without_a_traceback(
    bot: Harness, caplog: pytest.LogCaptureFixture, label: str, body: bytes, headers: dict[str, str]
) -> None:
    head = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Content-Length": str(len(body)),
        "X-Slack-Request-Timestamp": str(int(time.time())),
        "X-Slack-Signature": "v0=00",
        **headers,
    }
    with caplog.at_level(logging.DEBUG):
        status, answer = raw_post(bot, head, [body])
    assert status == 401, label
    assert b"invalid request" in answer
    assert "Traceback" not in caplog.text and not any(r.exc_info for r in caplog.records)


def test_a_signed_body_that_is_not_json_is_answered_400_not_500(bot: Harness) -> None:
    result = bot.d.send('{"type": "event_callback", ', "application/json")
    assert result.status == 400


def test_a_stale_request_with_an_employees_dm_text_leaves_no_trace_of_the_text_in_the_log(
    bot: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    secret_text = "Jeg blir trakassert av en kollega og tør ikke si det"
    envelope = {
        "type": "event_callback",
        "team_id": bot.emulator.team_id,
        "event_id": "Ev01STALE",
        "event": {"type": "message", "channel_type": "im", "user": "UKARI", "text": secret_text, "ts": "1.0"},
    }
    # An operator runs at INFO or DEBUG: Bolt's own verification would log the rejected body at INFO.
    with caplog.at_level(logging.DEBUG), caplog.at_level(logging.DEBUG, logger="slack_bolt.RequestVerification"):
        result = bot.d.send(json.dumps(envelope), "application/json", timestamp_offset=-600)  # clock skew
    assert result.status == 401
    assert secret_text not in caplog.text
    assert "trakassert" not in caplog.text


def test_slacks_unsigned_ssl_check_is_answered(bot: Harness) -> None:
    body = b"ssl_check=1&token=abc"
    head = {"Content-Type": "application/x-www-form-urlencoded", "Content-Length": str(len(body))}
    status, _ = raw_post(bot, head, [body])
    assert status == 200


def test_a_properly_signed_command_still_gets_through(bot: Harness) -> None:
    bot.emulator.add_user("UKARI", "kari", locale="nb-NO")
    assert bot.d.slash_command("UKARI", "").status == 200
