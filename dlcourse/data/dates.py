"""Chapter 08: a sequence-to-sequence task for attention, with one right answer: dates as people write them
("12 March 2019", "march 12, 2019", "Tue 12 Mar 2019", "the 12th of March, 2019") translated, character by
character, into ISO 8601 ("2019-03-12").

Every format names the month in words, so no date is ambiguous ("12/03/2019" is not used: March in Europe,
December in the United States). The task is small enough for an encoder-decoder with attention to learn in
seconds on a laptop: sources of at most ``MAX_SOURCE_LEN`` characters from a vocabulary of 57 ids, targets of 10
characters from 11, and attention that learns to look at the day, the month's name and the year in turn.

Ids follow PyTorch's sequence-to-sequence tutorial: both vocabularies start with ``<pad>`` (0), ``<sos>`` (1)
and ``<eos>`` (2). A source is padded with ``<pad>`` at its end; a target is the ISO date followed by
``<eos>``, and the decoder reads it shifted right behind ``<sos>`` (``decoder_inputs``, teacher forcing).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from .._types import Seed
from .._validate import check_int, check_positive_int, check_rng
from .chars import CharVocab
from .digits import Split

PAD, SOS, EOS = 0, 1, 2
SPECIALS = ("<pad>", "<sos>", "<eos>")
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

#: the human formats, as ``str.format`` templates: {d} 12 (3), {dd} 12 (03), {dth} 12th (3rd), {Month} March,
#: {month} march, {Mon} Mar, {MON} MAR, {Wkd} Tue, {Weekday} Tuesday, {yyyy} 2019, {mm} 03
FORMATS = (
    "{d} {Month} {yyyy}",
    "{dd} {Month} {yyyy}",
    "{Month} {d}, {yyyy}",
    "{month} {d}, {yyyy}",
    "{month} {d} {yyyy}",
    "{dd} {Mon} {yyyy}",
    "{d} {mon} {yyyy}",
    "{Mon} {d}, {yyyy}",
    "{MON} {dd} {yyyy}",
    "{dd}-{Mon}-{yyyy}",
    "{Wkd} {d} {Mon} {yyyy}",
    "{Wkd}, {Mon} {d}, {yyyy}",
    "{Weekday}, {Month} {d}, {yyyy}",
    "{Weekday} {dth} {Month} {yyyy}",
    "{dth} {Month} {yyyy}",
    "the {dth} of {Month}, {yyyy}",
    "{Month} {dth}, {yyyy}",
)
TARGET_LEN = len("2019-03-12") + 1  # the ISO date and <eos>


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def format_date(date: dt.date, fmt: str) -> str:
    """``date`` written in the human format ``fmt``, one of ``FORMATS``.

    >>> format_date(datetime.date(2019, 3, 12), "{Wkd} {d} {Mon} {yyyy}")
    'Tue 12 Mar 2019'
    """
    if not isinstance(date, dt.date):
        raise ValueError(f"date: expected a datetime.date, got {type(date).__name__}")
    if fmt not in FORMATS:
        raise ValueError(f"fmt: expected one of dlcourse.data.dates.FORMATS, got {fmt!r}")
    month, weekday = MONTHS[date.month - 1], WEEKDAYS[date.weekday()]
    return fmt.format(
        d=date.day,
        dd=f"{date.day:02d}",
        dth=_ordinal(date.day),
        Month=month,
        month=month.lower(),
        Mon=month[:3],
        mon=month[:3].lower(),
        MON=month[:3].upper(),
        Wkd=weekday[:3],
        Weekday=weekday,
        yyyy=f"{date.year:04d}",
        mm=f"{date.month:02d}",
    )


def _source_chars() -> str:
    """Every character the formats write: each format for every month and weekday, the ordinals' suffixes."""
    dates = [dt.date(2019, month, day) for month in range(1, 13) for day in range(1, 8)]  # 7 days: every weekday
    return "0123456789" + "".join(format_date(date, fmt) for date in dates for fmt in FORMATS)


SOURCE_VOCAB = CharVocab(_source_chars(), specials=SPECIALS)
TARGET_VOCAB = CharVocab("0123456789-", specials=SPECIALS)
#: the longest source: 29 characters, "Wednesday, September 27, 2023" (the longest names, a two-digit day)
MAX_SOURCE_LEN = max(len(format_date(dt.date(2023, 9, 27), fmt)) for fmt in FORMATS)


def make_dates(n: int, rng: Seed = 0, *, years: tuple[int, int] = (1950, 2049)) -> tuple[list[str], list[str]]:
    """Draw ``n`` different calendar days from ``years`` (first and last, both included) and write each in a
    format drawn from ``FORMATS``.

    Returns
    -------
    sources : n human-written dates, e.g. "Tue 12 Mar 2019"
    targets : the same n dates in ISO 8601, e.g. "2019-03-12"

    The same ``rng`` (an int seed or a np.random.Generator) gives the same dates in the same formats.
    """
    n = check_positive_int(n, "n")
    rng = check_rng(rng)
    if not isinstance(years, tuple) or len(years) != 2:
        raise ValueError(f"years: expected a pair (first, last), got {years!r}")
    first = check_int(years[0], "years[0]", minimum=1000, maximum=9999)
    last = check_int(years[1], "years[1]", minimum=first, maximum=9999)
    start = dt.date(first, 1, 1).toordinal()
    n_days = dt.date(last, 12, 31).toordinal() - start + 1
    if n > n_days:
        raise ValueError(f"n: expected at most the {n_days} days of years {first} to {last}, got {n}")
    days = rng.choice(n_days, size=n, replace=False) + start
    formats = rng.integers(len(FORMATS), size=n)
    dates = [dt.date.fromordinal(int(day)) for day in days]
    return [format_date(date, FORMATS[f]) for date, f in zip(dates, formats)], [date.isoformat() for date in dates]


