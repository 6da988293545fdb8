"""dlcourse.data's real data sets, downloaded from a loopback HTTP server serving small files in the real formats
(IDX gzip, the CIFAR-10 python tarball, the aclImdb tarball), with the registry pointed at those files."""

from __future__ import annotations

import gzip
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from http_server import (
    CIFAR_CLASSES,
    IMDB_REVIEWS,
    MNIST_FILES,
    FileServer,
    idx_bytes,
    make_cifar10,
    make_imdb,
    make_mnist,
    refused_url,
    sha256,
    tar_gz,
)

from dlcourse import data
from dlcourse.data import datasets, downloads, formats, text
from dlcourse.data.downloads import DATA_ENV, DatasetUnavailable, RemoteFile, Source


def source_for(name: str, files: dict[str, bytes], mirrors) -> Source:
    real = downloads.SOURCES[name]
    return Source(real.name, real.title, tuple(mirrors), {f: RemoteFile(sha256(b), len(b)) for f, b in files.items()})


# -------------------------------------------------------------------------------------------- fixtures
@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    """Every test gets its own cache folder through the environment variable; loopback never uses a proxy."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(DATA_ENV, str(folder))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    return folder


@pytest.fixture
def server():
    with FileServer() as srv:
        yield srv


def serve(server, name, files, prefix="/good/", mirrors_before=()):
    """Put ``files`` on the server under ``prefix`` and register them as data set ``name``'s source."""
    for f, b in files.items():
        server.files[prefix + f] = b
    return source_for(name, files, [*mirrors_before, server.url(prefix)])


# ------------------------------------------------------------------------------------- download and parse
@pytest.mark.parametrize(
    "name, loader, classes",
    [
        ("mnist", data.load_mnist, datasets.MNIST_CLASSES),
        ("fashion_mnist", data.load_fashion_mnist, datasets.FASHION_MNIST_CLASSES),
    ],
)
def test_idx_sets_download_and_parse_to_what_was_written(server, monkeypatch, cache, name, loader, classes):
    arrays, files = make_mnist()
    monkeypatch.setitem(downloads.SOURCES, name, serve(server, name, files))
    split = loader(val_size=2, rng=0)
    X, y = arrays["train-images-idx3-ubyte.gz"], arrays["train-labels-idx1-ubyte.gz"].astype(np.int64)
    assert split.X_train.shape == (5, 1, 28, 28) and split.X_val.shape == (2, 1, 28, 28)
    assert split.X_train.dtype == np.uint8 and split.y_train.dtype == np.int64 and split.y_test.dtype == np.int64
    order = np.random.default_rng(0).permutation(7)  # the documented split: rng.permutation, val first
    assert np.array_equal(split.X_val[:, 0], X[order[:2]]) and np.array_equal(split.y_val, y[order[:2]])
    assert np.array_equal(split.X_train[:, 0], X[order[2:]]) and np.array_equal(split.y_train, y[order[2:]])
    assert np.array_equal(split.X_test[:, 0], arrays["t10k-images-idx3-ubyte.gz"])  # official order
    assert np.array_equal(split.y_test, arrays["t10k-labels-idx1-ubyte.gz"])
    assert split.classes == classes and len(classes) == 10
    assert sorted(p.name for p in (cache / name).iterdir()) == sorted(MNIST_FILES)
    assert loader(val_size=0.5, rng=0).X_val.shape[0] == 4  # a fraction: round(0.5 * 7)


def test_cifar10_download_and_parse_to_nchw(server, monkeypatch):
    images, labels, archive = make_cifar10()
    monkeypatch.setitem(downloads.SOURCES, "cifar10", serve(server, "cifar10", {"cifar-10-python.tar.gz": archive}))
    split = data.load_cifar10(val_size=3, rng=np.random.default_rng(1))
    X = np.concatenate([images[f"data_batch_{i}"] for i in range(1, 6)])
    y = np.concatenate([labels[f"data_batch_{i}"] for i in range(1, 6)])
    order = np.random.default_rng(1).permutation(10)
    assert split.X_train.shape == (7, 3, 32, 32) and split.X_train.dtype == np.uint8
    assert np.array_equal(split.X_val, X[order[:3]]) and np.array_equal(split.y_train, y[order[3:]])
    assert np.array_equal(split.X_test, images["test_batch"]) and split.y_test.tolist() == labels["test_batch"]
    assert split.y_test.dtype == np.int64 and split.classes == tuple(CIFAR_CLASSES)


