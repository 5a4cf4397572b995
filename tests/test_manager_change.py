"""Kari gets a new nearest manager in the next HR export: who sees her content changes, so the three it
concerns are told — Kari that her open actions now go to Mona and no longer to Per, Mona what came along, Per
that Kari's content is out of his sight — in their own languages, at their working hours, once."""

from datetime import UTC, date, datetime
from pathlib import Path

from sqlmodel import select

from bot.app import listener_client
from bot.org_import import import_org
from flows import actions
from storage.models import Outbox
from tests.harness import Harness
from tests.story import dm, pair, text_of

MONDAY_EVENING = datetime(2027, 3, 1, 19, 30, tzinfo=UTC)  # 20:30 in Oslo: nobody is disturbed now


def people(bot: Harness) -> None:
    emu = bot.emulator
    emu.add_user("UPER", "per", real_name="Per Hansen", email="per@example.org", tz="Europe/Oslo", locale="nb-NO")
    emu.add_user("UKARI", "kari", real_name="Kari Nordmann", email="kari@example.org", tz="Europe/Oslo", locale="nb-NO")
    emu.add_user(
        "UMONA", "mona", real_name="Mona Lund", email="mona@example.org", tz="Europe/Stockholm", locale="sv-SE"
    )
    emu.add_user("UOLA", "ola", real_name="Ola Olsen", email="ola@example.org", tz="Europe/Oslo", locale="nb-NO")


def import_file(bot: Harness, tmp: Path, lines: list[str]) -> None:
    path = tmp / "org.csv"
    path.write_text("employee,manager\n" + "\n".join(lines) + "\n", encoding="utf-8")
    assert bot.svc is not None
    s = bot.svc.settings
    report = import_org(
        s, bot.svc.engine, listener_client(s.bot_token, s.slack_api_url), path, bot.clock.now(), language="nb"
    )
    assert report.ok, report.problems


def news(bot: Harness, user: str, needle: str) -> list[str]:
    """The DMs of ``user`` that say ``needle``."""
    return [text_of(m) for m in dm(bot, user) if needle in text_of(m)]


def handovers(bot: Harness) -> list[tuple[str, str]]:
    with bot.repo() as repo:
        rows = repo.session.exec(select(Outbox).where(Outbox.kind == "manager_changed")).all()
        return sorted((r.recipient, r.status) for r in rows)


def test_a_report_who_moves_to_a_new_manager_is_told_with_both_managers_and_only_once(
    bot: Harness, tmp_path: Path
) -> None:
    people(bot)
    bot.clock.set(datetime(2027, 2, 1, 9, 0, tzinfo=UTC))
    pair(bot, "UPER", "UKARI")
    pair(bot, "UPER", "UOLA")
    with bot.repo() as repo:
        per, kari = bot.person("UPER"), bot.person("UKARI")
        for what, due in (("Fullføre kurset", date(2027, 3, 15)), ("Skrive rutinen", date(2027, 2, 20))):
            added = actions.add(
                repo, per, kari, what=what, due=due, owner=kari, now=bot.clock.now(), today=date(2027, 2, 1)
            )
            assert isinstance(added, actions.Added)
    seen_before = {u: len(dm(bot, u)) for u in ("UPER", "UKARI", "UMONA", "UOLA")}

    # The export moves Kari to Mona in the evening; Ola stays with Per.
    bot.clock.set(MONDAY_EVENING)
    import_file(bot, tmp_path, ["kari@example.org,mona@example.org", "ola@example.org,per@example.org"])
    bot.tick()
    assert all(len(dm(bot, u)) == seen_before[u] for u in seen_before), "nobody is disturbed at 20:30"

    bot.at(datetime(2027, 3, 2, 8, 5, tzinfo=UTC))  # 09:05 in Oslo and Stockholm
    (kari_news,) = news(bot, "UKARI", "nærmeste leder for deg")
    assert "<@UMONA> er nå nærmeste leder for deg i mal" in kari_news
    assert "2 åpne tiltak følger med deg: <@UMONA> ser dem fra nå av, og <@UPER> ser dem ikke lenger" in kari_news
    assert "Fullføre kurset" not in kari_news  # counts, never an action's text
    (mona_news,) = news(bot, "UMONA", "rapporterar nu till dig")
    assert "<@UKARI> rapporterar nu till dig i mal" in mona_news  # Mona reads Swedish
    assert "2 öppna aktiviteter från tidigare samtal följer med" in mona_news
    (per_news,) = news(bot, "UPER", "rapporterer ikke lenger til deg")
    assert "<@UKARI> rapporterer ikke lenger til deg i mal: nærmeste leder er nå <@UMONA>" in per_news
    assert len(dm(bot, "UOLA")) == seen_before["UOLA"], "Ola's manager did not change: he hears nothing"

    # What they were told holds: Mona sees Kari's actions, Per no longer does.
    mona_list = text_of({"blocks": bot.d.slash_command("UMONA", "").json["blocks"]})
    assert "Fullføre kurset" in mona_list and "Skrive rutinen" in mona_list
    per_list = text_of({"blocks": bot.d.slash_command("UPER", "").json["blocks"]})
    assert "Fullføre kurset" not in per_list

    # The same file again (HR exports every night) tells nobody anything twice.
    count = {u: len(dm(bot, u)) for u in ("UPER", "UKARI", "UMONA")}
    import_file(bot, tmp_path, ["kari@example.org,mona@example.org", "ola@example.org,per@example.org"])
    bot.at(datetime(2027, 3, 3, 8, 5, tzinfo=UTC))
    assert {u: len(dm(bot, u)) for u in count} == count
    assert handovers(bot) == [("UKARI", "sent"), ("UMONA", "sent"), ("UPER", "sent")]


