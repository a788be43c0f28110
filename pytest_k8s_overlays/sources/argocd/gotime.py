"""Sprig's date functions as Argo CD runs them: Go's ``time.Time``, its layouts
(``2006-01-02 15:04:05``), ``time.ParseDuration``, and ``toDate``, ``date``,
``dateInZone``, ``htmlDate``, ``dateModify``, ``durationRound``, ``unixEpoch``,
``now``, ``ago`` (Sprig v3.3.0 date.go). Argo CD's controller runs in UTC: its
``Local`` is UTC here too."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .gotemplate import TemplateError, Unsupported

UTC = dt.timezone.utc
_MONTHS = ["January February March April May June July August September October November December"][
    0
].split()
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

#: Go's layout elements, longest first where one is a prefix of another.
_TOKENS = re.compile(
    r"January|Jan|Monday|Mon|MST|2006|002|01|02|03|04|05|06|_2|15|1|2|3|4|5|PM|pm"
    r"|Z07:00:00|Z070000|Z07:00|Z0700|Z07|-07:00:00|-070000|-07:00|-0700|-07"
    r"|[.,](?:0+|9+)(?!\d)"
)


class GoTime:
    """A ``time.Time``: an aware datetime and its nanoseconds within the second."""

    def __init__(self, moment: dt.datetime, nanos: int = 0) -> None:
        self.moment = moment
        self.nanos = nanos

    def __str__(self) -> str:
        # time.Time.String: "2006-01-02 15:04:05.999999999 -0700 MST"
        return format_time(self, "2006-01-02 15:04:05.999999999 -0700 MST")

    def unix(self) -> int:
        return int((self.moment - dt.datetime(1970, 1, 1, tzinfo=UTC)).total_seconds() // 1)

    def go_method(self, name: str) -> Any:
        """``.Year``, ``.Unix``, ...: the methods without arguments that give numbers."""
        moment = self.moment
        methods: dict[str, Callable[[], int]] = {
            "Year": lambda: moment.year,
            "Day": lambda: moment.day,
            "Hour": lambda: moment.hour,
            "Minute": lambda: moment.minute,
            "Second": lambda: moment.second,
            "Nanosecond": lambda: self.nanos,
            "YearDay": lambda: moment.timetuple().tm_yday,
            "Unix": self.unix,
        }
        if name not in methods:
            raise Unsupported(f"method {name} of a time")
        return methods[name]()


ZERO = GoTime(dt.datetime(1, 1, 1, tzinfo=UTC))


def _zone_name(moment: dt.datetime) -> str:
    # A zone made from an offset has no name in Go: MST prints the offset.
    if isinstance(moment.tzinfo, dt.timezone) and moment.utcoffset():
        return _offset(moment, "-0700")
    return moment.tzname() or ""


def _offset(moment: dt.datetime, token: str) -> str:
    delta = moment.utcoffset() or dt.timedelta()
    if token.startswith("Z") and not delta:
        return "Z"
    seconds = int(delta.total_seconds())
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    body = token.lstrip("Z-")
    if body == "07":
        return f"{sign}{hours:02d}"
    if body in ("07:00", "0700"):
        sep = ":" if ":" in body else ""
        return f"{sign}{hours:02d}{sep}{minutes:02d}"
    sep = ":" if ":" in body else ""
    return f"{sign}{hours:02d}{sep}{minutes:02d}{sep}{secs:02d}"


def _element(time: GoTime, token: str) -> str:
    moment = time.moment
    hour12 = moment.hour % 12 or 12
    simple: dict[str, Callable[[], str]] = {
        "January": lambda: _MONTHS[moment.month - 1],
        "Jan": lambda: _MONTHS[moment.month - 1][:3],
        "Monday": lambda: _DAYS[moment.weekday()],
        "Mon": lambda: _DAYS[moment.weekday()][:3],
        "MST": lambda: _zone_name(moment),
        "2006": lambda: f"{moment.year:04d}",
        "06": lambda: f"{moment.year % 100:02d}",
        "01": lambda: f"{moment.month:02d}",
        "1": lambda: str(moment.month),
        "02": lambda: f"{moment.day:02d}",
        "2": lambda: str(moment.day),
        "_2": lambda: f"{moment.day:2d}",
        "002": lambda: f"{moment.timetuple().tm_yday:03d}",
        "15": lambda: f"{moment.hour:02d}",
        "03": lambda: f"{hour12:02d}",
        "3": lambda: str(hour12),
        "04": lambda: f"{moment.minute:02d}",
        "4": lambda: str(moment.minute),
        "05": lambda: f"{moment.second:02d}",
        "5": lambda: str(moment.second),
        "PM": lambda: "PM" if moment.hour >= 12 else "AM",
        "pm": lambda: "pm" if moment.hour >= 12 else "am",
    }
    if token in simple:
        return simple[token]()
    if token[0] in "Z-":
        return _offset(moment, token)
    digits = f"{time.nanos:09d}"[: len(token) - 1]
    if token[1] == "9":
        digits = digits.rstrip("0")
        return f"{token[0]}{digits}" if digits else ""
    return f"{token[0]}{digits}"


def format_time(time: GoTime, layout: str) -> str:
    """``time.Time.Format``."""
    return _TOKENS.sub(lambda m: _element(time, m.group()), layout)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class _Parser:
    """``time.Parse`` of the common layout elements."""

    def __init__(self, layout: str, value: str) -> None:
        self.layout, self.value, self.rest = layout, value, value
        self.fields: dict[str, int] = {"year": 1, "month": 1, "day": 1}
        self.pm: bool | None = None
        self.offset: int | None = None
        self.nanos = 0

    def fail(self, token: str) -> TemplateError:
        return TemplateError(
            f"parsing time {_quote(self.value)} as {_quote(self.layout)}: cannot parse "
            f"{_quote(self.rest)} as {_quote(token)}"
        )

    def number(self, token: str, low: int, high: int, width: int | None) -> int:
        match = re.match(rf"\d{{{width}}}" if width else r"\d{1,2}", self.rest)
        if token == "_2" and self.rest.startswith(" "):
            match = re.match(r" \d", self.rest)
        if token == "2006":
            match = re.match(r"\d{4}", self.rest)
        if match is None or not low <= int(match.group()) <= high:
            raise self.fail(token)
        self.rest = self.rest[match.end() :]
        return int(match.group())

    def name(self, token: str, names: list[str], short: bool) -> int:
        for index, name in enumerate(names):
            text = name[:3] if short else name
            if self.rest.lower().startswith(text.lower()):
                self.rest = self.rest[len(text) :]
                return index + 1
        raise self.fail(token)

    def element(self, token: str) -> None:
        numbers = {
            "2006": ("year", 0, 9999, 4),
            "01": ("month", 1, 12, 2),
            "1": ("month", 1, 12, None),
            "02": ("day", 1, 31, 2),
            "2": ("day", 1, 31, None),
            "_2": ("day", 1, 31, None),
            "15": ("hour", 0, 23, 2),
            "03": ("hour", 1, 12, 2),
            "3": ("hour", 1, 12, None),
            "04": ("minute", 0, 59, 2),
            "4": ("minute", 0, 59, None),
            "05": ("second", 0, 59, 2),
            "5": ("second", 0, 59, None),
        }
        if token in numbers:
            field, low, high, width = numbers[token]
            self.fields[field] = self.number(token, low, high, width)
        elif token == "06":
            year = self.number(token, 0, 99, 2)
            self.fields["year"] = year + (1900 if year >= 69 else 2000)
        elif token in ("January", "Jan"):
            self.fields["month"] = self.name(token, _MONTHS, token == "Jan")
        elif token in ("Monday", "Mon"):
            self.name(token, _DAYS, token == "Mon")
        elif token in ("PM", "pm"):
            marker = self.rest[:2].upper()
            if marker not in ("AM", "PM"):
                raise self.fail(token)
            self.pm, self.rest = marker == "PM", self.rest[2:]
        else:
            self.special(token)

    def special(self, token: str) -> None:
        if token == "MST":
            match = re.match(r"[A-Z]{3,4}|[+-]\d+", self.rest)
            if match is None:
                raise self.fail(token)
            self.rest = self.rest[match.end() :]
            if match.group() == "UTC":
                self.offset = 0
        elif token[0] in "Z-":
            if token[0] == "Z" and self.rest.startswith("Z"):
                self.rest, self.offset = self.rest[1:], 0
                return
            match = re.match(r"([+-])(\d\d):?(\d\d)?(?::?(\d\d))?", self.rest)
            if match is None:
                raise self.fail(token)
            sign = -1 if match.group(1) == "-" else 1
            hours, minutes = int(match.group(2)), int(match.group(3) or 0)
            self.offset = sign * (hours * 3600 + minutes * 60 + int(match.group(4) or 0))
            self.rest = self.rest[match.end() :]
        else:
            match = re.match(r"[.,](\d+)", self.rest)
            if match is None:
                if token[1] == "9":
                    return
                raise self.fail(token)
            self.nanos = int(match.group(1)[:9].ljust(9, "0"))
            self.rest = self.rest[match.end() :]

    def parse(self) -> GoTime:
        position = 0
        matches = list(_TOKENS.finditer(self.layout))
        for index, match in enumerate(matches):
            literal = self.layout[position : match.start()]
            if not self.rest.startswith(literal):
                raise self.fail(literal)
            self.rest = self.rest[len(literal) :]
            self.element(match.group())
            following = matches[index + 1].group() if index + 1 < len(matches) else ""
            if match.group() in ("05", "5") and following[:1] not in (".", ","):
                # Go reads a fractional second after the seconds even where the layout
                # has none (unless the layout's next element is one).
                fraction = re.match(r"[.,](\d+)", self.rest)
                if fraction is not None:
                    self.nanos = int(fraction.group(1)[:9].ljust(9, "0"))
                    self.rest = self.rest[fraction.end() :]
            position = match.end()
        literal = self.layout[position:]
        if self.rest != literal:
            if not self.rest.startswith(literal):
                raise self.fail(literal)
            raise TemplateError(
                f"parsing time {_quote(self.value)}: extra text: "
                f"{_quote(self.rest[len(literal) :])}"
            )
        return self.built()

    def built(self) -> GoTime:
        hour = self.fields.get("hour", 0)
        if self.pm is not None:
            hour = hour % 12 + (12 if self.pm else 0)
        zone = UTC if not self.offset else dt.timezone(dt.timedelta(seconds=self.offset))
        try:
            moment = dt.datetime(
                self.fields["year"],
                self.fields["month"],
                self.fields["day"],
                hour,
                self.fields.get("minute", 0),
                self.fields.get("second", 0),
                self.nanos // 1000,
                tzinfo=zone,
            )
        except ValueError:
            raise TemplateError(f"parsing time {_quote(self.value)}: day out of range") from None
        return GoTime(moment, self.nanos)


def must_to_date(layout: str, value: str) -> GoTime:
    """Sprig's ``mustToDate``: ``time.ParseInLocation`` in Local (UTC)."""
    return _Parser(layout, value).parse()