def test_cifar10_reader_refuses_pickled_code(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    members = {f"cifar-10-batches-py/{b}": pickle.dumps({"data": Evil()}) for b in formats.CIFAR10_BATCHES}
    path = tmp_path / "evil.tar.gz"
    path.write_bytes(tar_gz(members))
    with pytest.raises(pickle.UnpicklingError, match="refusing to load"):
        formats.read_cifar10_tar(path)


def test_imdb_ids_vocabulary_padding_and_raw_texts(server, monkeypatch):
    monkeypatch.setitem(downloads.SOURCES, "imdb", serve(server, "imdb", {"aclImdb_v1.tar.gz": make_imdb()}))
    split = data.load_imdb(num_words=6, maxlen=5, val_size=0, rng=3)
    raw = data.load_imdb(val_size=0, rng=3, raw=True)  # same rng: same order
    # training words by count: bad 4, great 4, film 3, the 3, then acting, dull, was 2 (ties alphabetical)
    assert split.vocab == ["<pad>", "<unk>", "bad", "great", "film", "the"]
    assert split.X_train.shape == (4, 5) and split.X_test.shape == (3, 5) and split.X_train.dtype == np.int64
    assert len(raw.X_train) == 4 and len(raw.X_test) == 3 and raw.vocab == []
    assert all(isinstance(t, str) for t in raw.X_train) and "<br />" in "".join(raw.X_train)
    index = {w: i for i, w in enumerate(split.vocab)}
    for ids, review in zip(np.concatenate([split.X_train, split.X_test]), raw.X_train + raw.X_test):
        words = re.findall(r"[^\W\d_]+", review.replace("<br />", " ").replace("<br/>", " ").lower())
        want = [index.get(w, 1) for w in words][-5:]  # keep the last maxlen words
        assert ids.tolist() == [0] * (5 - len(want)) + want  # zeros in front
    labelled = {t: lab for (_, lab, _, _), t in IMDB_REVIEWS.items()}
    assert [labelled[t] for t in raw.X_test] == [split.classes[k] for k in raw.y_test]
    assert np.array_equal(split.y_train, raw.y_train) and split.y_train.dtype == np.int64
    assert sorted(raw.X_train) == sorted(t for (s, *_), t in IMDB_REVIEWS.items() if s == "train")
    assert split.decode(split.X_test[list(raw.X_test).index("Not great.")]) == "<unk> great"


def test_imdb_vocabulary_comes_from_the_training_part_only(server, monkeypatch):
    monkeypatch.setitem(downloads.SOURCES, "imdb", serve(server, "imdb", {"aclImdb_v1.tar.gz": make_imdb()}))
    split = data.load_imdb(num_words=None, val_size=2, rng=0)
    raw = data.load_imdb(val_size=2, rng=0, raw=True)
    train_words = {w for t in raw.X_train for w in text.tokenize(t)}
    assert set(split.vocab[2:]) == train_words and split.X_val.shape == (2, 200)
    assert "wonderful" not in split.vocab  # a test-only word


# ------------------------------------------------------------------------------- cache and environment
def test_second_call_uses_the_cache_without_requests(server, monkeypatch, capsys):
    _, files = make_mnist()
    monkeypatch.setitem(downloads.SOURCES, "mnist", serve(server, "mnist", files))
    first = data.load_mnist(val_size=2)
    assert len(server.requests) == 4
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 4 and all(line.startswith("Downloaded MNIST ") for line in out)
    assert "sha256 checked" in out[0] and server.url("/good/train-images-idx3-ubyte.gz") in out[0]
    second = data.load_mnist(val_size=2)
    assert len(server.requests) == 4  # nothing asked the second time
    assert capsys.readouterr().out == ""
    assert np.array_equal(first.X_train, second.X_train) and np.array_equal(first.y_test, second.y_test)


def test_environment_variable_and_data_home_choose_the_cache_folder(server, monkeypatch, tmp_path):
    import pooch

    _, files = make_mnist()
    monkeypatch.setitem(downloads.SOURCES, "mnist", serve(server, "mnist", files))
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "from_env"))
    data.load_mnist(val_size=1)
    assert sorted(p.name for p in (tmp_path / "from_env" / "mnist").iterdir()) == sorted(MNIST_FILES)
    data.load_mnist(val_size=1, data_home=tmp_path / "explicit")  # the argument beats the variable
    assert (tmp_path / "explicit" / "mnist" / MNIST_FILES[0]).is_file() and len(server.requests) == 8
    monkeypatch.delenv(DATA_ENV)
    assert downloads.cache_dir() == Path(pooch.os_cache("dlcourse"))


