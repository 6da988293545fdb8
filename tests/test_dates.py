"""dlcourse.data.dates: human-written dates to ISO 8601, a sequence-to-sequence task with one right answer."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pytest

from dlcourse import data
from dlcourse.data import dates
from dlcourse.data.dates import (
    EOS,
    FORMATS,
    MAX_SOURCE_LEN,
    PAD,
    SOS,
    SOURCE_VOCAB,
    TARGET_LEN,
    TARGET_VOCAB,
    decode_dates,
    decoder_inputs,
    encode_dates,
    exact_match_accuracy,
    format_date,
    load_dates,
    make_dates,
)

# how datetime reads each format, once the ordinal suffixes ("12th") and "the ... of" are taken out
PATTERNS = {
    "{d} {Month} {yyyy}": "%d %B %Y",
    "{dd} {Month} {yyyy}": "%d %B %Y",
    "{Month} {d}, {yyyy}": "%B %d, %Y",
    "{month} {d}, {yyyy}": "%B %d, %Y",
    "{month} {d} {yyyy}": "%B %d %Y",
    "{dd} {Mon} {yyyy}": "%d %b %Y",
    "{d} {mon} {yyyy}": "%d %b %Y",
    "{Mon} {d}, {yyyy}": "%b %d, %Y",
    "{MON} {dd} {yyyy}": "%b %d %Y",
    "{dd}-{Mon}-{yyyy}": "%d-%b-%Y",
    "{Wkd} {d} {Mon} {yyyy}": "%a %d %b %Y",
    "{Wkd}, {Mon} {d}, {yyyy}": "%a, %b %d, %Y",
    "{Weekday}, {Month} {d}, {yyyy}": "%A, %B %d, %Y",
    "{Weekday} {dth} {Month} {yyyy}": "%A %d %B %Y",
    "{dth} {Month} {yyyy}": "%d %B %Y",
    "the {dth} of {Month}, {yyyy}": "%d %B, %Y",
    "{Month} {dth}, {yyyy}": "%B %d, %Y",
}
MONTH_NAMES = ("January February March April May June July August September October November December").split()
DAY_NAMES = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()


def parse(text: str) -> dt.date:
    """An independent reading of a human-written date with datetime (English names, whatever the locale)."""
    text = re.sub(r"\b(\d{1,2})(st|nd|rd|th)\b", r"\1", text)
    text = re.sub(r"^the (\d+) of ", r"\1 ", text)
    weekday = None
    for i, name in enumerate(DAY_NAMES):  # the weekday is checked here, then left out
        match = re.match(rf"({name}|{name[:3]})\b,? ", text)
        if match:
            weekday, text = i, text[match.end() :]
    lower = text.lower()
    month = next(i + 1 for i, name in enumerate(MONTH_NAMES) if name[:3].lower() in lower)
    text = re.sub(r"[A-Za-z]+", "M", text)  # the month's name, in any case or length
    for pattern in ("%d M %Y", "M %d, %Y", "M %d %Y", "%d-M-%Y", "%d M, %Y"):
        try:
            parsed = dt.datetime.strptime(text, pattern)
        except ValueError:
            continue
        date = dt.date(parsed.year, month, parsed.day)
        assert weekday is None or date.weekday() == weekday, f"wrong weekday in {text!r}"
        return date
    raise AssertionError(f"no pattern reads {text!r}")


def test_the_patterns_cover_every_format():
    assert set(PATTERNS) == set(FORMATS) and len(FORMATS) == len(set(FORMATS))


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_writes_every_month_and_reads_back(fmt):
    written = set()
    for month in range(1, 13):
        for day in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 28):
            date = dt.date(2019, month, day)
            text = format_date(date, fmt)
            assert parse(text) == date, text
            if "{dth}" not in fmt:  # datetime reads the formats without ordinals directly
                assert dt.datetime.strptime(text.replace("the ", "").replace(" of", ""), PATTERNS[fmt]).date() == date
            written.add(text)
    assert len(written) == 12 * 11


def test_examples_from_the_docs():
    march12 = dt.date(2019, 3, 12)
    assert format_date(march12, "{d} {Month} {yyyy}") == "12 March 2019"
    assert format_date(march12, "{month} {d}, {yyyy}") == "march 12, 2019"
    assert format_date(march12, "{Wkd} {d} {Mon} {yyyy}") == "Tue 12 Mar 2019"
    assert format_date(march12, "the {dth} of {Month}, {yyyy}") == "the 12th of March, 2019"
    assert [format_date(dt.date(2019, 3, d), "{dth} {Month} {yyyy}")[:4] for d in (1, 2, 3, 11, 22)] == [
        "1st ",
        "2nd ",
        "3rd ",
        "11th",
        "22nd",
    ]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_generated_dates_parse_back_to_their_targets(seed):
    sources, targets = make_dates(3000, seed)
    assert len(sources) == len(targets) == 3000 and len(set(targets)) == 3000  # different days
    parsed = [parse(source) for source in sources]
    for source, target, date in zip(sources, targets, parsed):
        assert date == dt.date.fromisoformat(target), source
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", target) and 1950 <= int(target[:4]) <= 2049
    assert {int(t[5:7]) for t in targets} == set(range(1, 13))
    used = {fmt for source, date in zip(sources, parsed) for fmt in FORMATS if format_date(date, fmt) == source}
    assert used == set(FORMATS)


def test_same_seed_same_dates_and_another_seed_others():
    assert make_dates(200, 7) == make_dates(200, np.random.default_rng(7))
    assert make_dates(200, 7) != make_dates(200, 8)
    sources, targets = make_dates(365, 0, years=(2020, 2020))
    assert all(t.startswith("2020-") for t in targets) and len(set(targets)) == 365


def test_vocabularies_cover_every_character_and_the_longest_source():
    longest, chars = 0, set()
    day = dt.date(2020, 1, 1)
    while day.year < 2024:  # every weekday of every month, every day number, in every format
        for fmt in FORMATS:
            text = format_date(day, fmt)
            longest, chars = max(longest, len(text)), chars | set(text)
        day += dt.timedelta(days=1)
    assert longest == MAX_SOURCE_LEN == 29
    assert chars == set(SOURCE_VOCAB.itos[3:])
    assert set("0123456789-") == set(TARGET_VOCAB.itos[3:])
    for vocab in (SOURCE_VOCAB, TARGET_VOCAB):
        assert vocab.itos[:3] == ["<pad>", "<sos>", "<eos>"] and (PAD, SOS, EOS) == (0, 1, 2)


def test_encoding_pads_sources_and_ends_targets():
    X, Y = encode_dates(["12 March 2019", "Wednesday, September 27, 2023"], ["2019-03-12", "2023-09-27"])
    assert X.shape == (2, MAX_SOURCE_LEN) and Y.shape == (2, TARGET_LEN) == (2, 11)
    assert X.dtype == Y.dtype == np.int64
    assert SOURCE_VOCAB.decode(X[0], skip_specials=True) == "12 March 2019" and (X[0, 13:] == PAD).all()
    assert (X[1] != PAD).all() and (Y[:, -1] == EOS).all()
    assert decode_dates(Y) == ["2019-03-12", "2023-09-27"]
    D = decoder_inputs(Y)
    assert D.shape == Y.shape and (D[:, 0] == SOS).all() and (D[:, 1:] == Y[:, :-1]).all()
    assert encode_dates(["1 May 2000"])[1].shape == (1, 0)


def test_decode_stops_at_the_first_end():
    ids = TARGET_VOCAB.encode("2019-03-12")
    row = np.concatenate([[SOS], ids[:4], [EOS], ids[4:], [PAD]])
    assert decode_dates(row[None]) == ["2019"]
    assert decode_dates(np.concatenate([ids, [PAD, PAD]])[None]) == ["2019-03-12"]  # no end: the whole row


def test_exact_match_accuracy_counts_whole_dates():
    targets = ["2019-03-12", "2020-01-01", "1999-12-31", "2000-02-29"]
    assert exact_match_accuracy(targets, targets) == 1.0
    assert exact_match_accuracy(["2019-03-12", "2020-01-02", "1999-12-31", "2000-02-2"], targets) == 0.5
    _, Y = encode_dates(["1 May 2000"] * 4, targets)
    assert exact_match_accuracy(Y, targets) == 1.0
    Y[0, 3] = TARGET_VOCAB.stoi["8"]  # one wrong digit
    assert exact_match_accuracy(Y, np.array(targets)) == 0.75 == exact_match_accuracy(decode_dates(Y), targets)
    with pytest.raises(ValueError, match=r"predicted: expected 4 dates"):
        exact_match_accuracy(targets[:3], targets)


def test_load_dates_splits_by_calendar_day():
    split = load_dates(n_train=2000, n_val=300, n_test=400, rng=3)
    assert isinstance(split, dates.DateSplit) and "train=2000" in repr(split)
    assert split.X_train.shape == (2000, MAX_SOURCE_LEN) and split.y_test.shape == (400, TARGET_LEN)
    days = {name: set(split.texts[name][1]) for name in ("train", "val", "test")}
    assert not (days["train"] & days["val"] or days["train"] & days["test"] or days["val"] & days["test"])
    for name in ("train", "val", "test"):
        X, y = getattr(split, f"X_{name}"), getattr(split, f"y_{name}")
        sources, targets = split.texts[name]
        assert decode_dates(y) == targets
        assert [SOURCE_VOCAB.decode(row, skip_specials=True) for row in X] == sources
    again = load_dates(n_train=2000, n_val=300, n_test=400, rng=3)
    np.testing.assert_array_equal(again.X_test, split.X_test)
    assert split.source_vocab is SOURCE_VOCAB and split.target_vocab is TARGET_VOCAB


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: make_dates(0), r"n: expected a positive integer, got 0"),
        (lambda: make_dates(400, years=(2020, 2020)), r"n: expected at most the 366 days of years 2020 to 2020"),
        (lambda: make_dates(5, years=(2020, 2019)), r"years\[1\]: expected an integer from 2020 to 9999, got 2019"),
        (lambda: make_dates(5, years=2020), r"years: expected a pair"),
        (lambda: make_dates(5, rng="a"), r"rng: expected a np.random.Generator or an int seed"),
        (lambda: format_date(dt.date(2019, 3, 12), "%d %B %Y"), r"fmt: expected one of"),
        (lambda: format_date("2019-03-12", FORMATS[0]), r"date: expected a datetime.date, got str"),
        (lambda: encode_dates(["x" * 30]), r"sources\[0\]: expected a str of at most 29 characters"),
        (lambda: encode_dates(["1 May 2000"], ["2000-5-1"]), r"targets\[0\]: expected an ISO date"),
        (lambda: encode_dates(["1 May 2000"], []), r"targets: expected 1 dates to match the sources, got 0"),
        (lambda: load_dates(n_val=0), r"n_val: expected a positive integer, got 0"),
        (lambda: decoder_inputs([1, 2]), r"Y: expected \(N, T\) integer target ids"),
    ],
)
def test_bad_arguments_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_exported():
    for name in ("load_dates", "make_dates", "exact_match_accuracy", "decode_dates", "decoder_inputs"):
        assert getattr(data, name) is getattr(dates, name)
