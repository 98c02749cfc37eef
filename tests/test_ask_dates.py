"""The date grammar of `ask`: a table of phrases resolved against several days (a Sunday, a
Monday, month ends, year end and start, leap days), whole questions with their roles (time
range, comparison, window) and words that are not periods, and a few properties."""

from __future__ import annotations

import tomllib
from datetime import date, timedelta
from fnmatch import fnmatch
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wayfinder.ask import dates
from wayfinder.ask.dates import FoundPeriod, find_periods, resolve_period
from wayfinder.errors import ConfigError

SUN = date(2026, 11, 22)  # the day of the examples in ../shared/nlq: a mid-month Sunday
MON = date(2026, 11, 23)
JAN31 = date(2026, 1, 31)  # a Saturday, a month end
MAR31 = date(2026, 3, 31)  # a Tuesday, a month and quarter end
DEC31 = date(2026, 12, 31)  # a Thursday, the year end
JAN1 = date(2027, 1, 1)  # a Friday, the year start
LEAP = date(2028, 2, 29)  # a Tuesday, a leap day
MAR1_24 = date(2024, 3, 1)  # a Friday, the day after a leap day

# (phrase, today, expected): "start/end"; "..end" for an open start; None when unresolvable.
TABLE: list[tuple[str, date, str | None]] = [
    # -- the example phrases of ../shared/nlq/examples.jsonl
    ("this month", SUN, "2026-11-01/2026-11-22"),
    ("last 14 days", SUN, "2026-11-09/2026-11-22"),
    ("last quarter", SUN, "2026-07-01/2026-09-30"),
    ("2026", SUN, "2026-01-01/2026-12-31"),
    ("over the past fortnight", SUN, "2026-11-09/2026-11-22"),
    ("August", SUN, "2026-08-01/2026-08-31"),
    ("since July", SUN, "2026-07-01/2026-11-22"),
    ("October", SUN, "2026-10-01/2026-10-31"),
    ("last 6 months", SUN, "2026-05-22/2026-11-22"),
    ("this year", SUN, "2026-01-01/2026-11-22"),
    ("September", SUN, "2026-09-01/2026-09-30"),
    ("last month", SUN, "2026-10-01/2026-10-31"),
    # -- calendar periods: whole previous units; "this" runs to today
    ("this quarter", SUN, "2026-10-01/2026-11-22"),
    ("this week", SUN, "2026-11-16/2026-11-22"),
    ("last week", SUN, "2026-11-09/2026-11-15"),
    ("last year", SUN, "2025-01-01/2025-12-31"),
    ("previous month", SUN, "2026-10-01/2026-10-31"),
    ("the month before last", SUN, "2026-09-01/2026-09-30"),
    ("two months ago", SUN, "2026-09-01/2026-09-30"),
    ("3 weeks ago", SUN, "2026-10-26/2026-11-01"),
    ("last 3 full months", SUN, "2026-08-01/2026-10-31"),
    ("the last full week", SUN, "2026-11-09/2026-11-15"),
    ("last-quarter", SUN, "2026-07-01/2026-09-30"),
    # -- rolling windows end today and include it
    ("past 14 days", SUN, "2026-11-09/2026-11-22"),
    ("past 2 weeks", SUN, "2026-11-09/2026-11-22"),
    ("past two weeks", SUN, "2026-11-09/2026-11-22"),
    ("last fortnight", SUN, "2026-11-09/2026-11-22"),
    ("past fortnight", SUN, "2026-11-09/2026-11-22"),
    ("last 30 days", SUN, "2026-10-24/2026-11-22"),
    ("the last three months", SUN, "2026-08-22/2026-11-22"),
    ("last 12 months", SUN, "2025-11-22/2026-11-22"),
    ("past year", SUN, "2025-11-22/2026-11-22"),
    ("trailing twelve months", SUN, "2025-11-22/2026-11-22"),
    ("TTM", SUN, "2025-11-22/2026-11-22"),
    ("last 365 days", SUN, "2025-11-23/2026-11-22"),
    ("the last 3 years", SUN, "2023-11-22/2026-11-22"),
    ("the past 24 hours", SUN, "2026-11-21/2026-11-22"),
    # -- days and weekends
    ("today", SUN, "2026-11-22/2026-11-22"),
    ("yesterday", SUN, "2026-11-21/2026-11-21"),
    ("the day before yesterday", SUN, "2026-11-20/2026-11-20"),
    ("this weekend", SUN, "2026-11-21/2026-11-22"),
    ("last weekend", SUN, "2026-11-14/2026-11-15"),
    ("on Monday", SUN, "2026-11-16/2026-11-16"),
    ("last Tuesday", SUN, "2026-11-17/2026-11-17"),
    ("since Monday", SUN, "2026-11-16/2026-11-22"),
    # -- to date
    ("YTD", SUN, "2026-01-01/2026-11-22"),
    ("year to date", SUN, "2026-01-01/2026-11-22"),
    ("so far this year", SUN, "2026-01-01/2026-11-22"),
    ("this year to date", SUN, "2026-01-01/2026-11-22"),
    ("MTD", SUN, "2026-11-01/2026-11-22"),
    ("month-to-date", SUN, "2026-11-01/2026-11-22"),
    ("QTD", SUN, "2026-10-01/2026-11-22"),
    ("since the start of the quarter", SUN, "2026-10-01/2026-11-22"),
    ("since the start of October", SUN, "2026-10-01/2026-11-22"),
    ("since the beginning of the year", SUN, "2026-01-01/2026-11-22"),
    ("since the start of last month", SUN, "2026-10-01/2026-11-22"),
    ("since the start of the quarter", MAR31, "2026-01-01/2026-03-31"),
    ("all time", SUN, "..2026-11-22"),
    # -- "from" alone is the period itself; with an end, or "onwards", a range
    ("from last month", SUN, "2026-10-01/2026-10-31"),
    ("from March", SUN, "2026-03-01/2026-03-31"),
    ("from 2025", SUN, "2025-01-01/2025-12-31"),
    ("from March onwards", SUN, "2026-03-01/2026-11-22"),
    ("from last month to this month", SUN, "2026-10-01/2026-11-22"),
    ("from March until May", SUN, "2026-03-01/2026-05-31"),
    # -- bare months and quarters: the most recent that has started
    ("in March", SUN, "2026-03-01/2026-03-31"),
    ("during March", SUN, "2026-03-01/2026-03-31"),
    ("Mar", SUN, "2026-03-01/2026-03-31"),
    ("December", SUN, "2025-12-01/2025-12-31"),
    ("November", SUN, "2026-11-01/2026-11-30"),
    ("Q3", SUN, "2026-07-01/2026-09-30"),
    ("third quarter", SUN, "2026-07-01/2026-09-30"),
    ("the 3rd quarter", SUN, "2026-07-01/2026-09-30"),
    ("Q4", SUN, "2026-10-01/2026-12-31"),
    ("H1", SUN, "2026-01-01/2026-06-30"),
    ("H2", SUN, "2026-07-01/2026-12-31"),
    # -- named years, quarters, halves
    ("March 2025", SUN, "2025-03-01/2025-03-31"),
    ("Q3 2025", SUN, "2025-07-01/2025-09-30"),
    ("Q3 of last year", SUN, "2025-07-01/2025-09-30"),
    ("last March", SUN, "2026-03-01/2026-03-31"),
    ("H2 2025", SUN, "2025-07-01/2025-12-31"),
    ("first half of the year", SUN, "2026-01-01/2026-06-30"),
    ("the second half of 2025", SUN, "2025-07-01/2025-12-31"),
    ("2025", SUN, "2025-01-01/2025-12-31"),
    ("week 47", SUN, "2026-11-16/2026-11-22"),
    # -- a year after the name, or a year's name before it
    ("2025 H2", SUN, "2025-07-01/2025-12-31"),
    ("2025 H1", SUN, "2025-01-01/2025-06-30"),
    ("2025 Q3", SUN, "2025-07-01/2025-09-30"),
    ("2025-Q3", SUN, "2025-07-01/2025-09-30"),
    ("H2-2025", SUN, "2025-07-01/2025-12-31"),
    ("Q1 2025-Q2 2026", SUN, "2025-01-01/2026-06-30"),
    ("Q3 last year", SUN, "2025-07-01/2025-09-30"),
    ("Q2 this year", SUN, "2026-04-01/2026-06-30"),
    ("H1 last year", SUN, "2025-01-01/2025-06-30"),
    ("March last year", SUN, "2025-03-01/2025-03-31"),
    ("March of last year", SUN, "2025-03-01/2025-03-31"),
    ("last year's Q3", SUN, "2025-07-01/2025-09-30"),
    ("this year's Q1", SUN, "2026-01-01/2026-03-31"),
    ("last year's March", SUN, "2025-03-01/2025-03-31"),
    ("2025's Q4", SUN, "2025-10-01/2025-12-31"),
    ("last year's Q3", MAR31, "2025-07-01/2025-09-30"),
    ("Q3 last year", JAN1, "2026-07-01/2026-09-30"),
    # -- fiscal calendars are the company's own: no dates without them
    ("fiscal Q2", SUN, None),
    ("FY Q3", SUN, None),
    ("fiscal year", SUN, None),
    ("this fiscal year", SUN, None),
    ("the last 3 fiscal quarters", SUN, None),
    ("our financial year", SUN, None),
    ("FY2025", SUN, None),
    ("FY26", SUN, None),
    ("fiscal 2025", SUN, None),
    ("Q3 FY2026", SUN, None),
    ("Q3 of last fiscal year", SUN, None),
    # -- explicit dates and ranges
    ("2026-03-01", SUN, "2026-03-01/2026-03-01"),
    ("March 3", SUN, "2026-03-03/2026-03-03"),
    ("3 March 2026", SUN, "2026-03-03/2026-03-03"),
    ("the 3rd of March", SUN, "2026-03-03/2026-03-03"),
    ("3/3/2026", SUN, "2026-03-03/2026-03-03"),
    ("11/22/2026", SUN, "2026-11-22/2026-11-22"),
    ("22/11/2026", SUN, "2026-11-22/2026-11-22"),
    ("3/4/2026", SUN, None),  # March 4 or 3 April
    ("from March to May", SUN, "2026-03-01/2026-05-31"),
    ("between 1 and 15 March", SUN, "2026-03-01/2026-03-15"),
    ("March 1 - March 15", SUN, "2026-03-01/2026-03-15"),
    ("March 1-15", SUN, "2026-03-01/2026-03-15"),
    ("Jan-Mar", SUN, "2026-01-01/2026-03-31"),
    ("Q1-Q3", SUN, "2026-01-01/2026-09-30"),
    ("from Q1 2025 to Q2 2026", SUN, "2025-01-01/2026-06-30"),
    ("since 2026-03-01", SUN, "2026-03-01/2026-11-22"),
    ("until March", SUN, "..2026-03-31"),
    ("before March", SUN, "..2026-02-28"),
    ("the first week of March", SUN, "2026-03-01/2026-03-07"),
    ("the last week of December", SUN, "2025-12-25/2025-12-31"),
    ("early March", SUN, "2026-03-01/2026-03-10"),
    ("mid-2025", SUN, "2025-05-01/2025-08-31"),
    ("late last year", SUN, "2025-09-01/2025-12-31"),
    # -- named days: the most recent past occurrence
    ("since Black Friday", SUN, "2025-11-28/2026-11-22"),
    ("Black Friday", SUN, "2025-11-28/2025-11-28"),
    ("on Black Friday", SUN, "2025-11-28/2025-11-28"),
    ("Black Friday 2026", SUN, "2026-11-27/2026-11-27"),
    ("Black Friday weekend", SUN, "2025-11-28/2025-11-30"),
    ("the week of Black Friday", SUN, "2025-11-24/2025-11-30"),
    ("black friday to cyber monday", SUN, "2025-11-28/2025-12-01"),
    ("Cyber Monday", SUN, "2025-12-01/2025-12-01"),
    ("Thanksgiving", SUN, "2025-11-27/2025-11-27"),
    ("Christmas", SUN, "2025-12-25/2025-12-25"),
    ("Christmas Eve", SUN, "2025-12-24/2025-12-24"),
    ("Boxing Day", SUN, "2025-12-26/2025-12-26"),
    ("New Year's Day", SUN, "2026-01-01/2026-01-01"),
    ("Valentine's Day", SUN, "2026-02-14/2026-02-14"),
    ("Easter", SUN, "2026-04-05/2026-04-05"),
    ("Halloween", SUN, "2026-10-31/2026-10-31"),
    ("Mother's Day", SUN, "2026-05-10/2026-05-10"),
    ("Labor Day", SUN, "2026-09-07/2026-09-07"),
    ("the Saturday before Christmas", SUN, "2025-12-20/2025-12-20"),
    ("the Monday after Black Friday", SUN, "2025-12-01/2025-12-01"),
    # -- the holiday season: 1 November to 31 December, the most recent that has started
    ("holiday season", SUN, "2026-11-01/2026-12-31"),
    ("over the holidays", SUN, "2026-11-01/2026-12-31"),
    ("the holidays", SUN, "2026-11-01/2026-12-31"),
    ("holiday shopping season", SUN, "2026-11-01/2026-12-31"),
    ("the festive season", SUN, "2026-11-01/2026-12-31"),
    ("last holiday season", SUN, "2025-11-01/2025-12-31"),
    ("this holiday season", SUN, "2026-11-01/2026-11-22"),
    ("over the holidays last year", SUN, "2025-11-01/2025-12-31"),
    ("holiday season 2025", SUN, "2025-11-01/2025-12-31"),
    ("last year's holiday season", SUN, "2025-11-01/2025-12-31"),
    ("holiday season", MAR31, "2025-11-01/2025-12-31"),
    ("the holidays", JAN1, "2026-11-01/2026-12-31"),
    ("the holidays", date(2026, 10, 31), "2025-11-01/2025-12-31"),
    # -- seasons (meteorological, northern hemisphere)
    ("last spring", SUN, "2026-03-01/2026-05-31"),
    ("in spring 2026", SUN, "2026-03-01/2026-05-31"),
    ("this summer", SUN, "2026-06-01/2026-08-31"),
    ("last winter", SUN, "2025-12-01/2026-02-28"),
    # -- periods nobody can date from the words: the parser asks
    ("Prime Day", SUN, None),
    ("since launch", SUN, None),
    ("since the campaign started", SUN, None),
    ("the period we discussed", SUN, None),
    ("last sprint", SUN, None),
    ("the last sprint", SUN, None),
    ("peak season", SUN, None),
    ("busy season", SUN, None),
    ("the off-season", SUN, None),
    ("during slow season", SUN, None),
    ("since the relaunch", SUN, None),
    ("since the Product Hunt launch", SUN, None),
    ("since the core update", SUN, None),
    ("around the launch", SUN, None),
    ("after the redesign", SUN, None),
    ("before the rebrand", SUN, None),
    ("Q5", SUN, None),
    ("month 13", SUN, None),
    ("the 31st of February", SUN, None),
    ("February 30", SUN, None),
    ("the last few weeks", SUN, None),
    # -- a Monday
    ("this week", MON, "2026-11-23/2026-11-23"),
    ("last week", MON, "2026-11-16/2026-11-22"),
    ("last weekend", MON, "2026-11-21/2026-11-22"),
    ("this weekend", MON, "2026-11-21/2026-11-22"),  # the coming one is not known yet
    ("Monday", MON, "2026-11-23/2026-11-23"),
    ("last Monday", MON, "2026-11-16/2026-11-16"),
    ("since Monday", MON, "2026-11-23/2026-11-23"),
    ("last 7 days", MON, "2026-11-17/2026-11-23"),
    ("past week", MON, "2026-11-17/2026-11-23"),
    # -- a month end (a Saturday)
    ("last month", JAN31, "2025-12-01/2025-12-31"),
    ("this month", JAN31, "2026-01-01/2026-01-31"),
    ("last 6 months", JAN31, "2025-07-31/2026-01-31"),
    ("past month", JAN31, "2025-12-31/2026-01-31"),
    ("last quarter", JAN31, "2025-10-01/2025-12-31"),
    ("this week", JAN31, "2026-01-26/2026-01-31"),
    ("this weekend", JAN31, "2026-01-31/2026-01-31"),
    ("February", JAN31, "2025-02-01/2025-02-28"),
    ("January", JAN31, "2026-01-01/2026-01-31"),
    ("Q1", JAN31, "2026-01-01/2026-03-31"),
    ("Q4", JAN31, "2025-10-01/2025-12-31"),
    ("since Black Friday", JAN31, "2025-11-28/2026-01-31"),
    ("New Year", JAN31, "2026-01-01/2026-01-01"),
    ("this winter", JAN31, "2025-12-01/2026-01-31"),
    ("last winter", JAN31, "2024-12-01/2025-02-28"),
    ("since the start of the year", JAN31, "2026-01-01/2026-01-31"),
    # -- a month and quarter end (a Tuesday)
    ("last month", MAR31, "2026-02-01/2026-02-28"),
    ("past month", MAR31, "2026-02-28/2026-03-31"),
    ("last 6 months", MAR31, "2025-09-30/2026-03-31"),
    ("last 3 months", MAR31, "2025-12-31/2026-03-31"),
    ("this quarter", MAR31, "2026-01-01/2026-03-31"),
    ("last quarter", MAR31, "2025-10-01/2025-12-31"),
    ("Q2", MAR31, "2025-04-01/2025-06-30"),
    ("April", MAR31, "2025-04-01/2025-04-30"),
    ("this spring", MAR31, "2026-03-01/2026-03-31"),
    ("last spring", MAR31, "2025-03-01/2025-05-31"),
    ("Easter", MAR31, "2025-04-20/2025-04-20"),
    ("the last week of February", MAR31, "2026-02-22/2026-02-28"),
    ("this week", MAR31, "2026-03-30/2026-03-31"),
    # -- the year end (a Thursday)
    ("this year", DEC31, "2026-01-01/2026-12-31"),
    ("this quarter", DEC31, "2026-10-01/2026-12-31"),
    ("December", DEC31, "2026-12-01/2026-12-31"),
    ("Christmas", DEC31, "2026-12-25/2026-12-25"),
    ("last Christmas", DEC31, "2026-12-25/2026-12-25"),
    ("since Black Friday", DEC31, "2026-11-27/2026-12-31"),
    ("this week", DEC31, "2026-12-28/2026-12-31"),
    ("last week", DEC31, "2026-12-21/2026-12-27"),
    ("week 53", DEC31, "2026-12-28/2027-01-03"),
    ("last 12 months", DEC31, "2025-12-31/2026-12-31"),
    ("during winter", DEC31, "2026-12-01/2027-02-28"),
    # -- the year start (a Friday)
    ("last month", JAN1, "2026-12-01/2026-12-31"),
    ("last year", JAN1, "2026-01-01/2026-12-31"),
    ("this year", JAN1, "2027-01-01/2027-01-01"),
    ("YTD", JAN1, "2027-01-01/2027-01-01"),
    ("last quarter", JAN1, "2026-10-01/2026-12-31"),
    ("this week", JAN1, "2026-12-28/2027-01-01"),
    ("last weekend", JAN1, "2026-12-26/2026-12-27"),
    ("December", JAN1, "2026-12-01/2026-12-31"),
    ("Q1", JAN1, "2027-01-01/2027-03-31"),
    ("2026", JAN1, "2026-01-01/2026-12-31"),
    ("New Year's Day", JAN1, "2027-01-01/2027-01-01"),
    ("last 6 months", JAN1, "2026-07-01/2027-01-01"),
    ("the last 7 days", JAN1, "2026-12-26/2027-01-01"),
    # -- a leap day (a Tuesday)
    ("February", LEAP, "2028-02-01/2028-02-29"),
    ("Feb 29", LEAP, "2028-02-29/2028-02-29"),
    ("this month", LEAP, "2028-02-01/2028-02-29"),
    ("past year", LEAP, "2027-02-28/2028-02-29"),
    ("last 365 days", LEAP, "2027-03-02/2028-02-29"),
    ("last 6 months", LEAP, "2027-08-29/2028-02-29"),
    ("March", LEAP, "2027-03-01/2027-03-31"),
    ("the last week of February", LEAP, "2028-02-23/2028-02-29"),
    # -- the day after a leap day (a Friday)
    ("last month", MAR1_24, "2024-02-01/2024-02-29"),
    ("Feb 29", MAR1_24, "2024-02-29/2024-02-29"),
    ("yesterday", MAR1_24, "2024-02-29/2024-02-29"),
    ("past month", MAR1_24, "2024-02-01/2024-03-01"),
    ("last 30 days", MAR1_24, "2024-02-01/2024-03-01"),
    ("this month", MAR1_24, "2024-03-01/2024-03-01"),
    ("this winter", MAR1_24, "2023-12-01/2024-02-29"),
    ("Easter", MAR1_24, "2023-04-09/2023-04-09"),
]