def test_a_corrupted_cached_file_is_fetched_again(server, monkeypatch, cache):
    arrays, files = make_mnist()
    monkeypatch.setitem(downloads.SOURCES, "mnist", serve(server, "mnist", files))
    data.load_mnist(val_size=0)
    cached = cache / "mnist" / "train-images-idx3-ubyte.gz"
    cached.write_bytes(files["train-images-idx3-ubyte.gz"][:-100])  # truncated on disk
    (cache / "mnist" / "t10k-labels-idx1-ubyte.gz").write_bytes(b"garbage")
    split = data.load_mnist(val_size=0, rng=0)
    assert len(server.requests) == 6  # the two bad files, nothing else
    assert server.requests_for("train-images-idx3-ubyte.gz") == 2 and server.requests_for(MNIST_FILES[3]) == 2
    assert sha256(cached.read_bytes()) == sha256(files["train-images-idx3-ubyte.gz"])
    order = np.random.default_rng(0).permutation(7)
    assert np.array_equal(split.X_train[:, 0], arrays["train-images-idx3-ubyte.gz"][order])


def test_a_corrupted_cached_file_is_never_used_even_offline(monkeypatch, cache):
    _, files = make_mnist()
    monkeypatch.setitem(downloads.SOURCES, "mnist", source_for("mnist", files, [refused_url()]))
    (cache / "mnist").mkdir(parents=True)
    (cache / "mnist" / MNIST_FILES[0]).write_bytes(files[MNIST_FILES[0]][:50])
    with pytest.raises(DatasetUnavailable, match=r"from its only URL(.|\n)*The copy in the cache .* does not match"):
        data.load_mnist()


# ---------------------------------------------------------------------------------- mirrors and failures
def test_mirrors_are_tried_in_order_until_one_delivers(server, monkeypatch):
    _, files = make_mnist()
    mirrors = (refused_url(), server.url("/missing/"))  # refuses, then answers 404
    monkeypatch.setitem(downloads.SOURCES, "mnist", serve(server, "mnist", files, mirrors_before=mirrors))
    split = data.load_mnist(val_size=1)
    assert split.X_test.shape == (3, 1, 28, 28)
    assert server.requests == [p for f in MNIST_FILES for p in (f"/missing/{f}", f"/good/{f}")]


@pytest.mark.parametrize("fault", ["cut", "short"])
def test_a_truncated_download_is_rejected_and_the_next_mirror_used(server, monkeypatch, cache, fault):
    _, files = make_mnist()
    for f, b in files.items():
        server.files[f"/bad/{f}"] = b
        server.faults[f"/bad/{f}"] = fault
    monkeypatch.setitem(downloads.SOURCES, "mnist", serve(server, "mnist", files, mirrors_before=[server.url("/bad/")]))
    data.load_mnist(val_size=1)
    assert server.requests_for(MNIST_FILES[0]) == 2
    for f in MNIST_FILES:
        assert sha256((cache / "mnist" / f).read_bytes()) == sha256(files[f])