def test_a_move_overtaken_before_its_news_went_out_tells_only_the_latest(bot: Harness, tmp_path: Path) -> None:
    """Kari is moved to Mona in the evening and, in the corrected file an hour later, to Ola: in the morning
    Kari and Per hear of Ola only, and Mona, who never saw anything of hers, hears nothing. A file that moves
    Ola's report back to Per before anyone heard of it is no news at all."""
    people(bot)
    bot.clock.set(datetime(2027, 2, 1, 9, 0, tzinfo=UTC))
    pair(bot, "UPER", "UKARI")
    bot.clock.set(MONDAY_EVENING)
    import_file(bot, tmp_path, ["kari@example.org,mona@example.org"])
    bot.tick()
    bot.clock.set(datetime(2027, 3, 1, 20, 30, tzinfo=UTC))
    import_file(bot, tmp_path, ["kari@example.org,ola@example.org"])
    mona_before = len(dm(bot, "UMONA"))
    bot.at(datetime(2027, 3, 2, 8, 5, tzinfo=UTC))
    (kari_news,) = news(bot, "UKARI", "nærmeste leder for deg")
    assert "<@UOLA> er nå nærmeste leder for deg" in kari_news and "<@UPER> ser ikke lenger" in kari_news
    (per_news,) = news(bot, "UPER", "rapporterer ikke lenger til deg")
    assert "nærmeste leder er nå <@UOLA>" in per_news
    assert len(dm(bot, "UMONA")) == mona_before

    bot.clock.set(datetime(2027, 3, 8, 19, 0, tzinfo=UTC))
    import_file(bot, tmp_path, ["kari@example.org,mona@example.org"])
    bot.clock.set(datetime(2027, 3, 8, 20, 0, tzinfo=UTC))
    import_file(bot, tmp_path, ["kari@example.org,ola@example.org"])  # back before anyone heard
    bot.at(datetime(2027, 3, 9, 8, 5, tzinfo=UTC))
    assert len(news(bot, "UKARI", "nærmeste leder for deg")) == 1
    assert len(news(bot, "UOLA", "rapporterer nå til deg")) == 1
    assert news(bot, "UMONA", "rapporterar") == []