def _iso(found: FoundPeriod) -> str | None:
    period = found.period
    assert period is not None
    if period.start is None and period.end is not None:
        return f"..{period.end.isoformat()}"
    return period.iso


@pytest.mark.parametrize(("phrase", "today", "expected"), TABLE)
def test_phrase_table(phrase: str, today: date, expected: str | None) -> None:
    (found,) = find_periods(phrase, today)
    assert found.role == "range"
    assert found.span == (0, len(phrase)), "the whole phrase is the period"
    assert _iso(found) == expected
    if expected is None:
        with pytest.raises(ConfigError):
            resolve_period(phrase, today)
    else:
        period = resolve_period(phrase, today)
        assert (period.start, period.end) == (found.period.start, found.period.end)


# (question, [(text, iso, role), ...]) at the examples' day, SUN.
QUESTIONS: list[tuple[str, list[tuple[str, str | None, str]]]] = [
    # from ../shared/nlq/examples.jsonl
    ("What are the top three paths people who buy our products take through our website?", []),
    (
        "newsletter signups this month — what did those people browse beforehand?",
        [("this month", "2026-11-01/2026-11-22", "range")],
    ),
    (
        "Funnel from pricing page view to checkout to purchase, last 14 days",
        [("last 14 days", "2026-11-09/2026-11-22", "range")],
    ),
    ("How did the Facebook spring campaign contribute to closed deals?", []),
    (
        "how much pipeline can we attribute to trade-show events in 2026?",
        [("2026", "2026-01-01/2026-12-31", "range")],
    ),
    (
        "Give me a day-by-day count of new registrations over the past fortnight",
        [("over the past fortnight", "2026-11-09/2026-11-22", "range")],
    ),
    ("Page views per week since July", [("since July", "2026-07-01/2026-11-22", "range")]),
    (
        "30-day retention for users who joined in October",
        [("30-day", None, "window"), ("October", "2026-10-01/2026-10-31", "range")],
    ),
    (
        "What fraction of buyers place another order within 60 days?",
        [("within 60 days", None, "window")],
    ),
    ("Top 5 members by reach in the Discord server", []),
    ("Where would an extra $10k of ad spend have the most impact?", []),
    ("Show the full activity log for customer 10577", []),
    (
        "last-touch credit for purchases by source, this month",
        [("this month", "2026-11-01/2026-11-22", "range")],
    ),
    ("And how about the second one?", []),
    # comparisons
    (
        "Revenue this month vs last month",
        [
            ("this month", "2026-11-01/2026-11-22", "range"),
            ("last month", "2026-10-01/2026-10-31", "compare"),
        ],
    ),
    (
        "signups in October compared with the previous month",
        [
            ("October", "2026-10-01/2026-10-31", "range"),
            ("the previous month", "2026-09-01/2026-09-30", "compare"),
        ],
    ),
    (
        "Did Q3 bring more leads than Q2?",
        [("Q3", "2026-07-01/2026-09-30", "range"), ("Q2", "2026-04-01/2026-06-30", "compare")],
    ),
    (
        "Compare March and April revenue",
        [
            ("March", "2026-03-01/2026-03-31", "range"),
            ("April", "2026-04-01/2026-04-30", "compare"),
        ],
    ),
    (
        "the difference between Q2 and Q3 in conversion rate",
        [("Q2", "2026-04-01/2026-06-30", "range"), ("Q3", "2026-07-01/2026-09-30", "compare")],
    ),
    (
        "orders this quarter versus the same period last year",
        [
            ("this quarter", "2026-10-01/2026-11-22", "range"),
            ("the same period last year", "2025-10-01/2025-11-22", "compare"),
        ],
    ),
    (
        "orders in the last 7 days against the previous 7 days",
        [
            ("the last 7 days", "2026-11-16/2026-11-22", "range"),
            ("the previous 7 days", "2026-11-09/2026-11-15", "compare"),
        ],
    ),
    # "X over X" says how a series is read (a granularity), not a second period
    (
        "weekly signups last month, week over week",
        [("last month", "2026-10-01/2026-10-31", "range")],
    ),
    ("signups week over week", []),
    ("signups month-over-month", []),
    ("revenue YoY", []),
    ("WoW change in sessions", []),
    ("Show conversions MoM for 2025", [("2025", "2025-01-01/2025-12-31", "range")]),
    ("QoQ pipeline for last quarter", [("last quarter", "2026-07-01/2026-09-30", "range")]),
    # a year after the name, compared
    (
        "How did conversion rate trend across 2025 H2 compared with 2025 H1?",
        [
            ("2025 H2", "2025-07-01/2025-12-31", "range"),
            ("2025 H1", "2025-01-01/2025-06-30", "compare"),
        ],
    ),
    (
        "total revenue in 2025 compared with 2024",
        [
            ("2025", "2025-01-01/2025-12-31", "range"),
            ("2024", "2024-01-01/2024-12-31", "compare"),
        ],
    ),
    (
        "revenue 2025 vs 2024",
        [
            ("2025", "2025-01-01/2025-12-31", "range"),
            ("2024", "2024-01-01/2024-12-31", "compare"),
        ],
    ),
    (
        "Q3 of this year vs last year's Q3",
        [
            ("Q3 of this year", "2026-07-01/2026-09-30", "range"),
            ("last year's Q3", "2025-07-01/2025-09-30", "compare"),
        ],
    ),
    # the same unit just before the time range
    (
        "How many visits did we get on Saturday compared with the Saturday before?",
        [
            ("Saturday", "2026-11-21/2026-11-21", "range"),
            ("the Saturday before", "2026-11-14/2026-11-14", "compare"),
        ],
    ),
    (
        "signups last week vs the week before",
        [
            ("last week", "2026-11-09/2026-11-15", "range"),
            ("the week before", "2026-11-02/2026-11-08", "compare"),
        ],
    ),
    (
        "AOV last month vs the month before?",
        [
            ("last month", "2026-10-01/2026-10-31", "range"),
            ("the month before", "2026-09-01/2026-09-30", "compare"),
        ],
    ),
    (
        "visits on Saturday vs the week before",  # not a calendar week: the 7 days before
        [
            ("Saturday", "2026-11-21/2026-11-21", "range"),
            ("the week before", "2026-11-14/2026-11-20", "compare"),
        ],
    ),
    (
        "signups in March vs the March before",
        [
            ("March", "2026-03-01/2026-03-31", "range"),
            ("the March before", "2025-03-01/2025-03-31", "compare"),
        ],
    ),
    # "from" alone: the period, not everything since
    ("customers from last month", [("last month", "2026-10-01/2026-10-31", "range")]),
    (
        "revenue from last month to this month",
        [("from last month to this month", "2026-10-01/2026-11-22", "range")],
    ),
    ("revenue vs the same period last year", [("the same period last year", None, "compare")]),
    # windows are never the time range
    (
        "users who installed in Q3 and purchased within 7 days",
        [("Q3", "2026-07-01/2026-09-30", "range"), ("within 7 days", None, "window")],
    ),
    ("share of people who buy 30 days after install", [("30 days after", None, "window")]),
    ("How many return 2 weeks after signup?", [("2 weeks after", None, "window")]),
    ("churn in the first week", [("the first week", None, "window")]),
    ("D30 retention by channel", [("D30", None, "window")]),
    (
        "week 2 retention for the March cohort",
        [("week 2", None, "window"), ("March", "2026-03-01/2026-03-31", "range")],
    ),
    # periods next to other periods
    (
        "traffic in the week after Black Friday",
        [("the week after Black Friday", "2025-11-29/2025-12-05", "range")],
    ),
    (
        "signups in the week of Nov 9",
        [("the week of Nov 9", "2026-11-09/2026-11-15", "range")],
    ),
    (
        "sales since the 1st of the month",
        [("since the 1st of the month", "2026-11-01/2026-11-22", "range")],
    ),
    ("the 15th of last month", [("the 15th of last month", "2026-10-15/2026-10-15", "range")]),
    ("in the last couple months", [("the last couple months", "2026-09-22/2026-11-22", "range")]),
    ("from March to the June newsletter", [("March", "2026-03-01/2026-03-31", "range")]),
    # campaign names and other words that are not periods
    ("since the Black Friday campaign", []),
    ("what do people do after the first purchase", []),
    ("How did the Black Friday campaign do", []),
    ("Valentine's promo performance", []),
    ("results of the spring sale", []),
    ("the Q4 push", []),
    ("Which channel brought 2000 customers?", []),
    ("What did customer 2024 buy?", []),
    ("people who bought twice a week", []),
    ("page views on the 3rd step", []),
    ("what may have caused the drop", []),
    ("Compare March revenue by channel", [("March", "2026-03-01/2026-03-31", "range")]),
    ("Revenue for last season, please", [("last season", None, "range")]),
    ("What was marketing spend in fiscal Q2?", [("fiscal Q2", None, "range")]),
    ("signups over peak season", [("over peak season", None, "range")]),
    (
        "daily signups since the Product Hunt launch",
        [("since the Product Hunt launch", None, "range")],
    ),  # fmt: skip
    (
        "could you send the numbers for the period we discussed on Tuesday's call?",
        [("the period we discussed", None, "range")],  # Tuesday dates the call
    ),
    (
        "How does retention for the September signup cohort compare to August's?",
        [
            ("September", "2026-09-01/2026-09-30", "range"),
            ("August", "2026-08-01/2026-08-31", "compare"),
        ],
    ),
    (
        "revenue per recipient for last year's Black Friday emails",
        [("last year", "2025-01-01/2025-12-31", "range")],
    ),
    ("the holidays campaign", []),
    # a time to come is no period of data
    ("Pause all TikTok ads until Monday", []),
    ("what should we do to boost repeat purchases before Christmas?", []),
    ("How should we split next quarter's budget?", []),
    (
        "How much did we make from the newsletter in Q3 last year?",
        [("Q3 last year", "2025-07-01/2025-09-30", "range")],
    ),
    (
        "conversion rate across 2025 H2 compared with 2025 H1",
        [
            ("2025 H2", "2025-07-01/2025-12-31", "range"),
            ("2025 H1", "2025-01-01/2025-06-30", "compare"),
        ],
    ),
    ("did signups fall last month", [("last month", "2026-10-01/2026-10-31", "range")]),
    ("top 10 campaigns by revenue in May", [("May", "2026-05-01/2026-05-31", "range")]),
]