def encode_dates(sources: Sequence[str], targets: Sequence[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Ids for a batch: sources (N, MAX_SOURCE_LEN) padded with ``PAD`` at the end; targets (N, TARGET_LEN), the
    ISO date's ids then ``EOS`` (an empty (N, 0) array when ``targets`` is None)."""
    X = np.full((len(sources), MAX_SOURCE_LEN), PAD, dtype=np.int64)
    for i, text in enumerate(sources):
        if not isinstance(text, str) or len(text) > MAX_SOURCE_LEN:
            raise ValueError(f"sources[{i}]: expected a str of at most {MAX_SOURCE_LEN} characters, got {text!r}")
        X[i, : len(text)] = SOURCE_VOCAB.encode(text)
    if targets is None:
        return X, np.zeros((len(sources), 0), dtype=np.int64)
    if len(targets) != len(sources):
        raise ValueError(f"targets: expected {len(sources)} dates to match the sources, got {len(targets)}")
    Y = np.full((len(targets), TARGET_LEN), EOS, dtype=np.int64)
    for i, text in enumerate(targets):
        if not isinstance(text, str) or len(text) != TARGET_LEN - 1:
            raise ValueError(f"targets[{i}]: expected an ISO date such as '2019-03-12', got {text!r}")
        Y[i, :-1] = TARGET_VOCAB.encode(text)
    return X, Y


def decoder_inputs(Y: ArrayLike) -> np.ndarray:
    """The decoder's inputs under teacher forcing: ``SOS`` then the targets shifted right by one, (N, T) int64."""
    Y = np.asarray(Y)
    if Y.ndim != 2 or not np.issubdtype(Y.dtype, np.integer):
        raise ValueError(f"Y: expected (N, T) integer target ids, got {Y.dtype} of shape {Y.shape}")
    return np.concatenate([np.full((len(Y), 1), SOS, dtype=np.int64), Y[:, :-1].astype(np.int64)], axis=1)


def decode_dates(Y: ArrayLike) -> list[str]:
    """The strings of rows of target ids (a model's predictions): each row read up to its first ``EOS``,
    without ``PAD`` and ``SOS``. (N, T) ids -> N strings."""
    Y = np.asarray(Y)
    if Y.ndim != 2:
        raise ValueError(f"Y: expected (N, T) target ids, got shape {Y.shape}")
    out = []
    for row in Y:
        stop = np.flatnonzero(row == EOS)
        out.append(TARGET_VOCAB.decode(row[: stop[0]] if len(stop) else row, skip_specials=True))
    return out


def exact_match_accuracy(predicted: Sequence[str] | ArrayLike, targets: Sequence[str] | ArrayLike) -> float:
    """The fraction of dates translated exactly right, every character: strings, or (N, T) id rows (read up to
    their first ``EOS`` by ``decode_dates``). A date with one wrong digit counts as wrong."""

    def as_strings(value, name):
        if isinstance(value, np.ndarray) and value.ndim == 2:
            return decode_dates(value)
        value = list(value)
        if not all(isinstance(v, str) for v in value):
            raise ValueError(f"{name}: expected a sequence of str or (N, T) ids, got {value[:3]!r}...")
        return value

    predicted, targets = as_strings(predicted, "predicted"), as_strings(targets, "targets")
    if len(predicted) != len(targets) or not targets:
        raise ValueError(
            f"predicted: expected {len(targets)} dates (as many as targets, at least 1), got {len(predicted)}"
        )
    return float(np.mean([p == t for p, t in zip(predicted, targets)]))


@dataclass(repr=False)
class DateSplit(Split):
    """A ``Split`` of dates: X arrays (N, MAX_SOURCE_LEN) source ids, y arrays (N, TARGET_LEN) target ids ending
    with ``EOS``; ``texts`` holds the human-written sources and ISO targets of each part
    (``split.texts["train"] == (sources, targets)``)."""

    texts: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)
    source_vocab: CharVocab = SOURCE_VOCAB
    target_vocab: CharVocab = TARGET_VOCAB

    def __repr__(self) -> str:
        return (
            f"DateSplit(train={len(self.y_train)}, val={len(self.y_val)}, test={len(self.y_test)}, "
            f"sources {self.X_train.shape[1:]}, targets {self.y_train.shape[1:]})"
        )


def load_dates(
    n_train: int = 10000, n_val: int = 1000, n_test: int = 1000, rng: Seed = 0, *, years: tuple[int, int] = (1950, 2049)
) -> DateSplit:
    """Human-written dates and their ISO translations, as ids: ``make_dates`` then ``encode_dates``.

    No calendar day is in two parts, so validation and test dates are new to the model (not just written in
    another format). ``decoder_inputs(split.y_train)`` gives the decoder's teacher-forced inputs;
    ``exact_match_accuracy(decode_dates(predicted_ids), split.texts["test"][1])`` scores a model.
    """
    sizes = {
        "train": check_positive_int(n_train, "n_train"),
        "val": check_positive_int(n_val, "n_val"),
        "test": check_positive_int(n_test, "n_test"),
    }
    sources, targets = make_dates(sum(sizes.values()), rng, years=years)
    out, texts, start = {}, {}, 0
    for name, size in sizes.items():
        part = slice(start, start + size)
        texts[name] = (sources[part], targets[part])
        out[f"X_{name}"], out[f"y_{name}"] = encode_dates(*texts[name])
        start += size
    return DateSplit(**out, texts=texts)
