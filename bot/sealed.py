"""What mal puts into a modal's ``private_metadata`` and must trust when the modal comes back, sealed.

A view submission is the caller's to forge: whatever ``private_metadata`` it carries is theirs to choose.
Ids in it (a meeting, an action) are checked against the store by the flows like any other input. Where a
modal must remember something the store does not know — the ``response_url`` or the message it was
opened from, to update that message afterwards — mal signs it with an HMAC over the content, the person
and the thing it is about, using a key only the server holds. A forged or transplanted value fails the
check and is ignored: the bot posts to no URL and edits no message it was not given by Slack for that
person and that meeting or action.
"""

import base64
import hashlib
import hmac
import json
import secrets
from typing import Any

# A key for this process only, when no secret is configured (the sandbox, a test): sealed values then do
# not survive a restart, which costs no more than an origin message left as it was.
_PROCESS_KEY = secrets.token_bytes(32)


def key_from(*secrets_in_order: str) -> bytes:
    """The sealing key, derived from the first configured server secret (never used as is)."""
    secret = next((s for s in secrets_in_order if s), "")
    if not secret:
        return _PROCESS_KEY
    return hashlib.sha256(b"mal private_metadata v1\0" + secret.encode("utf-8")).digest()


def _mac(key: bytes, body: str, scope: tuple[str, ...]) -> str:
    message = "\0".join((*scope, body)).encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def seal(key: bytes, data: dict[str, Any], *scope: str) -> str:
    """``data`` as a string that only ``unseal`` with the same key and scope gives back."""
    body = json.dumps(data, sort_keys=True, separators=(",", ":"))
    encoded = base64.urlsafe_b64encode(body.encode("utf-8")).decode("ascii")
    return f"{_mac(key, body, scope)}.{encoded}"


def unseal(key: bytes, token: object, *scope: str) -> dict[str, Any] | None:
    """The sealed data, or None for anything mal did not seal with this key for this scope."""
    if not isinstance(token, str) or "." not in token:
        return None
    mac, _, encoded = token.partition(".")
    try:
        body = base64.urlsafe_b64decode(encoded.encode("ascii")).decode("utf-8")
        data = json.loads(body)
    except (ValueError, UnicodeError):
        return None
    if not isinstance(data, dict) or not hmac.compare_digest(mac, _mac(key, body, scope)):
        return None
    return data
