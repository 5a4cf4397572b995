"""Who an e-mail address or Slack ID is, asked of Slack's user directory.

One ``Directory`` lives for one import: it remembers every answer, so a manager named on 40 lines is
looked up once, and a person named once by e-mail and once by ID costs one ``users.info``.
"""

import time
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from flows.org import Profile

NOT_FOUND = frozenset({"users_not_found", "user_not_found"})
# Above this many unknown identities, one paged ``users.list`` beats a lookup per person: listing is
# Tier 2 (20 pages of up to 1,000 users a minute), lookups are Tier 3–4 (about 100 people a minute).
BULK_THRESHOLD = 100
PAGE_SIZE = 1000
MAX_RATE_LIMIT_WAITS = 10


def profile_of(user: Mapping[str, Any]) -> Profile:
    """A profile from Slack's user object; every field but the ID is optional there."""
    details: Mapping[str, Any] = user.get("profile") or {}
    return Profile(
        slack_user_id=str(user["id"]),
        team_id=str(user.get("team_id") or details.get("team") or ""),
        email=details.get("email") or None,
        name=str(user.get("name") or ""),
        real_name=str(user.get("real_name") or details.get("real_name") or ""),
        tz=user.get("tz") or None,
        locale=user.get("locale") or None,
        deleted=bool(user.get("deleted")),
    )


class Directory:
    """Resolves identities for one import; an unknown person is ``None``, a deactivated one a profile
    with ``deleted`` set, and any other Slack error propagates (a bad token is not a bad file)."""

    def __init__(
        self,
        client: WebClient,
        *,
        bulk_threshold: int = BULK_THRESHOLD,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._bulk_threshold = bulk_threshold
        self._sleep = sleep
        self._by_id: dict[str, Profile | None] = {}
        self._by_email: dict[str, Profile | None] = {}
        self._listed = False

    def resolve_all(self, identities: Iterable[str]) -> dict[str, Profile | None]:
        wanted = set(identities)
        unseen = [i for i in wanted if i.lower() not in self._by_email and i.upper() not in self._by_id]
        if len(unseen) > self._bulk_threshold:
            self.load_everyone()
        return {identity: self.resolve(identity) for identity in wanted}

    def resolve(self, identity: str) -> Profile | None:
        return self.by_email(identity) if "@" in identity else self.by_id(identity)

    def by_id(self, user_id: str) -> Profile | None:
        user_id = user_id.upper()
        if user_id not in self._by_id:
            self._by_id[user_id] = None if self._listed else self._users_info(user_id)
        return self._by_id[user_id]

    def by_email(self, email: str) -> Profile | None:
        email = email.lower()
        if email not in self._by_email:
            found = None if self._listed else self._lookup_email(email)
            # lookupByEmail leaves out the locale; users.info has it (and is cached by ID).
            self._by_email[email] = self.by_id(found) if found else None
        return self._by_email[email]

    def load_everyone(self) -> None:
        """Page through the whole workspace once; afterwards anyone not seen does not exist."""
        cursor: str | None = None
        while True:
            response = self._call(partial(self._client.users_list, limit=PAGE_SIZE, cursor=cursor, include_locale=True))
            for user in response.get("members") or []:
                self._remember(profile_of(user))
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                break
        self._listed = True

    def _remember(self, profile: Profile) -> Profile:
        self._by_id[profile.slack_user_id] = profile
        if profile.email:
            self._by_email[profile.email.lower()] = profile
        return profile

    def _users_info(self, user_id: str) -> Profile | None:
        try:
            response = self._call(partial(self._client.users_info, user=user_id, include_locale=True))
        except SlackApiError as exc:
            if _error(exc) in NOT_FOUND:
                return None
            raise
        profile = profile_of(response["user"])
        if profile.email:
            self._by_email.setdefault(profile.email.lower(), profile)
        return profile

    def _lookup_email(self, email: str) -> str | None:
        try:
            response = self._call(partial(self._client.users_lookupByEmail, email=email))
        except SlackApiError as exc:
            if _error(exc) in NOT_FOUND:
                return None
            raise
        return str(response["user"]["id"])

    def _call(self, request: Callable[[], SlackResponse]) -> SlackResponse:
        """Wait out Slack's rate limit as told by ``Retry-After``: an import has nothing else to do."""
        for _ in range(MAX_RATE_LIMIT_WAITS):
            try:
                return request()
            except SlackApiError as exc:
                if exc.response.status_code != 429:
                    raise
                self._sleep(_retry_after(exc.response.headers))
        return request()


def _error(exc: SlackApiError) -> str:
    return str(exc.response.get("error") or "")


def _retry_after(headers: Mapping[str, Any]) -> float:
    for name, value in headers.items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            try:
                return max(float(raw), 0.0)
            except (TypeError, ValueError):
                break
    return 1.0
