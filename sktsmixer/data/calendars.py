"""Business calendars: series observed only in opening hours and on some weekdays.

A call centre open 07:00-21:00 on weekdays has no rows at night or at the
weekend. On a continuous clock every night and weekend would be a gap of
missing rows, windows would be cut by them, and a forecast made at 21:00
would continue at 21:05. On its *session calendar* the same series is
regular: the day is its ``slots_per_day`` session slots, the week its
session days, and the step after Friday 21:00 is Monday 07:00.

The grid position of a timestamp on a :class:`SessionCalendar` is
``session-day index * slots_per_day + slot index``: the session days are
counted with :func:`numpy.busday_count` on the calendar's weekdays, so the
positions of consecutive session slots differ by exactly one.

``TSMixerRegressor(calendar="auto")`` infers the calendar in ``fit`` with
:func:`infer_calendar` (narrowly, so regular data keeps its continuous
clock) and reports it as ``calendar_``. A holiday (a whole session day
missing) and a missing row inside a session remain gaps on the calendar,
as a missing row is on a continuous clock. Timestamps are read as wall
clock times (a time zone's local time), so sessions keep their opening
hours across daylight saving changes.
"""

import numpy as np
import pandas as pd

from sktsmixer.data.scaling import CHUNK_ROWS
from sktsmixer.data.seasonality import MAX_INPUT_SIZE

__all__ = [
    "MIN_COVERAGE",
    "SessionCalendar",
    "infer_calendar",
    "session_calendar",
    "session_positions",
]

# Share of the session slots (between the first and the last row of every
# series) that the rows must fill for a calendar to be inferred: below it the
# data is not on one regular session pattern, and the continuous clock stays.
MIN_COVERAGE = 0.9
# Closures (nights crossed, closed weekdays inside the data's span) the data
# must show before they are taken as closures rather than as its edges.
MIN_CLOSURES = 2
_DAY = pd.Timedelta(1, "D")
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# Session days are counted from this date; any fixed date would do.
_EPOCH = np.datetime64("1970-01-01", "D")