def to_date(layout: str, value: str) -> GoTime:
    """Sprig's ``toDate``: the zero time where the text does not parse."""
    try:
        return must_to_date(layout, value)
    except TemplateError:
        return ZERO


_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000, "s": 10**9}
_UNITS.update({"m": 60 * 10**9, "h": 3600 * 10**9})
_DURATION = re.compile(r"(\d*\.?\d*)(ns|us|µs|μs|ms|s|m|h)")


def parse_duration(text: str) -> int:
    """``time.ParseDuration``, in nanoseconds."""
    sign, rest = 1, text
    if rest[:1] in "+-" and rest:
        sign, rest = (-1 if rest[0] == "-" else 1), rest[1:]
    if rest == "0":
        return 0
    total = 0.0
    if not rest:
        raise TemplateError(f"time: invalid duration {_quote(text)}")
    while rest:
        match = _DURATION.match(rest)
        if match is None or match.group(1) in ("", "."):
            raise TemplateError(f"time: invalid duration {_quote(text)}")
        total += float(match.group(1)) * _UNITS[match.group(2)]
        rest = rest[match.end() :]
    return sign * int(total)


def _moment(value: Any) -> GoTime:
    """``dateInZone``'s date: a time, an int's Unix seconds, else now."""
    if isinstance(value, GoTime):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return GoTime(dt.datetime.fromtimestamp(value, UTC))
    return now()


