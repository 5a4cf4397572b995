"""One word for one thing in every language: the glossary (flows/data/glossary.yaml) names the word each catalog
uses for the conversations, the agreed actions, the unit and overdue, and the words it must not use."""

import re
from pathlib import Path

import pytest
import yaml
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = yaml.safe_load((ROOT / "flows" / "data" / "glossary.yaml").read_text("utf-8"))
PLACEHOLDER = re.compile(r"\{[a-z_]+\}|<[^>]*>|`[^`]*`")


def translations(language: str) -> dict[str, str]:
    path = ROOT / "flows" / "locale" / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=language)
    out = {}
    for m in catalog:
        if not m.id:
            continue
        msgid = m.id[0] if isinstance(m.id, tuple) else m.id
        text = " ".join(m.string) if isinstance(m.string, tuple) else m.string
        out[msgid] = text
    return out


@pytest.mark.parametrize("language", ["nb", "nn", "sv", "en"])
def test_a_catalog_uses_no_word_its_glossary_avoids(language: str) -> None:
    found = []
    for msgid, text in translations(language).items():
        plain = PLACEHOLDER.sub(" ", text)
        for rule in GLOSSARY[language]["avoid"]:
            if msgid in rule.get("allow", ()):
                continue
            hit = re.search(rule["pattern"], plain, re.IGNORECASE)
            if hit:
                found.append(f"{hit.group(0)!r} (use {rule['use']!r}) in: {text[:120]!r}")
    assert not found, f"{language}: {len(found)} words outside the glossary:\n" + "\n".join(found)


@pytest.mark.parametrize("language", ["nb", "nn", "sv", "en"])
def test_a_catalog_names_each_thing_with_its_glossary_word(language: str) -> None:
    catalog = translations(language)
    for term in GLOSSARY[language]["terms"]:
        assert term["msgid"] in catalog, term
        assert term["word"].lower() in catalog[term["msgid"]].lower(), (term["thing"], catalog[term["msgid"]])


def test_the_glossary_catches_what_the_review_found() -> None:
    """The rules are not empty words: each finding of the review is caught in the text it was found in."""
    cases = {
        "nb": ["3 forfalt", "Hva er de viktigste aktiviteter og mål frem til neste samtale?", "Per avdeling"],
        "nn": ["Gi opp eller prioriter", "Kvar andre veke", "Tilbakemelding på leiinga", "Hva tenker du"],
        "sv": ["Hur tycker du att din chef ger feedback?", "Överenskomna åtgärder", "senast 15.12.2026", "mobbning"],
    }
    for language, texts in cases.items():
        for text in texts:
            assert any(re.search(r["pattern"], text, re.IGNORECASE) for r in GLOSSARY[language]["avoid"]), text