@pytest.mark.parametrize(("question", "expected"), QUESTIONS, ids=[q for q, _ in QUESTIONS])
def test_questions(question: str, expected: list[tuple[str, str | None, str]]) -> None:
    found = find_periods(question, SUN)
    got = [(f.text, f.period.iso if f.period else None, f.role) for f in found]
    assert got == expected
    for f in found:
        assert f.text in question[f.span[0] : f.span[1]], "the text is among the words used"


def test_spans_cover_the_words_used() -> None:
    question = "How many orders came in during March vs. the same month last year?"
    first, second = find_periods(question, SUN)
    assert question[slice(*first.span)] == "during March"
    assert first.text == "March"
    assert question[slice(*second.span)] == "vs. the same month last year"
    assert second.text == "the same month last year"
    assert second.period is not None and second.period.iso == "2025-03-01/2025-03-31"


def test_comparisons_are_placed_against_the_range() -> None:
    # a whole month a year back keeps its last day, leap or not
    _, back = find_periods("February vs the same month last year", date(2029, 3, 10))
    assert back.period is not None and back.period.iso == "2028-02-01/2028-02-29"
    # the previous period of a whole quarter is the quarter before; of 10 days, the 10 before
    _, before = find_periods("Q3 2026 vs the previous period", SUN)
    assert before.period is not None and before.period.iso == "2026-04-01/2026-06-30"
    _, before = find_periods("1-10 November vs the previous period", SUN)
    assert before.period is not None and before.period.iso == "2026-10-22/2026-10-31"
    # a recurring name "before": its occurrence just before the range; with no range, before
    # today (as "the month before" alone is last month)
    _, earlier = find_periods("Black Friday vs the Black Friday before", SUN)
    assert earlier.period is not None and earlier.period.iso == "2024-11-29/2024-11-29"
    (alone,) = find_periods("signups compared with the Saturday before", SUN)
    assert alone.period is not None and alone.period.iso == "2026-11-21/2026-11-21"
    (alone,) = find_periods("signups compared with the month before", SUN)
    assert alone.period is not None and alone.period.iso == "2026-10-01/2026-10-31"