@pytest.mark.parametrize("fault, why", [("cut", "interrupted"), ("short", "sha256 differs")])
def test_a_truncated_download_alone_raises_and_leaves_nothing_in_the_cache(server, monkeypatch, cache, fault, why):
    _, files = make_mnist()
    source = serve(server, "mnist", files, prefix="/bad/")
    server.faults.update({f"/bad/{f}": fault for f in files})
    monkeypatch.setitem(downloads.SOURCES, "mnist", source)
    with pytest.raises(DatasetUnavailable, match=why):
        data.load_mnist()
    assert list((cache / "mnist").iterdir()) == []  # no partial file, no temporary file


def test_server_down_raises_dataset_unavailable_naming_urls_path_and_variable(monkeypatch, cache):
    mirrors = (refused_url(), refused_url())
    source = Source("cifar10", "CIFAR-10", mirrors, {"cifar-10-python.tar.gz": RemoteFile("ab" * 32, 1234)})
    monkeypatch.setitem(downloads.SOURCES, "cifar10", source)
    with pytest.raises(DatasetUnavailable) as info:
        data.load_cifar10()
    msg = str(info.value)
    assert isinstance(info.value, OSError) and info.value.__cause__ is None
    assert msg.startswith("Could not download CIFAR-10 file 'cifar-10-python.tar.gz' from any of 2 URLs.")
    assert "does not match the registry" not in msg  # nothing was in the cache
    for base in mirrors:
        assert f"{base}cifar-10-python.tar.gz  ->  could not connect" in msg
    assert str(cache / "cifar10" / "cifar-10-python.tar.gz") in msg and DATA_ENV in msg
    assert "1,234 bytes" in msg and "ab" * 32 in msg


def test_http_errors_are_named_in_the_message(server, monkeypatch):
    _, files = make_mnist()
    monkeypatch.setitem(downloads.SOURCES, "mnist", source_for("mnist", files, [server.url("/nothing/")]))
    with pytest.raises(DatasetUnavailable, match=r"/nothing/train-images-idx3-ubyte.gz  ->  HTTP 404 Not Found"):
        data.load_mnist()


def test_load_or_digits_falls_back_with_one_line(monkeypatch, capsys):
    monkeypatch.setitem(downloads.SOURCES, "mnist", source_for("mnist", make_mnist()[1], [refused_url()]))
    split, loaded = data.load_or_digits("mnist", val_size=2, rng=5)
    out = capsys.readouterr().out
    assert loaded == "digits" and out.count("\n") == 1
    assert out.startswith("MNIST unavailable (could not download MNIST file 'train-images-idx3-ubyte.gz'")
    assert "scikit-learn's digits" in out and "dlcourse.data.load_mnist()" in out
    assert split.X_train.dtype == np.uint8 and split.X_train.shape[1:] == (1, 8, 8)
    assert split.X_train.max() == 255 and split.y_train.dtype == np.int64
    total = len(split.y_train) + len(split.y_val) + len(split.y_test)
    assert total == 1797 and split.classes == datasets.MNIST_CLASSES
    again, _ = data.load_or_digits("mnist", rng=5)
    assert np.array_equal(again.X_train, split.X_train)  # the fallback follows rng


def test_load_or_digits_returns_the_real_set_when_available(server, monkeypatch, capsys):
    _, files = make_mnist()
    monkeypatch.setitem(downloads.SOURCES, "fashion_mnist", serve(server, "fashion_mnist", files))
    split, loaded = data.load_or_digits("fashion_mnist", val_size=1)
    assert loaded == "fashion_mnist" and split.X_train.shape == (6, 1, 28, 28)
    assert "scikit-learn's digits" not in capsys.readouterr().out


