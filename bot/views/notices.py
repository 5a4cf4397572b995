"""Short answers to the caller: refusals and errors, each a catalog message."""

from flows.i18n import N_, Translator

REASONS = {
    "not_your_report": N_("You can only see the actions of your own direct reports."),
    "not_yours": N_("This belongs to a conversation you are not part of."),
    "not_found": N_("That no longer exists."),
    "closed": N_("That conversation is already closed."),
    "past": N_("That date has already passed. Choose a date from today on."),
    "empty": N_("Nothing was filled in."),
    "too_long": N_("That is too long: at most 3000 characters."),
    "too_long_limit": N_("That is too long: at most {arg} characters."),
    "owner_unknown": N_("The person responsible is not an active user in this workspace."),
    "owner_not_allowed": N_("Only the employee or their manager can be responsible for an action."),
    "undo_too_late": N_("It is too late to undo that. Record the action again if it is not done."),
    "too_late": N_("The meeting has started, so the preparation can no longer be changed."),
    "unknown_question": N_("One of the chosen questions is not in the question menu."),
    "choose_questions": N_("Choose at least one question for this conversation."),
    "unknown_user": N_("I don't know {arg}. Mention someone with @, and choose them from Slack's list."),
    "unknown_command": N_("I don't know the command “{arg}”. Type `/mal help` to see what I can do."),
    "trailing": N_("I didn't understand “{arg}”. Type `/mal help` to see what I can do."),
    "add_usage": N_("Write it like this: `/mal add @person What to do by 15.12.2026`"),
    "cadence_usage": N_(
        "Write it like this: `/mal cadence @person monthly` (weekly, biweekly, monthly, quarterly or yearly)"
    ),
    "birthyear_usage": N_(
        "Write it like this: `/mal birthyear @person 1966` (admins; `-` removes it). Nobody is ever asked for it."
    ),
    "for_managers": N_(
        "That conversation is the manager's booklet: it is held with someone who has reports of their own."
    ),
    "template_usage": N_("Write it like this: `/mal template @person`, then choose the conversation."),
    "not_a_template": N_("There is no conversation “{arg}”. Choose one from the list: `/mal template @person`."),
    "away_usage": N_("Write it like this: `/mal away 2026-12-24`"),
    "away_too_far": N_("An absence can last at most a year, so until {arg} at the latest."),
    "date_unparseable": N_("I could not read the date “{arg}”. Write it like 2026-12-15 or 15.12.2026."),
    "date_missing": N_("Add a date at the end, like `by 15.12.2026`."),
    "date_no_such_day": N_("“{arg}” is not a day in the calendar. Check the day and the month."),
    "date_past": N_("The date {arg} has already passed. Choose a date from today on."),
    "date_too_far": N_("The date {arg} is too far ahead: choose a date at most five years from today."),
    "too_far": N_("That date is too far ahead: choose a date at most five years from today."),
    "no_meeting": N_("There is no coming conversation to keep notes for yet."),
    "no_pairing": N_("You have no manager or reports in mal yet. An admin imports who reports to whom."),
    "already_evaluated": N_("You have already evaluated this conversation. Thank you!"),
    "inactive_user": N_("{arg} is deactivated in this workspace."),
    "plan_changed": N_("The plan has changed since this message. Confirm the newest plan I sent you."),
    # moving a 1:1 and the calendar
    "not_invited": N_("That 1:1 has no time yet. Send the invitation first."),
    "same_time": N_("That is the time the 1:1 already has. Choose another time."),
    "no_proposal": N_("There is no proposed time waiting for an answer."),
    "calendar_usage": N_("Write it like this: `/mal calendar` or `/mal calendar reset`"),
    # something failed after the click or command was answered (bot.afterwards.tell_failure)
    "not_saved_busy": N_("That could not be saved just now: mal's database was busy. Please try again in a minute."),
    "form_not_opened": N_("Slack did not open the form just now (it was busy). Please click the button again."),
    "home_not_shown": N_(
        "Your Home tab in mal could not be shown just now (Slack was busy). Open it again in a moment."
    ),
    "export_not_sent": N_(
        "Your export could not be sent: Slack did not take the file. Nothing is lost; type `/mal export` again "
        "in a while."
    ),
    "next_question_not_sent": N_(
        "Your answer is saved, but Slack did not take my next question just now. Press “Prepare here, one "
        "question at a time” on the invitation to go on where you left off."
    ),
    "saved_not_shown": N_(
        "That is saved, but Slack did not take my answer just now. Type `/mal` to see where things stand."
    ),
    "failed_try_again": N_(
        "Something went wrong on mal's side and it could not finish that. Please try again; if it keeps happening, "
        "tell your Slack admin."
    ),
    # the annual season
    "not_admin": N_("Only an admin of mal can do that. Admins see participation counts, never content."),
    "no_season": N_("No annual season is open for you right now."),
    "no_reports": N_("You have no reports in mal, so there is no team to share a focus with."),
    "season_already_open": N_("A season with another deadline is already open. Close it first: `/mal season close`."),
    "deadline_too_soon": N_("The deadline must be at least three weeks from today."),
    "unknown_template": N_("That conversation cannot be used for a season."),
    "season_too_soon": N_("Invite at least 7 days ahead, so there is time to prepare. Choose a later date."),
    "season_after_deadline": N_("That is after the season's deadline. Choose a date on or before the deadline."),
    "season_closed": N_("The annual season is closed. The conversation can still be held as a regular one."),
    "not_held_yet": N_("That conversation has not taken place yet."),
    "season_usage": N_("Write it like this: `/mal season`, `/mal season open` or `/mal season close`"),
    "season_who": N_("Choose at least one unit or manager, or choose everyone."),
}


def notice(reason: str, t: Translator, arg: str = "") -> str:
    return (
        t._(REASONS.get(reason, REASONS["not_found"]), arg=arg)
        if "{arg}" in REASONS.get(reason, "")
        else t._(REASONS.get(reason, REASONS["not_found"]))
    )
