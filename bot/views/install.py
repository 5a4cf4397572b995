"""The two pages a Slack admin's browser lands on after the consent screen.

Bolt's own pages are English only; these speak the organisation's language, since nobody's Slack locale
is known yet during an install.
"""

from html import escape

from flows.i18n import Translator


def _page(title: str, body: str, link: str, link_text: str, lang: str) -> str:
    return (
        f'<!DOCTYPE html><html lang="{escape(lang)}"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
        '<body style="font-family: sans-serif; max-width: 36rem; margin: 4rem auto; line-height: 1.5">'
        f"<h1>{escape(title)}</h1><p>{escape(body)}</p>"
        f'<p><a href="{escape(link, quote=True)}">{escape(link_text)}</a></p></body></html>'
    )


def installed(t: Translator, team_name: str, open_url: str) -> str:
    return _page(
        t._("mal is installed"),
        t._("mal can now be used in {workspace}. Type /mal in Slack to begin.", workspace=team_name),
        open_url,
        t._("Open Slack"),
        t.language,
    )


def install_failed(t: Translator, reason: str, retry_url: str) -> str:
    return _page(
        t._("The installation did not finish"),
        t._("Slack gave this reason: {reason}. Nothing was saved.", reason=reason),
        retry_url,
        t._("Try again"),
        t.language,
    )


def bad_team(t: Translator, retry_url: str) -> str:
    return _page(
        t._("This install link is not right"),
        t._(
            "The workspace in the link (team=…) must be a Slack workspace ID: T followed by capital letters "
            "and digits, e.g. T024BE7LD. Nothing was saved."
        ),
        retry_url,
        t._("Install without choosing a workspace"),
        t.language,
    )
