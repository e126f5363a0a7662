"""What each dashboard figure is called and says: its title, description, the series of its
trend and the labels of its totals (the figures' code computes only the numbers)."""

from __future__ import annotations

from dataclasses import dataclass

from kb.overdue.health import AMBER_DAYS

#: amber: a process model's next review is this close (or it was never reviewed)


@dataclass(frozen=True)
class About:
    title: str
    description: str
    #: (key, label) of each series of the trend by month
    series: tuple[tuple[str, str], ...]
    #: (key, label) of each headline total, in the order the figure gives their values
    totals: tuple[tuple[str, str], ...]


ABOUT: dict[str, About] = {
    "captured": About(
        "Lessons captured",
        "Lessons written each month, per project and phase: in kb, the day it was created; "
        "imported from a file, the day the file gives (updated, else when it happened), or "
        "the day kb received it when the file gives none.",
        (("captured", "Lessons captured"),),
        (("captured", "Lessons captured"),),
    ),
    "publication": About(
        "Time from submission to publication",
        "For each lesson published that month: the days from its last submission to its "
        "publication; the median is shown.",
        (("median_days", "Median days from submission to publication"),),
        (
            ("published", "Lessons published"),
            ("median_days", "Median days"),
            ("longest_days", "Longest wait, days"),
        ),
    ),
    "reviews": About(
        "Closure reviews",
        "Projects closed each month and how many of them have a completed lessons review; "
        "reviews overdue are those still open past their due date today.",
        (("closed", "Projects closed"), ("reviewed", "With a completed review")),
        (
            ("closed", "Projects closed"),
            ("reviewed", "With a completed review"),
            ("reviewed_share", "Share reviewed, %"),
            ("overdue", "Reviews overdue"),
        ),
    ),
    "actions": About(
        "Actions on lessons",
        "Actions added and closed each month (on time: by their due date); open and overdue "
        "are counted today.",
        (("added", "Added"), ("closed_on_time", "Closed on time"), ("closed_late", "Closed late")),
        (
            ("open", "Open"),
            ("overdue", "Overdue"),
            ("closed_on_time", "Closed on time"),
            ("closed_late", "Closed late"),
            ("on_time_share", "Closed on time, %"),
        ),
    ),
    "recurrence": About(
        "Recurring problems",
        "A recurrence is a newer lesson of another project describing the problem of an "
        "actioned lesson; the rate is the share of actioned lessons that recurred.",
        (("recurrences", "Recurrences detected"),),
        (
            ("actioned", "Lessons actioned"),
            ("recurred", "Of them recurred"),
            ("rate", "Recurrence rate, %"),
        ),
    ),
    "briefings": About(
        "Briefings",
        "Briefings sent to projects at their start and gates, the lessons they held, and "
        'how many were answered "applies" or "action taken".',
        (
            ("briefings", "Briefings sent"),
            ("lessons", "Lessons briefed"),
            ("applied", "Answered applies or action taken"),
        ),
        (
            ("briefings", "Briefings sent"),
            ("lessons", "Lessons briefed"),
            ("answered", "Answered"),
            ("applied", "Applies or action taken"),
            ("applied_share", "Applies or action taken, %"),
        ),
    ),
    "health": About(
        "Process models by health",
        f"Red: past its next review; amber: due within {AMBER_DAYS} days or never reviewed; "
        "green: otherwise (next review = last reviewed + review period). The trend counts the "
        "reviews falling due each month.",
        (("falling_due", "Reviews falling due"),),
        (("green", "Green"), ("amber", "Amber"), ("red", "Red")),
    ),
    "onboarding": About(
        "Onboarding paths",
        "Onboarding paths started and completed each month.",
        (("started", "Paths started"), ("completed", "Paths completed")),
        (("started", "Started"), ("completed", "Completed")),
    ),
    "searches": About(
        "Searches with no result",
        "Searches made each month and those that found nothing; the queries are counted "
        "(case ignored). kb records the words, the result count and the time, not who searched.",
        (("searches", "Searches"), ("zero", "With no result")),
        (("searches", "Searches"), ("zero", "With no result"), ("zero_share", "With no result, %")),
    ),
    "reading": About(
        "Most-read lessons",
        "Openings of lesson pages each month (counted per lesson and day, not by whom).",
        (("views", "Lesson page views"),),
        (("views", "Lesson page views"), ("lessons_read", "Lessons read")),
    ),
}