# ---------------------------------------------------------------------------------- argument validation
@pytest.mark.parametrize(
    "call, argument",
    [
        (lambda: data.load_mnist(val_size=-1), "val_size"),
        (lambda: data.load_mnist(val_size=1.0), "val_size"),
        (lambda: data.load_fashion_mnist(val_size=True), "val_size"),
        (lambda: data.load_cifar10(val_size="10%"), "val_size"),
        (lambda: data.load_mnist(rng="seed"), "rng"),
        (lambda: data.load_mnist(data_home=3), "data_home"),
        (lambda: data.load_imdb(num_words=2), "num_words"),
        (lambda: data.load_imdb(maxlen=0), "maxlen"),
        (lambda: data.load_imdb(raw="yes"), "raw"),
        (lambda: data.load_or_digits("imdb"), "name"),
        (lambda: data.load_or_digits("MNIST"), "name"),
        (lambda: downloads.fetch("mnist", "train.gz"), "filename"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them_before_any_download(server, monkeypatch, call, argument):
    for name, source in downloads.SOURCES.items():  # real file names: a premature download would be counted
        monkeypatch.setitem(
            downloads.SOURCES, name, source_for(name, dict.fromkeys(source.files, b""), [server.url("/")])
        )
    with pytest.raises(ValueError, match=rf"^{argument}: expected"):
        call()
    assert server.requests == []


def test_val_size_larger_than_the_training_set_is_rejected(server, monkeypatch):
    _, files = make_mnist()
    monkeypatch.setitem(downloads.SOURCES, "mnist", serve(server, "mnist", files))
    with pytest.raises(ValueError, match=r"val_size: expected fewer than the 7 training examples, got 7"):
        data.load_mnist(val_size=7)


# --------------------------------------------------------------------------------------- formats, text
def test_read_idx_rejects_truncated_and_foreign_files(tmp_path):
    good = tmp_path / "good.gz"
    good.write_bytes(idx_bytes(np.arange(12, dtype=">i4").reshape(3, 4)))
    arr = formats.read_idx(good)
    assert arr.dtype == np.int32 and arr.dtype.isnative and np.array_equal(arr, np.arange(12).reshape(3, 4))
    short = tmp_path / "short.gz"
    short.write_bytes(gzip.compress(gzip.decompress(good.read_bytes())[:-5]))
    with pytest.raises(ValueError, match="short.gz: truncated IDX file"):
        formats.read_idx(short)
    foreign = tmp_path / "page.html"
    foreign.write_bytes(b"<html>404</html>")
    with pytest.raises(ValueError, match="page.html: not an IDX file"):
        formats.read_idx(foreign)


def test_tokenize_lowercases_strips_breaks_and_splits_on_non_letters():
    assert text.tokenize("A great film!<br /><br />Didn't like the 2nd half.") == [
        "a",
        "great",
        "film",
        "didn",
        "t",
        "like",
        "the",
        "nd",
        "half",
    ]
    assert text.tokenize("Café<BR>naïve") == ["café", "naïve"]


def test_pad_sequences_matches_keras_semantics():
    seqs = [[1, 2, 3, 4], [5], []]
    assert text.pad_sequences(seqs, 3).tolist() == [[2, 3, 4], [0, 0, 5], [0, 0, 0]]
    assert text.pad_sequences(seqs, 3, padding="post", truncating="post").tolist() == [[1, 2, 3], [5, 0, 0], [0, 0, 0]]
    with pytest.raises(ValueError, match=r"padding: expected one of \['pre', 'post'\], got 'left'"):
        text.pad_sequences(seqs, 3, padding="left")


# ------------------------------------------------------------------------------------ registry, imports
def test_registry_holds_the_official_files_with_sha256_and_mirrors():
    names = {
        "mnist": set(MNIST_FILES),
        "fashion_mnist": set(MNIST_FILES),
        "cifar10": {"cifar-10-python.tar.gz"},
        "imdb": {"aclImdb_v1.tar.gz"},
    }
    for key, files in names.items():
        source = downloads.SOURCES[key]
        assert source.name == key and set(source.files) == files
        assert all(re.fullmatch(r"[0-9a-f]{64}", f.sha256) and f.size > 1000 for f in source.files.values())
        assert all(re.fullmatch(r"https?://[^ ]+/", m) for m in source.mirrors)
    assert len({f.sha256 for s in downloads.SOURCES.values() for f in s.files.values()}) == 10
    mnist = " ".join(downloads.SOURCES["mnist"].mirrors)
    assert "ossci-datasets" in mnist and "cvdf-datasets" in mnist and "lecun" in mnist


def test_importing_dlcourse_does_not_import_pooch_or_requests():
    code = "import sys, dlcourse, dlcourse.data; print(sorted({'pooch', 'requests'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
