"""Inputs: one document per real file whatever its names, any file name, and nothing skipped in silence."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import rows, run_pipeline
from etl.cli import cli
from etl.sources import discover, source_path, source_uri

NO_NLP = {"stages": {"extract": ()}}


def corpus(folder: Path, n: int = 3) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"a{i}.txt").write_text(f"Report {i}\n\nTroops moved near the river on day {i}, officials said.\n")
    return folder


def doc_ids(out: Path) -> list[str]:
    return [row["doc_id"] for row in rows(out, "articles")]


def errors(out: Path) -> dict[str, dict]:
    """The errors rows by the file name their source URI ends with."""
    return {row["source_uri"].rsplit("/", 1)[-1]: row for row in rows(out, "errors")}


# --- item 3: aliases ----------------------------------------------------------------------------


def test_a_symlink_alias_and_a_folder_given_twice_are_read_once(tmp_path):
    folder = corpus(tmp_path / "in")
    (folder / "alias.txt").symlink_to(folder / "a0.txt")
    (folder / "sub").symlink_to(folder, target_is_directory=True)
    summary = run_pipeline([folder, folder], tmp_path / "out", **NO_NLP)
    ids = doc_ids(tmp_path / "out")
    assert len(ids) == len(set(ids)) == 3
    assert summary.documents["new"] == 3 and summary.errors == 0
    (warning,) = [w for w in summary.warnings if "another name" in w]
    assert warning.startswith("3 input path(s)") and "alias.txt (same as" in warning and "(given twice)" in warning


def test_prune_after_removing_an_alias_keeps_the_real_file(tmp_path):
    folder = corpus(tmp_path / "in")
    (folder / "alias.txt").symlink_to(folder / "a0.txt")
    out = tmp_path / "out"
    run_pipeline(folder, out, **NO_NLP)
    (folder / "alias.txt").unlink()
    summary = run_pipeline(folder, out, prune=True, **NO_NLP)
    assert summary.documents["unchanged"] == 3
    assert len(doc_ids(out)) == 3
    (folder / "a1.txt").unlink()
    run_pipeline(folder, out, prune=True, **NO_NLP)
    assert len(doc_ids(out)) == 2, "a file really gone is pruned"


def test_an_output_folder_keyed_by_absolute_paths_is_rekeyed_without_reading_again(tmp_path):
    folder = corpus(tmp_path / "in")
    out = tmp_path / "out"
    run_pipeline(folder, out, **NO_NLP)
    before = sorted(doc_ids(out))
    # How earlier versions keyed sources: str(path.absolute()), here with an alias read twice.
    (folder / "alias.txt").symlink_to(folder / "a0.txt")
    with sqlite3.connect(out / ".etl" / "state.sqlite") as state:
        for (key,) in state.execute("SELECT path FROM sources").fetchall():
            old = str(source_path(key))
            state.execute("UPDATE sources SET path = ? WHERE path = ?", (old, key))
            state.execute("UPDATE documents SET source_path = ? WHERE source_path = ?", (old, key))
        state.execute("INSERT INTO sources SELECT ?, size, mtime_ns, sha256, fingerprint, run_id FROM sources "
                      "WHERE path = ?", (str(folder / "alias.txt"), str(folder / "a0.txt")))
    summary = run_pipeline(folder, out, **NO_NLP)
    # a1, a2 re-keyed and unchanged; a0, known under two names, is read once more to drop duplicates.
    assert summary.documents["unchanged"] == 2 and summary.documents["new"] == 1
    assert sorted(doc_ids(out)) == before
    with sqlite3.connect(out / ".etl" / "state.sqlite") as state:
        keys = sorted(row[0] for row in state.execute("SELECT path FROM sources"))
    assert keys == sorted(source_uri(folder / f"a{i}.txt") for i in range(3))


# --- item 4: names that are not UTF-8 ------------------------------------------------------------


def test_a_file_name_that_is_not_utf8_loads_and_its_uri_gives_the_bytes_back(tmp_path):
    folder = corpus(tmp_path / "in", 1)
    raw = os.fsencode(folder) + b"/caf\xe9.txt"
    with open(raw, "wb") as handle:
        handle.write(b"Cafe\n\nThe cafe on the square reopened on Monday, its owner said.\n")
    out = tmp_path / "out"
    summary = run_pipeline(folder, out, **NO_NLP)
    assert summary.documents["new"] == 2 and summary.errors == 0
    (uri,) = [row["source_uri"] for row in rows(out, "articles") if "caf" in row["source_uri"]]
    assert uri.endswith("/caf%E9.txt") and uri.isascii()
    assert os.fsencode(source_path(uri)) == raw
    assert run_pipeline(folder, out, **NO_NLP).documents["unchanged"] == 2


def test_a_file_name_that_is_not_utf8_in_an_errors_row(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    with open(os.fsencode(folder) + b"/vide\xe9.txt", "wb"):
        pass  # empty: an errors row whose message may name the file
    os.mkfifo(os.fsencode(folder) + b"/pipe\xe9")
    run_pipeline(folder, tmp_path / "out", **NO_NLP)
    found = {row["source_uri"].rsplit("/", 1)[-1]: row for row in rows(tmp_path / "out", "errors")}
    assert set(found) == {"vide%E9.txt", "pipe%E9"}
    assert "pipe\\xe9 is a FIFO" in found["pipe%E9"]["message"]


def test_the_cli_runs_over_a_name_that_is_not_utf8(tmp_path):
    folder = corpus(tmp_path / "in", 1)
    with open(os.fsencode(folder) + b"/caf\xe9.txt", "wb") as handle:
        handle.write(b"Cafe\n\nThe cafe on the square reopened on Monday, its owner said.\n")
    (tmp_path / "etl.toml").write_text('[stages]\nextract = []\n')
    result = CliRunner().invoke(cli, ["run", str(folder), "--out", str(tmp_path / "out"), "--workers", "1",
                                      "--config", str(tmp_path / "etl.toml"), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.splitlines()[-1])["documents"]["new"] == 2


# --- item 10: nothing skipped in silence ------------------------------------------------------------


def test_special_files_and_broken_links_are_errors_rows_and_nothing_hangs(tmp_path):
    folder = corpus(tmp_path / "in", 1)
    os.mkfifo(folder / "pipe.txt")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(folder / "sock"))
    (folder / "dangling.txt").symlink_to(folder / "nowhere.txt")
    (folder / "loop1").symlink_to(folder / "loop2")
    (folder / "loop2").symlink_to(folder / "loop1")
    out = tmp_path / "out"
    done, rescued = threading.Event(), threading.Event()

    def unblock():
        # Had the run opened the FIFO, it would wait for a writer for ever: be that writer, and say so.
        if not done.wait(120):
            rescued.set()
            with open(folder / "pipe.txt", "w"):
                pass

    threading.Thread(target=unblock, daemon=True).start()
    try:
        summary = run_pipeline(folder, out, **NO_NLP)
    finally:
        done.set()
        server.close()
    assert not rescued.is_set(), "the run opened the FIFO"
    found = errors(out)
    assert {name: (row["stage"], row["error_type"]) for name, row in found.items()} == {
        "pipe.txt": ("discover", "NotARegularFile"), "sock": ("discover", "NotARegularFile"),
        "dangling.txt": ("discover", "BrokenSymlink"), "loop1": ("discover", "SymlinkLoop"),
        "loop2": ("discover", "SymlinkLoop")}
    assert "is a FIFO (named pipe)" in found["pipe.txt"]["message"]
    assert "nowhere.txt, which does not exist" in found["dangling.txt"]["message"]
    assert summary.documents["new"] == 1 and summary.documents["failed"] == 5
    again = run_pipeline(folder, out, **NO_NLP)
    assert again.documents["unchanged"] == 6 and again.documents["failed"] == 0


def test_a_device_file_is_an_errors_row(tmp_path):
    folder = corpus(tmp_path / "in", 1)
    (folder / "null").symlink_to("/dev/null")
    summary = run_pipeline(folder, tmp_path / "out", follow_symlinks_outside=True, **NO_NLP)
    assert summary.documents["failed"] == 1
    (row,) = rows(tmp_path / "out", "errors")
    assert row["error_type"] == "NotARegularFile" and "character device" in row["message"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file whatever its permissions")
def test_unreadable_folders_and_files_are_errors_rows(tmp_path):
    folder = corpus(tmp_path / "in", 1)
    locked = folder / "locked"
    corpus(locked, 1)
    (folder / "secret.txt").write_text("Secret\n\nNot for you.\n")
    (folder / "secret.txt").chmod(0)
    locked.chmod(0)
    try:
        run_pipeline(folder, tmp_path / "out", **NO_NLP)
    finally:
        locked.chmod(0o755)
    found = errors(tmp_path / "out")
    assert (found["locked"]["stage"], found["locked"]["error_type"]) == ("discover", "UnreadableFolder")
    assert (found["secret.txt"]["stage"], found["secret.txt"]["error_type"]) == ("parse", "UnreadableFile")


def test_unreadable_folder_is_found_by_discovery(tmp_path, monkeypatch):
    """What `test_unreadable_folders_and_files_are_errors_rows` checks, where tests run as root."""
    folder = corpus(tmp_path / "in", 1)
    corpus(folder / "locked", 1)
    real_scandir = os.scandir

    def scandir(path):
        if not isinstance(path, int) and Path(path).name == "locked":  # shutil.rmtree passes descriptors
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    found = discover([folder], exclude=[])
    assert [f.path.name for f in found.files] == ["a0.txt"]
    (problem,) = found.problems
    assert type(problem.problem).__name__ == "UnreadableFolder" and "chmod +rx" in str(problem.problem)


def test_a_link_out_of_the_inputs_is_not_followed_unless_allowed(tmp_path):
    outside = corpus(tmp_path / "elsewhere", 1)
    folder = corpus(tmp_path / "in", 1)
    (folder / "out-file.txt").symlink_to(outside / "a0.txt")
    (folder / "out-dir").symlink_to(outside, target_is_directory=True)
    out = tmp_path / "out"
    summary = run_pipeline(folder, out, **NO_NLP)
    assert summary.documents["new"] == 1 and summary.documents["failed"] == 2
    found = errors(out)
    assert {row["error_type"] for row in found.values()} == {"SymlinkNotFollowed"}
    assert "follow_symlinks_outside = true" in found["out-file.txt"]["message"]
    # The errors rows name the links, not the files they lead to: nothing outside was looked into.
    assert set(found) == {"out-file.txt", "out-dir"}

    allowed = tmp_path / "allowed"
    summary = run_pipeline(folder, allowed, follow_symlinks_outside=True, **NO_NLP)
    assert summary.documents["new"] == 2 and summary.errors == 0
    assert any("another name" in w for w in summary.warnings), "the file and the folder link are one file"


def test_follow_symlinks_outside_is_a_config_key(tmp_path):
    from etl.config import ConfigError, load_config

    (tmp_path / "etl.toml").write_text("follow_symlinks_outside = true\n")
    assert load_config(cwd=tmp_path).follow_symlinks_outside is True
    assert load_config(cwd=tmp_path / "nowhere").follow_symlinks_outside is False
    (tmp_path / "etl.toml").write_text("follow_symlinks_outside = 1\n")
    with pytest.raises(ConfigError, match="follow_symlinks_outside = 1 must be bool"):
        load_config(cwd=tmp_path)


def test_a_folder_fixed_after_an_error_is_pruned_from_errors(tmp_path, monkeypatch):
    folder = corpus(tmp_path / "in", 1)
    corpus(folder / "locked", 1)
    out = tmp_path / "out"
    real_scandir = os.scandir

    def scandir(path):
        if not isinstance(path, int) and Path(path).name == "locked":  # shutil.rmtree passes descriptors
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    with monkeypatch.context() as patch:
        patch.setattr(os, "scandir", scandir)
        run_pipeline(folder, out, **NO_NLP)
    assert set(errors(out)) == {"locked"}
    summary = run_pipeline(folder, out, prune=True, **NO_NLP)
    assert summary.documents["new"] == 1
    assert rows(out, "errors") == [] and len(doc_ids(out)) == 2
