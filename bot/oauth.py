"""Installing mal in several workspaces over OAuth, with slack-sdk's SQLAlchemy stores in mal's database.

The stores' tables belong to the schema like every other table: migration 0004 creates them, so
``mal-bot migrate`` is the only thing that changes the database, never a request. A successful install
records the workspace and lifts an earlier revocation, so a re-install resumes sending.
"""

import re
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_flow import OAuthFlow
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk.oauth.authorize_url_generator import AuthorizeUrlGenerator
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

from bot.services import Services
from bot.views import install as install_views

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
STATE_SECONDS = 600
HTML: dict[str, str | Sequence[str]] = {"Content-Type": "text/html; charset=utf-8"}
# What Slack's workspace ids look like; ``?team=`` is passed on to Slack only when it is one.
TEAM_ID = re.compile(r"T[A-Z0-9]+")


def installation_store(svc: Services) -> SQLAlchemyInstallationStore:
    return SQLAlchemyInstallationStore(client_id=svc.settings.slack_client_id, engine=svc.engine)


def record_install(svc: Services, team_id: str, name: str) -> None:
    """The workspace is known and active again, whatever happened to an earlier installation."""
    with svc.unit() as repo:
        ws = repo.ensure_workspace(team_id, name)
        ws.name = name or ws.name
        ws.active = True
        ws.revoked_at = None
        repo.add(ws)


class EncodedAuthorizeUrl(AuthorizeUrlGenerator):
    """Slack's consent URL with every parameter encoded: slack-sdk's own pastes them in as they are, so a
    ``team`` of ``T1&scope=admin&redirect_uri=…`` would add parameters of the caller's choosing."""

    def generate(self, state: str, team: str | None = None) -> str:
        query = {
            "state": state,
            "client_id": self.client_id,
            "scope": ",".join(self.scopes or ()),
            "user_scope": ",".join(self.user_scopes or ()),
        }
        if self.redirect_uri is not None:
            query["redirect_uri"] = self.redirect_uri
        if team is not None:
            if not TEAM_ID.fullmatch(team):
                raise ValueError("not a Slack team id")
            query["team"] = team
        sep = "&" if "?" in self.authorization_url else "?"
        return f"{self.authorization_url}{sep}{urlencode(query)}"


class InstallFlow(OAuthFlow):
    """Bolt's OAuth flow, refusing an install link whose ``team`` is not a Slack team id before anything is
    stored or anyone is sent to Slack."""

    def __init__(self, settings: OAuthSettings, svc: Services) -> None:
        super().__init__(settings=settings)
        self.svc = svc

    def handle_installation(self, request: BoltRequest) -> BoltResponse:
        teams = request.query.get("team")
        if teams is not None and (len(teams) != 1 or not TEAM_ID.fullmatch(teams[0])):
            page = install_views.bad_team(self.svc.t(None), INSTALL_PATH)
            return BoltResponse(status=400, body=page, headers=dict(HTML))
        return super().handle_installation(request)


def install_flow(svc: Services, store: SQLAlchemyInstallationStore) -> InstallFlow:
    return InstallFlow(oauth_settings(svc, store), svc)


def oauth_settings(svc: Services, store: SQLAlchemyInstallationStore) -> OAuthSettings:
    s = svc.settings

    def success(args: SuccessArgs) -> BoltResponse:
        inst = args.installation
        if inst.team_id:
            record_install(svc, inst.team_id, inst.team_name or "")
        open_url = f"slack://app?team={inst.team_id or ''}&id={inst.app_id or ''}"
        page = install_views.installed(svc.t(None), inst.team_name or inst.team_id or "", open_url)
        return BoltResponse(status=200, body=page, headers=dict(HTML))

    def failure(args: FailureArgs) -> BoltResponse:
        page = install_views.install_failed(svc.t(None), args.reason, INSTALL_PATH)
        return BoltResponse(status=args.suggested_status_code, body=page, headers=dict(HTML))

    settings = OAuthSettings(
        client_id=s.slack_client_id,
        client_secret=s.client_secret,
        scopes=s.scopes,
        redirect_uri=s.slack_redirect_uri,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        install_page_rendering_enabled=False,
        authorization_url=s.slack_authorize_url,
        installation_store=store,
        state_store=SQLAlchemyOAuthStateStore(expiration_seconds=STATE_SECONDS, engine=svc.engine),
        state_expiration_seconds=STATE_SECONDS,
        callback_options=CallbackOptions(success=success, failure=failure),
    )
    settings.authorize_url_generator = EncodedAuthorizeUrl(
        client_id=s.slack_client_id,
        redirect_uri=s.slack_redirect_uri,
        scopes=settings.scopes,
        user_scopes=settings.user_scopes,
        authorization_url=settings.authorization_url,
    )
    return settings


def forget_revoked_installations(app: App) -> Callable[..., None]:
    """Middleware: on ``tokens_revoked``/``app_uninstalled`` delete the installation (Bolt's own handlers),
    then let mal's listener stop the workspace's outbox. Bolt runs one listener per event, so its
    ``enable_token_revocation_listeners`` would replace mal's instead of adding to it."""

    tokens_revoked = app.default_tokens_revoked_event_listener()
    app_uninstalled = app.default_app_uninstalled_event_listener()

    def middleware(body: dict[str, Any], context: BoltContext, next: Callable[[], None]) -> None:
        event_type = (body.get("event") or {}).get("type") if body.get("type") == "event_callback" else None
        if event_type == "tokens_revoked":
            tokens_revoked(event=body["event"], context=context)
        elif event_type == "app_uninstalled":
            app_uninstalled(context=context)
        next()

    return middleware