class SessionCalendar:
    """Time slots of a session repeated on some weekdays: a business calendar.

    Parameters
    ----------
    step : str or Timedelta
        Step between two slots of a session (``"5min"``, ``"1h"``, or
        ``"1D"`` for daily data on business days).
    first : str or Timedelta, default="00:00"
        Time of day of the first slot of a session.
    last : str, Timedelta or None, default=None
        Time of day of the last slot of a session, included (the data of a
        call centre open 07:00-21:00 has rows at 07:00 and at 21:00). None
        means the session is the single slot at ``first`` (daily data).
    weekdays : sequence of int, default=(0, 1, 2, 3, 4)
        Days with a session, 0 = Monday ... 6 = Sunday.

    Attributes
    ----------
    slots_per_day : int
        Slots in one session.

    Examples
    --------
    >>> calendar = SessionCalendar("5min", "07:00", "21:00")
    >>> calendar
    SessionCalendar(step='5min', first='07:00', last='21:00', weekdays=Mon-Fri)
    >>> calendar.slots_per_day
    169
    >>> friday = pd.Timestamp("2024-03-01 20:55")
    >>> calendar.range(friday, 4).strftime("%a %H:%M").tolist()
    ['Fri 20:55', 'Fri 21:00', 'Mon 07:00', 'Mon 07:05']
    """

    def __init__(self, step, first="00:00", last=None, weekdays=(0, 1, 2, 3, 4)):
        self.step = pd.Timedelta(step)
        self.first = _time_of_day(first, "first")
        self.last = self.first if last is None else _time_of_day(last, "last")
        self.weekdays = tuple(sorted({int(d) for d in weekdays}))
        if self.step <= pd.Timedelta(0) or self.step > _DAY or _DAY % self.step:
            raise ValueError(
                f"SessionCalendar step must divide a day (e.g. '5min', '1h', '1D'); got "
                f"{self.step}."
            )
        if self.last < self.first or (self.last - self.first) % self.step:
            raise ValueError(
                f"SessionCalendar last={self.last} must be a whole number of steps "
                f"({self.step}) after first={self.first}."
            )
        if not self.weekdays or not set(self.weekdays) <= set(range(7)):
            raise ValueError(
                f"SessionCalendar weekdays must be days 0 (Monday) to 6 (Sunday); got {weekdays!r}."
            )
        self.slots_per_day = int((self.last - self.first) // self.step) + 1

    @property
    def weekmask(self):
        """The weekdays as a numpy busday weekmask (``"1111100"`` for Mon-Fri)."""
        return "".join("1" if d in self.weekdays else "0" for d in range(7))

    def __repr__(self):
        return (
            f"SessionCalendar(step={_freq(self.step)!r}, first={_clock(self.first)!r}, "
            f"last={_clock(self.last)!r}, weekdays={_day_names(self.weekdays)})"
        )

    def _key(self):
        return (self.step, self.first, self.last, self.weekdays)

    def __eq__(self, other):
        return isinstance(other, SessionCalendar) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def season_lengths(self):
        """The seasonal period and longest useful cycle, in session slots.

        A session for intraday data (with a cycle of a week of sessions,
        capped at the longest window), a week of session days for daily data.
        """
        per_day, days = self.slots_per_day, len(self.weekdays)
        if per_day == 1:
            return days, 4 * days
        return per_day, max(min(days * per_day, MAX_INPUT_SIZE), per_day)

    def positions(self, times, what="X"):
        """Grid positions (int64) of timestamps on the calendar.

        Raises ``ValueError`` naming the first timestamp off the calendar.
        """
        wall, _ = _wall_clock(times)
        ns = wall.as_unit("ns").asi8
        day_ns = _DAY.value
        days = np.floor_divide(ns, day_ns)
        since = ns - days * day_ns - self.first.value
        slot = np.floor_divide(since, self.step.value)
        dates = days.astype("datetime64[D]")
        off = (
            (since % self.step.value != 0)
            | (slot < 0)
            | (slot >= self.slots_per_day)
            | ~np.is_busday(dates, weekmask=self.weekmask)
        )
        if off.any():
            raise ValueError(
                f"{what} has rows off its session calendar {self!r}, the first at "
                f"{times[int(np.argmax(off))]}. Drop those rows, or set calendar=None to lay "
                "the data on a continuous clock (calendar='auto' infers the calendar anew "
                "in fit)."
            )
        count = np.busday_count(_EPOCH, dates, weekmask=self.weekmask)
        return count.astype(np.int64) * self.slots_per_day + slot

    def labels(self, positions, tz=None):
        """Timestamps of grid ``positions`` (the inverse of :meth:`positions`)."""
        positions = np.asarray(positions, dtype=np.int64)
        days, slot = np.divmod(positions, self.slots_per_day)
        dates = np.busday_offset(_EPOCH, days, roll="forward", weekmask=self.weekmask)
        wall = (
            dates.astype("datetime64[ns]")
            + np.timedelta64(self.first.value, "ns")
            + slot * np.timedelta64(self.step.value, "ns")
        )
        times = pd.DatetimeIndex(wall)
        if tz is not None:
            # Sessions are local times: a slot in an hour skipped by daylight
            # saving moves forward, one in an hour repeated is its first.
            first = np.ones(len(times), dtype=bool)
            times = times.tz_localize(tz, ambiguous=first, nonexistent="shift_forward")
        return times

    def range(self, start, periods, shift=0):
        """``periods`` slots of the calendar from ``shift`` slots after ``start``."""
        origin = self.positions(pd.DatetimeIndex([start]), "The start")[0]
        return self.labels(origin + shift + np.arange(periods), _wall_clock([start])[1])

    def continued(self, starts, periods):
        """``periods`` slots from each of ``starts``, one flat DatetimeIndex."""
        starts = pd.DatetimeIndex(starts)
        origin = self.positions(starts, "The start")
        grid = (origin[:, None] + np.arange(periods)).ravel()
        return self.labels(grid, starts.tz)


def infer_calendar(ticks, step, first=None, last=None):
    """The session calendar of timestamps, or None when none fits.

    Parameters
    ----------
    ticks : ndarray of int64
        Wall clock times (local times) in nanoseconds of all rows, in any
        order.
    step : Timedelta
        The smallest step between two rows of a series.
    first, last : ndarray of int or None, default=None
        Positions in ``ticks`` of the first and last row of every series
        (None: one series, from the earliest to the latest row).

    Returns
    -------
    calendar : SessionCalendar or None
        A calendar only when the times of day seen form one contiguous
        block of slots, the data shows at least ``MIN_CLOSURES`` closures
        (nights crossed for a block shorter than a day; each closed weekday
        inside the span of the data), the calendar is not the continuous
        clock, and the rows fill ``MIN_COVERAGE`` of its slots. Sessions
        with a break (a lunch hour) or across midnight get None.

    Examples
    --------
    >>> days = pd.bdate_range("2024-01-01", periods=15)  # three weeks
    >>> hours = pd.to_timedelta(range(9, 18), unit="h")
    >>> times = pd.DatetimeIndex((days.values[:, None] + hours.values).ravel())
    >>> infer_calendar(times.asi8, pd.Timedelta("1h"))
    SessionCalendar(step='h', first='09:00', last='17:00', weekdays=Mon-Fri)
    """
    ticks = np.asarray(ticks, dtype=np.int64)
    step = pd.Timedelta(step)
    day_ns = _DAY.value
    if len(ticks) < 2 or step > _DAY or day_ns % step.value:
        return None
    if first is None:
        first, last = np.array([np.argmin(ticks)]), np.array([np.argmax(ticks)])
    phase = int(ticks[0] % day_ns % step.value)
    slots, days = set(), set()
    # By runs of rows: no row-sized temporaries on big panels.
    for lo in range(0, len(ticks), CHUNK_ROWS):
        chunk = ticks[lo : lo + CHUNK_ROWS]
        since = chunk % day_ns - phase
        if (since % step.value).any():
            return None
        slots.update(np.unique(since // step.value).tolist())
        days.update(np.unique(chunk // day_ns).tolist())
    slots = sorted(slots)
    if slots[-1] - slots[0] + 1 != len(slots):
        return None  # a break inside the session, or a session across midnight
    first_day, last_day = ticks[first] // day_ns, ticks[last] // day_ns
    short_day = len(slots) < day_ns // step.value
    if short_day and int((last_day - first_day).sum()) < MIN_CLOSURES:
        short_day = False  # no night seen closed: the rows may just start late
    weekdays = {(d + 3) % 7 for d in days}  # 1970-01-01 was a Thursday
    starts = first_day.astype("datetime64[D]")
    stops = (last_day + 1).astype("datetime64[D]")
    for closed in set(range(7)) - weekdays:
        mask = "".join("1" if d == closed else "0" for d in range(7))
        if int(np.busday_count(starts, stops, weekmask=mask).sum()) < MIN_CLOSURES:
            weekdays.add(closed)  # not seen closed often enough to be a closure
    if not short_day and len(weekdays) == 7:
        return None
    if not short_day:
        slots = list(range(day_ns // step.value))
    opens = pd.Timedelta(phase + slots[0] * step.value, "ns")
    calendar = SessionCalendar(step, opens, opens + (len(slots) - 1) * step, sorted(weekdays))
    try:
        span = calendar.positions(ticks[last]) - calendar.positions(ticks[first]) + 1
    except ValueError:
        return None
    if len(ticks) < MIN_COVERAGE * int(span.sum()):
        return None
    return calendar


def session_calendar(spec, times, order, bounds, kind, step):
    """The calendar ``parse_panel`` lays the rows on (None: a continuous clock).

    ``spec`` is the estimator's ``calendar``: None, "auto" or a
    :class:`SessionCalendar`; ``times`` the time labels of the rows, in
    ``X``'s order (``order`` sorts them by series; None: already sorted).
    """
    if spec is None:
        return None
    if kind != "datetime":
        if isinstance(spec, SessionCalendar):
            raise ValueError(
                f"calendar={spec!r} needs X indexed by a DatetimeIndex (or a (series, "
                "time) MultiIndex whose time level is one); set the timestamps as the index, "
                "or pass calendar=None."
            )
        return None
    if isinstance(spec, SessionCalendar):
        return spec
    if spec != "auto":
        raise ValueError(f"calendar must be 'auto', None or a SessionCalendar; got {spec!r}.")
    if not isinstance(step, pd.Timedelta):
        return None  # a calendar offset (months, business days) is its own calendar
    times = pd.DatetimeIndex(times)
    first, last = bounds[:-1], bounds[1:] - 1
    if order is not None:
        first, last = order[first], order[last]
    utc = times.as_unit("ns").asi8
    if int(((utc[last] - utc[first]) // step.value + 1).sum()) == len(utc):
        return None  # no gap on the continuous clock: nothing to infer
    wall, _ = _wall_clock(times)
    return infer_calendar(wall.as_unit("ns").asi8, step, first, last)


def session_positions(times, order, bounds, calendar, labels):
    """First label, grid position (series order) and grid length of every block."""
    ordered = pd.DatetimeIndex(_sorted(times, order))
    grid = calendar.positions(ordered)
    starts = [ordered[b] for b in bounds[:-1]]
    positions = grid - np.repeat(grid[bounds[:-1]], np.diff(bounds))
    inside = np.ones(len(grid) - 1, dtype=bool)
    inside[bounds[1:-1] - 1] = False
    bad = np.flatnonzero(inside & (np.diff(positions) <= 0))
    if len(bad):  # wall clock times repeated (a daylight saving change inside a session)
        series = labels[np.searchsorted(bounds, bad[0], side="right") - 1]
        where = "X" if series is None else f"series {series!r}"
        raise ValueError(
            f"The timestamps of {where} repeat a slot of the session calendar "
            f"{calendar!r} at {ordered[bad[0] + 1]}; drop duplicated rows, or set "
            "calendar=None."
        )
    return starts, positions, positions[bounds[1:] - 1] + 1


def _sorted(times, order):
    times = pd.Index(times)
    return times if order is None else times[order]


def _wall_clock(times):
    """Timestamps as naive wall clock times, and their time zone."""
    times = pd.DatetimeIndex(times)
    if times.tz is None:
        return times, None
    return times.tz_localize(None), times.tz


def _time_of_day(value, name):
    if isinstance(value, str) and ":" in value and not value.count(" "):
        value = value if value.count(":") == 2 else value + ":00"
    delta = pd.Timedelta(value)
    if not pd.Timedelta(0) <= delta < _DAY:
        raise ValueError(f"SessionCalendar {name} must be a time of day; got {value!r}.")
    return delta


def _freq(step):
    """The step as an alias every supported pandas reads ("5min", "1h", "30s").

    Written out here: pandas before 2.2 names minutes "T" and hours "H" in
    ``freqstr``, later ones "min" and "h".
    """
    step = pd.Timedelta(step)
    if step % pd.Timedelta(seconds=1):  # sub-second: pandas' own name
        return pd.tseries.frequencies.to_offset(step).freqstr
    seconds = int(step.total_seconds())
    for unit, size in (("h", 3600), ("min", 60), ("s", 1)):
        if seconds % size == 0:
            count = seconds // size
            return unit if count == 1 else f"{count}{unit}"


def _clock(delta):
    seconds = int(delta.total_seconds())
    text = f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"
    return text if not seconds % 60 else f"{text}:{seconds % 60:02d}"


def _day_names(days):
    days = list(days)
    if days == list(range(days[0], days[-1] + 1)) and len(days) > 2:
        return f"{_WEEKDAYS[days[0]]}-{_WEEKDAYS[days[-1]]}"
    return ",".join(_WEEKDAYS[d] for d in days)