def test_window_days() -> None:
    cases = {
        "within 60 days": 60,
        "30-day retention": 30,
        "2 weeks after signup": 14,
        "within a week": 7,
        "in the first 30 days": 30,
        "seven-day retention": 7,
        "within two months of signup": 60,
    }
    for phrase, days in cases.items():
        (found,) = find_periods(phrase, SUN)
        assert (found.role, found.days, found.period) == ("window", days, None), phrase


def test_until_has_an_open_start() -> None:
    period = resolve_period("until March", SUN)
    assert (period.start, period.end) == (None, date(2026, 3, 31))
    assert not period.resolved


@pytest.mark.parametrize(
    "text",
    [
        "revenue",
        "within 7 days",
        "the same period last year",
        "the Saturday before",
        "Q5",
        "fiscal Q2",
        "top 3",
        "",
        "week over week",
        "next quarter",
    ],
)
def test_resolve_period_refuses_what_is_not_one_period(text: str) -> None:
    with pytest.raises(ConfigError) as err:
        resolve_period(text, SUN)
    assert err.value.hint


def test_keywords_do_not_take_the_names_of_word_classes() -> None:
    # lark names the keyword "compare" COMPARE: it would silently become the class of "vs"
    from wayfinder.ask.dates import _parser

    grammar = (Path(dates.__file__).parent / "dates.lark").read_text("utf-8")
    declared = {
        name
        for line in grammar.splitlines()
        if line.startswith("%declare")
        for name in line.split()[1:]
    }
    keywords = _parser()[1]
    assert declared and not declared & set(keywords.values())


