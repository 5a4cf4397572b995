"""Properties that must hold for any input: the `/mal` parser never fails, dates written in any of the
four languages read back as the same day, and cadence times always land where people may be messaged."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date
from hypothesis import given, settings
from hypothesis import strategies as st

from flows import cadence, commands
from flows.dates import DateError, parse_date, split_trailing_date

KNOWN = set(commands.WORDS) | {"error"}  # the parser answers with one of its own words or an error
ZONES = ["Europe/Oslo", "Europe/Stockholm", "America/New_York", "Asia/Tokyo", "Australia/Sydney"]
TODAY = date(2026, 11, 23)


@given(st.text(max_size=300))
def test_any_mal_text_parses_to_a_known_command(text: str) -> None:
    cmd = commands.parse(text)
    assert cmd.name in KNOWN
    if cmd.name == "error":
        assert cmd.error


@given(st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=200))
def test_add_keeps_any_task_text_with_emoji_or_right_to_left_script(task: str) -> None:
    cmd = commands.parse(f"add <@U123ABC|kari> {task} 2026-12-15")
    if task.strip():
        assert cmd.name in ("add", "error")
        if cmd.name == "add":
            assert split_trailing_date(cmd.text, TODAY).due == date(2026, 12, 15)


@given(st.dates(min_value=TODAY, max_value=date(2030, 12, 31)))
def test_a_date_written_in_any_language_reads_back_as_the_same_day(day: date) -> None:
    written = [
        day.isoformat(),
        day.strftime("%d.%m.%Y"),
        format_date(day, "d. MMMM y", locale="nb"),
        format_date(day, "d. MMMM y", locale="nn"),
        format_date(day, "d MMMM y", locale="sv"),
        format_date(day, "MMMM d, y", locale="en"),
        format_date(day, "d. MMM y", locale="nb"),
    ]
    for text in written:
        assert parse_date(text, TODAY) == day, text


@given(st.text(max_size=40))
def test_date_parsing_either_succeeds_or_says_why(text: str) -> None:
    try:
        parse_date(text, TODAY)
    except DateError as exc:
        assert exc.reason in ("unparseable", "no_such_day", "past")


@settings(max_examples=150, deadline=None)
@given(
    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2029, 12, 31), timezones=st.just(UTC)),
    st.sampled_from(ZONES),
)
def test_next_slot_is_a_working_minute_in_the_recipients_zone(after: datetime, tz: str) -> None:
    hours = cadence.WorkingHours()
    slot = cadence.next_slot(after, tz, hours)
    local = slot.astimezone(ZoneInfo(tz))
    assert slot >= after - timedelta(minutes=1)
    assert local.weekday() < 5 and 9 <= local.hour < 16
    assert not cadence.is_holiday(local.date(), cadence.country_for(tz, "NO"))
    assert cadence.next_slot(slot, tz, hours) == slot
    assert slot - after < timedelta(days=10)


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(sorted(cadence.CADENCES)),
    st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 28)).filter(lambda d: d.day <= 28),
    st.sampled_from(ZONES),
)
def test_windows_move_forward_at_the_same_local_hour_through_dst(name: str, anchor: date, tz: str) -> None:
    now = datetime.combine(anchor, datetime.min.time(), tzinfo=UTC)
    window = cadence.first_window(name, anchor, tz, 10, now)
    for _ in range(8):
        nxt = cadence.following_window(name, anchor, tz, 10, window.start)
        assert nxt.start > window.start
        assert nxt.start.astimezone(ZoneInfo(tz)).hour == cadence.WINDOW_HOUR
        assert nxt.nudge_at < nxt.start
        window = nxt