def test_a_report_left_without_a_manager_is_told_and_so_is_the_manager_who_no_longer_sees_them(
    bot: Harness, tmp_path: Path
) -> None:
    """Ola's manager cell is emptied in the export (he is between units): Ola hears that Per no longer sees his
    actions and conversations and that his own actions are still his; Per hears that Ola is out of his sight.
    Kari, whose cell is emptied one evening and filled with Mona before the next morning, hears nothing of the
    gap: she, Mona and Per hear of the move to Mona, as if it had been made in one file."""
    people(bot)
    bot.clock.set(datetime(2027, 2, 1, 9, 0, tzinfo=UTC))
    pair(bot, "UPER", "UOLA")
    pair(bot, "UPER", "UKARI")
    bot.clock.set(MONDAY_EVENING)
    import_file(bot, tmp_path, ["ola@example.org,", "kari@example.org,per@example.org"])
    bot.at(datetime(2027, 3, 2, 8, 5, tzinfo=UTC))
    (ola_news,) = news(bot, "UOLA", "ikke lenger noen nærmeste leder")
    assert "<@UPER> ser ikke lenger tiltakene eller samtalene dine" in ola_news and "`/mal`" in ola_news
    (per_news,) = news(bot, "UPER", "rapporterer ikke lenger til deg")
    assert "<@UOLA>" in per_news and "<@UKARI>" not in per_news
    assert news(bot, "UKARI", "leder") == []
    assert "Ola" not in text_of({"blocks": bot.d.slash_command("UPER", "").json["blocks"]})

    import_file(bot, tmp_path, ["ola@example.org,", "kari@example.org,per@example.org"])  # the same file again
    bot.at(datetime(2027, 3, 3, 8, 5, tzinfo=UTC))
    assert len(news(bot, "UOLA", "ikke lenger noen nærmeste leder")) == 1

    # Kari's cell is emptied in the evening, and she is under Mona in the next morning's file before 08:00.
    bot.clock.set(datetime(2027, 3, 3, 19, 0, tzinfo=UTC))
    import_file(bot, tmp_path, ["kari@example.org,"])
    bot.tick()
    bot.clock.set(datetime(2027, 3, 4, 6, 0, tzinfo=UTC))
    import_file(bot, tmp_path, ["kari@example.org,mona@example.org"])
    bot.at(datetime(2027, 3, 4, 8, 5, tzinfo=UTC))
    assert news(bot, "UKARI", "ikke lenger noen nærmeste leder") == []
    (kari_news,) = news(bot, "UKARI", "nærmeste leder for deg")
    assert "<@UMONA> er nå nærmeste leder for deg i mal" in kari_news and "<@UPER> ser ikke lenger" in kari_news
    assert len(news(bot, "UMONA", "<@UKARI> rapporterar nu till dig")) == 1
    (per_news,) = news(bot, "UPER", "<@UKARI> rapporterer ikke lenger til deg")
    assert "nærmeste leder er nå <@UMONA>" in per_news


def test_a_report_between_managers_for_weeks_hears_of_the_next_one_and_the_former_hears_nothing_more(
    bot: Harness, tmp_path: Path
) -> None:
    """Ola is without a manager in mal for three weeks and was told so. Then the export puts him under Mona:
    Ola hears that Mona sees his open action from now on, Mona that Ola reports to her with it; Per, told three
    weeks ago that Ola was out of his sight, hears nothing more. When Kari, told the same, comes back to Per
    himself, both hear it, and nothing says Per no longer sees her actions."""
    people(bot)
    bot.clock.set(datetime(2027, 2, 1, 9, 0, tzinfo=UTC))
    pair(bot, "UPER", "UOLA")
    pair(bot, "UPER", "UKARI")
    with bot.repo() as repo:
        per, ola = bot.person("UPER"), bot.person("UOLA")
        added = actions.add(
            repo,
            per,
            ola,
            what="Ta sertifiseringen",
            due=date(2027, 4, 30),
            owner=ola,
            now=bot.clock.now(),
            today=date(2027, 2, 1),
        )
        assert isinstance(added, actions.Added)
    bot.clock.set(MONDAY_EVENING)
    import_file(bot, tmp_path, ["ola@example.org,", "kari@example.org,"])
    bot.at(datetime(2027, 3, 2, 8, 5, tzinfo=UTC))
    assert len(news(bot, "UOLA", "ikke lenger noen nærmeste leder")) == 1
    per_before = len(dm(bot, "UPER"))

    bot.clock.set(datetime(2027, 3, 22, 19, 0, tzinfo=UTC))
    import_file(bot, tmp_path, ["ola@example.org,mona@example.org", "kari@example.org,per@example.org"])
    bot.at(datetime(2027, 3, 23, 8, 5, tzinfo=UTC))
    (ola_news,) = news(bot, "UOLA", "nærmeste leder for deg")
    assert "<@UMONA> er nå nærmeste leder for deg i mal" in ola_news
    assert "1 åpent tiltak følger med deg: <@UMONA> ser det fra nå av." in ola_news
    assert "<@UPER>" not in ola_news
    (mona_news,) = news(bot, "UMONA", "<@UOLA> rapporterar nu till dig")
    assert "1 öppen aktivitet" in mona_news
    (kari_news,) = news(bot, "UKARI", "nærmeste leder for deg")
    assert "<@UPER> er nå nærmeste leder for deg i mal" in kari_news and "ser ikke lenger" not in kari_news
    per_news = [text_of(m) for m in dm(bot, "UPER")[per_before:]]
    assert len([n for n in per_news if "<@UKARI> rapporterer nå til deg" in n]) == 1
    assert not any("UOLA" in n for n in per_news)  # Ola's news reached Per three weeks ago
    assert "Ta sertifiseringen" in text_of({"blocks": bot.d.slash_command("UMONA", "").json["blocks"]})

    import_file(bot, tmp_path, ["ola@example.org,mona@example.org", "kari@example.org,per@example.org"])
    bot.at(datetime(2027, 3, 24, 8, 5, tzinfo=UTC))
    assert len(news(bot, "UOLA", "nærmeste leder for deg")) == 1  # the same file again tells nobody twice