def test_grammar_ships_as_package_data() -> None:
    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text("utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["wayfinder"]
    assert any(fnmatch("ask/dates.lark", p) for p in patterns)


# ---- properties ------------------------------------------------------------------------------

days = st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31))


@given(n=st.integers(1, 400), today=days)
def test_rolling_days_have_n_days_ending_today(n: int, today: date) -> None:
    period = resolve_period(f"last {n} days", today)
    assert period.end == today
    assert period.start == today - timedelta(days=n - 1)


@given(month=st.sampled_from("January February March April May June July August September "
                             "October November December".split()), today=days)  # fmt: skip
def test_bare_months_never_start_after_today(month: str, today: date) -> None:
    period = resolve_period(f"in {month}", today)
    assert period.start is not None and period.end is not None
    assert period.start <= today
    assert period.start.day == 1 and (period.end + timedelta(days=1)).day == 1
    assert today - period.start < timedelta(days=366), "the most recent one"


NAMED = [
    p.strip()
    for p in """Q1, Q2, Q3, Q4, H1, H2, YTD, MTD, QTD, last spring, this summer, this winter,
    Black Friday, since Black Friday, Easter, Feb 29, the 31st, since the 15th, Jan-Mar, Nov-Feb,
    from March to May, early December, the last week of February, the first half of last year,
    week 53, last Monday, this weekend, Labor Day weekend, March 1-15, between 10 and 20 December,
    since 3 weeks ago, the month before last, Christmas week, late Q4""".split(",")
]
PHRASES = st.one_of(
    st.builds(
        lambda rel, n, unit: f"{rel} {n} {unit}",
        st.sampled_from(["last", "past", "the previous", "the last", "trailing"]),
        st.integers(1, 30),
        st.sampled_from(["days", "weeks", "months", "quarters", "years", "full months", "hours"]),
    ),
    st.builds(
        lambda rel, unit: f"{rel} {unit}",
        st.sampled_from(["last", "this", "past", "previous", "next"]),
        st.sampled_from(["day", "week", "weekend", "fortnight", "month", "quarter", "year"]),
    ),
    st.sampled_from(NAMED),
)


@given(phrase=PHRASES, today=days)
def test_resolved_periods_are_ordered(phrase: str, today: date) -> None:
    for found in find_periods(phrase, today):
        if found.period is not None and found.period.resolved:
            assert found.period.start <= found.period.end, phrase


WEEKDAY_NAMES = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()


@given(weekday=st.integers(0, 6), today=days)
def test_a_weekday_before_is_a_week_earlier(weekday: int, today: date) -> None:
    name = WEEKDAY_NAMES[weekday]
    day, before = find_periods(f"visits on {name} compared with the {name} before", today)
    assert day.period is not None and day.period.start is not None
    assert day.period.start.weekday() == weekday and 0 <= (today - day.period.start).days < 7
    assert before.role == "compare" and before.period is not None
    assert before.period.start == before.period.end == day.period.start - timedelta(days=7)


@given(n=st.integers(1, 36), today=days)
def test_rolling_months_start_on_the_same_day(n: int, today: date) -> None:
    period = resolve_period(f"past {n} months", today)
    assert period.end == today
    months = (today.year - period.start.year) * 12 + today.month - period.start.month
    assert months == n
    assert period.start.day == today.day or period.start.day < today.day  # clamped at month end
