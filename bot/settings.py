"""Configuration from the environment, checked once at start.

A bot that starts with a malformed token fails minutes later inside a listener, far from the cause; so
every value is validated here and the process stops with one readable message naming the variables.
"""

from datetime import datetime, time
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SUPPORTED_LANGUAGES = ("nb", "nn", "sv", "en")
HOLIDAY_COUNTRIES = ("NO", "SE")


class SettingsError(Exception):
    """Configuration that cannot work; the message is meant for the person starting the bot."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    slack_bot_token: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_client_id: str = ""
    slack_client_secret: SecretStr | None = None
    slack_scopes: str = ""
    slack_redirect_uri: str | None = None
    slack_authorize_url: str = "https://slack.com/oauth/v2/authorize"
    slack_api_url: str = "https://slack.com/api/"
    database_url: str = "sqlite:///mal.db"
    mal_timezone: str = "Europe/Oslo"
    mal_locale: str = "nb"
    mal_holidays_country: str = "NO"
    mal_work_start: time = time(9, 0)
    mal_work_end: time = time(16, 0)
    mal_invite_lead_days: int = Field(default=10, ge=1, le=30)
    mal_templates_dir: str | None = None
    # The organisation's own words for a sensitive question: who sees the answer and where else to turn.
    # Shown as written (not translated); empty means the template's text in the reader's language.
    mal_care_text: str | None = Field(default=None, max_length=2000)
    mal_admins: str = ""
    # Where HR is, named to a manager who must follow up a sensitive answer (an address, a channel, a page).
    mal_hr_contact: str | None = Field(default=None, max_length=500)
    mal_allow_other_responsible: bool = False
    mal_retention_months: int = Field(default=24, ge=1, le=240)
    mal_tick_seconds: int = Field(default=60, ge=1, le=3600)
    mal_outbox_lease_seconds: int = Field(default=300, ge=1, le=3600)
    mal_outbox_batch: int = Field(default=50, ge=1, le=1000)
    mal_clock_start: datetime | None = None
    mal_post_per_channel_seconds: float = Field(default=1.0, ge=0.0, le=60.0)
    mal_post_per_workspace_minute: int = Field(default=600, ge=1, le=10_000)
    # The bot's public address in HTTP mode (https://mal.example.org): the calendar feed links start with it.
    mal_public_url: str = ""
    # Where confirmed plans go: a folder the archive imports, or the archive system's HTTP endpoint (one of them).
    mal_archive_dir: str | None = None
    mal_archive_url: str | None = None
    mal_archive_token: SecretStr | None = None
    # What mal keeps of a plan the archive has confirmed once the retention period is over: the receipt (who
    # confirmed, when, the archive's reference) or also its own copy of the document.
    mal_archive_keep: Literal["receipt", "document"] = "receipt"
    # The organisation's salary criteria (003: "Utvärdera med hjälp av lönekriterierna"), linked where they are used.
    mal_salary_criteria_url: str | None = None

    @field_validator("mal_salary_criteria_url")
    @classmethod
    def _criteria_url(cls, v: str | None) -> str | None:
        return _web_address(v, "a web address, e.g. https://intranet.example.org/lonekriterier")

    @field_validator("mal_archive_url")
    @classmethod
    def _archive_url(cls, v: str | None) -> str | None:
        return _web_address(v, "the archive's HTTP endpoint, e.g. https://archive.example.org/api/documents")

    @field_validator("mal_archive_dir")
    @classmethod
    def _archive_dir(cls, v: str | None) -> str | None:
        v = (v or "").strip()
        if v and not Path(v).is_dir():
            raise ValueError(f"the folder {v!r} does not exist")
        return v or None

    @model_validator(mode="after")
    def _one_archive_route(self) -> "Settings":
        if self.mal_archive_dir and self.mal_archive_url:
            raise ValueError("MAL_ARCHIVE_DIR and MAL_ARCHIVE_URL are both set: choose one archive route")
        return self

    @field_validator("mal_public_url")
    @classmethod
    def _public_url(cls, v: str) -> str:
        v = v.strip()
        if (v and not v.startswith(("https://", "http://"))) or " " in v:
            raise ValueError("must be the bot's public address, e.g. https://mal.example.org")
        return v.rstrip("/")

    @field_validator("mal_clock_start")
    @classmethod
    def _clock_start(cls, v: datetime | None) -> datetime | None:
        if v is not None and v.tzinfo is None:
            raise ValueError("needs a time zone, e.g. 2026-12-01T09:00:00+01:00")
        return v

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and v.get_secret_value() and not v.get_secret_value().startswith("xoxb-"):
            raise ValueError("must be a bot token starting with 'xoxb-'")
        return v

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and v.get_secret_value() and not v.get_secret_value().startswith("xapp-"):
            raise ValueError("must be an app-level token starting with 'xapp-'")
        return v

    @field_validator("mal_timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {v!r} (use an IANA name such as Europe/Oslo)") from exc
        return v

    @field_validator("mal_locale")
    @classmethod
    def _locale(cls, v: str) -> str:
        if v not in SUPPORTED_LANGUAGES:
            raise ValueError(f"must be one of {', '.join(SUPPORTED_LANGUAGES)}")
        return v

    @field_validator("mal_holidays_country")
    @classmethod
    def _country(cls, v: str) -> str:
        if v.upper() not in HOLIDAY_COUNTRIES:
            raise ValueError(f"must be one of {', '.join(HOLIDAY_COUNTRIES)}")
        return v.upper()

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, v: str) -> str:
        return v if v.endswith("/") else v + "/"

    @property
    def bot_token(self) -> str:
        return self.slack_bot_token.get_secret_value() if self.slack_bot_token else ""

    @property
    def signing_secret(self) -> str:
        return self.slack_signing_secret.get_secret_value() if self.slack_signing_secret else ""

    @property
    def app_token(self) -> str:
        return self.slack_app_token.get_secret_value() if self.slack_app_token else ""

    @property
    def client_secret(self) -> str:
        return self.slack_client_secret.get_secret_value() if self.slack_client_secret else ""

    @property
    def oauth_mode(self) -> bool:
        """Several workspaces install the app over OAuth: a client id and secret, and no fixed bot token."""
        return bool(self.slack_client_id and self.client_secret and not self.bot_token)

    @property
    def scopes(self) -> list[str]:
        """``SLACK_SCOPES`` (comma-separated) or the bot scopes of the manifest, so the two cannot drift."""
        if self.slack_scopes.strip():
            return [s.strip() for s in self.slack_scopes.split(",") if s.strip()]
        return manifest_scopes()

    @property
    def admin_ids(self) -> frozenset[str]:
        return frozenset(a.strip() for a in self.mal_admins.split(",") if a.strip())


def _web_address(value: str | None, what: str) -> str | None:
    """An optional http(s) address; anything else is refused with ``what`` it should be."""
    v = (value or "").strip()
    if v and (not v.startswith(("https://", "http://")) or " " in v):
        raise ValueError(f"must be {what}")
    return v or None


DEFAULT_SCOPES = ("chat:write", "im:write", "im:history", "commands", "users:read", "users:read.email", "files:write")


def manifest_scopes() -> list[str]:
    """The bot scopes of ``app.yaml`` next to the code; the same list built in when the file is not shipped."""
    import yaml

    path = Path(__file__).resolve().parent.parent / "app.yaml"
    if not path.exists():
        return list(DEFAULT_SCOPES)
    manifest = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [str(s) for s in manifest["oauth_config"]["scopes"]["bot"]]


def _env_name(loc: tuple[int | str, ...]) -> str:
    return str(loc[0]).upper() if loc else "?"


def load_settings(*, require_slack: bool = True, socket_mode: bool = False, **overrides: object) -> Settings:
    """Read the environment; raise SettingsError with every problem at once, never a traceback."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = [f"  {_env_name(e['loc'])}: {e['msg']}" if e["loc"] else f"  {e['msg']}" for e in exc.errors()]
        raise SettingsError("Invalid configuration:\n" + "\n".join(lines)) from None
    if require_slack:
        missing = []
        if settings.slack_client_id and not settings.client_secret:
            missing.append("SLACK_CLIENT_SECRET (with SLACK_CLIENT_ID, to install over OAuth)")
        if settings.oauth_mode and socket_mode:
            raise SettingsError(
                "Installing in several workspaces (SLACK_CLIENT_ID/SLACK_CLIENT_SECRET) needs HTTP mode: "
                "mal-bot run --http; Socket Mode serves one workspace with SLACK_BOT_TOKEN."
            )
        if not settings.bot_token and not settings.oauth_mode:
            missing.append("SLACK_BOT_TOKEN (xoxb-...)")
        if socket_mode and not settings.app_token:
            missing.append("SLACK_APP_TOKEN (xapp-..., for Socket Mode)")
        if not socket_mode and not settings.signing_secret:
            missing.append("SLACK_SIGNING_SECRET (for HTTP mode)")
        if missing:
            raise SettingsError("Missing environment variables:\n" + "\n".join(f"  {m}" for m in missing))
    return settings