def now() -> GoTime:
    """Sprig's ``now``."""
    moment = dt.datetime.now(UTC)
    return GoTime(moment, moment.microsecond * 1000)


def date_in_zone(layout: str, value: Any, zone: str) -> str:
    """Sprig's ``dateInZone`` (an unknown zone is UTC)."""
    time = _moment(value)
    try:
        where: dt.tzinfo = UTC if zone in ("UTC", "", "Local") else ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        where = UTC
    return format_time(GoTime(time.moment.astimezone(where), time.nanos), layout)


def date_modify(duration: str, time: GoTime) -> GoTime:
    """Sprig's ``dateModify``: the time unchanged where the duration does not parse."""
    try:
        return must_date_modify(duration, time)
    except TemplateError:
        return time


def must_date_modify(duration: str, time: GoTime) -> GoTime:
    """Sprig's ``mustDateModify``."""
    nanos = time.nanos + parse_duration(duration)
    seconds, nanos = divmod(nanos, 10**9)
    moment = time.moment.replace(microsecond=0) + dt.timedelta(seconds=seconds)
    return GoTime(moment.replace(microsecond=nanos // 1000), nanos)


def duration_round(value: Any) -> str:
    """Sprig's ``durationRound``: a string's duration (a template's int counts as 0)."""
    nanos = 0
    if isinstance(value, str):
        try:
            nanos = parse_duration(value)
        except TemplateError:
            nanos = 0
    elif isinstance(value, GoTime):
        nanos = int((now().moment - value.moment).total_seconds() * 10**9)
    nanos = abs(nanos)
    hour = 3600 * 10**9
    for unit, size in (("y", hour * 24 * 365), ("mo", hour * 24 * 30), ("d", hour * 24)):
        if nanos > size:
            return f"{nanos // size}{unit}"
    for unit, size in (("h", hour), ("m", 60 * 10**9), ("s", 10**9)):
        if nanos > size:
            return f"{nanos // size}{unit}"
    return "0s"


def duration_string(nanos: int) -> str:
    """``time.Duration.String`` of whole seconds (what ``ago`` rounds to)."""
    seconds = round(nanos / 10**9)
    sign, seconds = ("-", -seconds) if seconds < 0 else ("", seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{sign}{hours}h{minutes}m{secs}s"
    return f"{sign}{minutes}m{secs}s" if minutes else f"{sign}{secs}s"


def ago(value: Any) -> str:
    """Sprig's ``ago``: the time since ``value``, to the second."""
    since = now().moment - _moment(value).moment
    return duration_string(int(since.total_seconds() * 10**9))


def _time_arg(value: Any, name: str) -> GoTime:
    if not isinstance(value, GoTime):
        raise TemplateError(f"wrong type for value; expected time.Time; got {type(value).__name__}")
    return value


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "now": now,
    "ago": ago,
    "toDate": to_date,
    "mustToDate": must_to_date,
    "date": lambda layout, value: date_in_zone(layout, value, "Local"),
    "dateInZone": date_in_zone,
    "date_in_zone": date_in_zone,
    "htmlDate": lambda value: date_in_zone("2006-01-02", value, "Local"),
    "htmlDateInZone": lambda value, zone: date_in_zone("2006-01-02", value, zone),
    "dateModify": lambda d, t: date_modify(d, _time_arg(t, "dateModify")),
    "date_modify": lambda d, t: date_modify(d, _time_arg(t, "date_modify")),
    "mustDateModify": lambda d, t: must_date_modify(d, _time_arg(t, "mustDateModify")),
    "must_date_modify": lambda d, t: must_date_modify(d, _time_arg(t, "must_date_modify")),
    "unixEpoch": lambda t: str(_time_arg(t, "unixEpoch").unix()),
    "durationRound": duration_round,
}

#: Go parameter types (functions.SIGNATURES' letters) of those with only string ones.
SIGNATURES: dict[str, str] = {"toDate": "ss", "mustToDate": "ss"}
