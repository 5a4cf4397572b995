"""Slack users become people in the store on first contact, with the time zone and locale Slack knows."""

from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from storage.models import Person
from storage.repo import Repo


def profile_fields(user: dict[str, Any]) -> dict[str, Any]:
    """tz, locale and e-mail are all optional in Slack's answer; missing ones stay unknown."""
    prof = user.get("profile") or {}
    return {
        "name": user.get("real_name") or prof.get("real_name") or user.get("name") or user.get("id", ""),
        "tz": user.get("tz"),
        "slack_locale": user.get("locale"),
        "email": prof.get("email"),
        "active": not user.get("deleted", False),
    }


def ensure(repo: Repo, client: WebClient | None, team_id: str, user_id: str, now: Any) -> Person:
    """The person behind a Slack user id, created (with users.info) the first time they are seen."""
    person = repo.person_by_slack(team_id, user_id)
    if person is not None:
        return person
    repo.ensure_workspace(team_id)
    values: dict[str, Any] = {"name": user_id}
    if client is not None:
        try:
            info = client.users_info(user=user_id, include_locale=True)
            values.update(profile_fields(info["user"]))
        except SlackApiError:
            pass  # unknown to Slack right now: keep the id, fill the profile on a later contact
    return repo.ensure_person(team_id, user_id, {"created_at": now, **values})
