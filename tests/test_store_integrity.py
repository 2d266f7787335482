"""The output folder checks what it relies on: damaged part files are extracted again, a damaged
manifest is reported with what to do (`--rebuild`), and a full disk or read-only folder is a message
and exit code 1, not a traceback, unless the run had already published."""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import subprocess
import uuid
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from conftest import SEEDS, rows, run_pipeline
from etl.cli import cli
from etl.config import Config
from etl.errors import PluginFailed, StoreError
from etl.run import run
from etl.store.manifest import Manifest

NO_NLP = {"extract": ()}


def parts_of(out):
    return sorted(p for p in (Path(out) / ".etl" / "parts").iterdir() if p.is_dir())


def table_rows(out, table):
    return sorted((r["doc_id"], r.get("seq"), r.get("text")) for r in rows(out, table))


def etl_run(corpus, out, *more):
    """`etl run` through click without spaCy, as a user sees it: output, exit code, and any exception."""
    config = Path(out).parent / "no-nlp.toml"
    if not config.exists():
        config.write_text("[stages]\nextract = []\n")
    args = [corpus, "--out", out, "--workers", 1, "--config", config, *more]
    return CliRunner().invoke(cli, ["run", *map(str, args)])


@pytest.fixture
def corpus(seeds_copy):
    return seeds_copy


@pytest.fixture
def first_run(corpus, tmp_path):
    out = tmp_path / "out"
    summary = run_pipeline(corpus, out, stages=NO_NLP)
    return out, summary


# --- damaged parts ------------------------------------------------------------------------------------


@pytest.mark.parametrize("damage", ["delete file", "delete folder", "garbage", "truncate"])
def test_a_damaged_part_is_extracted_again_in_the_same_run(corpus, first_run, damage):
    out, first = first_run
    before = table_rows(out, "segments")
    (part,) = parts_of(out)
    target = part / "segments.parquet"
    if damage == "delete file":
        target.unlink()
    elif damage == "delete folder":
        shutil.rmtree(part)
    elif damage == "garbage":
        target.write_bytes(b"not parquet at all")
    else:
        target.write_bytes(target.read_bytes()[: target.stat().st_size // 2])

    summary = run_pipeline(corpus, out, stages=NO_NLP)

    assert summary.documents["changed"] == first.documents["new"] == 5
    assert table_rows(out, "segments") == before
    assert any("extracted again" in w for w in summary.warnings)
    # and the repair holds: the next run has nothing to do and nothing to say about it
    again = run_pipeline(corpus, out, stages=NO_NLP)
    assert again.documents["unchanged"] == 5 and again.documents["changed"] == 0
    assert not any("extracted again" in w for w in again.warnings)
    assert table_rows(out, "segments") == before


def test_a_part_written_without_a_table_is_not_damaged(corpus, first_run):
    """A part has no errors.parquet when nothing failed: that is what was written, not a lost file."""
    out, _ = first_run
    (part,) = parts_of(out)
    assert not (part / "errors.parquet").exists()
    summary = run_pipeline(corpus, out, stages=NO_NLP)
    assert summary.documents["unchanged"] == 5
    assert not any("extracted again" in w for w in summary.warnings)


def test_a_stray_file_in_a_part_folder_is_not_read(corpus, first_run):
    out, _ = first_run
    (part,) = parts_of(out)
    shutil.copy(part / "articles.parquet", part / "errors.parquet")  # wrong schema, never recorded
    summary = run_pipeline(corpus, out, stages=NO_NLP)
    assert summary.rows["errors"] == 0 and summary.rows["articles"] == 5


def test_damage_the_quick_check_cannot_see_is_caught_when_read(corpus, first_run):
    """Same size, same modification time, intact footer, garbage pages: found by the read, repaired."""
    out, _ = first_run
    before = table_rows(out, "segments")
    (part,) = parts_of(out)
    target = part / "segments.parquet"
    stat = target.stat()
    data = bytearray(target.read_bytes())
    footer = int.from_bytes(data[-8:-4], "little") + 8
    for i in range(4, len(data) - footer):
        data[i] = 0xAB
    target.write_bytes(bytes(data))
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    pq.read_metadata(target)  # the footer still reads: only reading the rows finds it

    # The layer is read when a run has something to publish (here a setting of an enrich plugin
    # changed); a run that changes nothing publishes nothing and reads no part.
    summary = run_pipeline(corpus, out, stages=NO_NLP, plugins={"copies": {"copy_containment": 0.61}})

    assert table_rows(out, "segments") == before
    assert any("extracted again" in w for w in summary.warnings)


def test_damaged_documents_of_sources_outside_the_inputs_are_extracted_from_where_they_were(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir(), two.mkdir()
    seeds = sorted(SEEDS.glob("*.txt"))
    for path in seeds[:3]:
        shutil.copy(path, one / path.name)
    for path in seeds[3:]:
        shutil.copy(path, two / path.name)
    out = tmp_path / "out"
    run_pipeline(one, out, stages=NO_NLP)
    run_pipeline(two, out, stages=NO_NLP)
    before = table_rows(out, "segments")
    for part in parts_of(out):  # the documents of `one` among them
        shutil.rmtree(part)

    summary = run_pipeline(two, out, stages=NO_NLP)  # only `two` is named

    assert summary.rows["articles"] == 5
    assert table_rows(out, "segments") == before


def test_nothing_is_published_when_a_lost_part_cannot_be_extracted_again(corpus, first_run):
    out, first = first_run
    published = (out / "tables").resolve()
    (part,) = parts_of(out)
    (part / "segments.parquet").unlink()
    lost = min(corpus.glob("*.txt"))
    moved = corpus.parent / "elsewhere"
    moved.mkdir()
    lost.rename(moved / lost.name)

    result = etl_run(corpus, out)

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and result.exception.__class__ is SystemExit
    assert "cannot be extracted again" in result.output and "--prune" in result.output
    assert (out / "tables").resolve() == published and len(rows(out, "articles")) == 5
    # restoring the file repairs it; so would --prune (dropping its document)
    (moved / lost.name).rename(lost)
    summary = run_pipeline(corpus, out, stages=NO_NLP)
    assert summary.rows["articles"] == 5 and len(rows(out, "segments")) == first.rows["segments"]


def test_a_lost_part_of_a_vanished_source_is_dropped_with_prune(corpus, first_run):
    out, _ = first_run
    (part,) = parts_of(out)
    (part / "articles.parquet").unlink()
    min(corpus.glob("*.txt")).unlink()
    summary = run_pipeline(corpus, out, stages=NO_NLP, prune=True)
    assert summary.rows["articles"] == 4


def test_a_lost_entities_file_is_extracted_again(tmp_path):
    """The issue as reported: entities.parquet deleted, the next run published 0 entities."""
    corpus = tmp_path / "in"
    corpus.mkdir()
    seed = min(SEEDS.glob("*.txt"))
    shutil.copy(seed, corpus / seed.name)
    out = tmp_path / "out"
    first = run_pipeline(corpus, out)
    assert first.rows["entities"] > 0
    (part,) = parts_of(out)
    (part / "entities.parquet").unlink()

    summary = run_pipeline(corpus, out)

    assert summary.rows["entities"] == first.rows["entities"]
    assert len(rows(out, "entities")) == first.rows["entities"]


def test_parts_written_before_files_were_recorded_are_checked_and_recorded(corpus, first_run):
    out, _ = first_run
    db = sqlite3.connect(out / ".etl" / "state.sqlite")
    db.execute("UPDATE parts SET files = NULL")
    db.commit()
    db.close()
    summary = run_pipeline(corpus, out, stages=NO_NLP)
    assert summary.documents["unchanged"] == 5
    db = sqlite3.connect(out / ".etl" / "state.sqlite")
    assert all(files for (files,) in db.execute("SELECT files FROM parts"))
    db.close()


# --- a damaged manifest -------------------------------------------------------------------------------


@pytest.mark.parametrize("damage", ["garbage", "truncate"])
def test_a_damaged_manifest_is_a_message_and_rebuild_repairs_it(corpus, first_run, damage):
    out, _ = first_run
    # Two runs of history to keep (the second publishes: a setting of an enrich plugin changed).
    second = run_pipeline(corpus, out, stages=NO_NLP, plugins={"copies": {"copy_containment": 0.61}})
    state = out / ".etl" / "state.sqlite"
    if damage == "garbage":
        state.write_bytes(os.urandom(8192))
    else:
        state.write_bytes(state.read_bytes()[: state.stat().st_size // 2])
    published = (out / "tables").resolve()
    args = (corpus, out)

    result = etl_run(*args)

    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "manifest" in result.output and "damaged" in result.output and "--rebuild" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert (out / "tables").resolve() == published and len(rows(out, "articles")) == 5

    result = etl_run(*args, "--rebuild")

    assert result.exit_code == 0, result.output
    assert "5 new" in result.output
    assert len(rows(out, "articles")) == 5
    runs = [r["run_id"] for r in rows(out, "runs")]
    assert second.run_id in runs and len(runs) == 3  # the history survived the rebuild
    assert etl_run(*args).exit_code == 0


def test_rebuild_keeps_the_published_tables_until_it_publishes(corpus, first_run, monkeypatch):
    out, _ = first_run
    published = (out / "tables").resolve()

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("etl.run.run_enrich", killed)
    with pytest.raises(KeyboardInterrupt):
        run([str(corpus)], Config(out=out, workers=1, stages=NO_NLP), load_entrypoints=False, rebuild=True)
    assert (out / "tables").resolve() == published and len(rows(out, "articles")) == 5


# --- full disks and read-only folders -----------------------------------------------------------------


def no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_while_extracting_is_a_message(corpus, tmp_path, monkeypatch):
    monkeypatch.setattr("etl.worker.pq.write_table", no_space)
    result = etl_run(corpus, tmp_path / "out")
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit), result.exception
    assert "disk holding" in result.output and "is full" in result.output and "nothing was published" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_full_disk_while_publishing_is_a_message_and_keeps_the_tables(corpus, first_run, monkeypatch):
    out, _ = first_run
    published = (out / "tables").resolve()
    (corpus / "new.txt").write_text("A new story.\n\nIt has two paragraphs about the council.\n")

    def load(pipeline, run, db):
        raise PluginFailed("parquet", "load", OSError(errno.ENOSPC, "No space left on device"))

    monkeypatch.setattr("etl.run.run_load", load)
    result = etl_run(corpus, out)
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit), result.exception
    assert "is full" in result.output and f"run {published.name}) are unchanged" in result.output
    assert (out / "tables").resolve() == published
    assert not (out / ".etl" / "work").exists()  # the work database does not keep the space


def test_a_full_disk_after_publishing_is_not_a_failure(corpus, first_run, monkeypatch):
    out, _ = first_run
    (corpus / "new.txt").write_text("A new story.\n\nIt has two paragraphs about the council.\n")

    def full(self, run_id, status):
        exc = sqlite3.OperationalError("database or disk is full")
        exc.sqlite_errorname = "SQLITE_FULL"
        raise exc

    monkeypatch.setattr(Manifest, "set_run_status", full)
    result = etl_run(corpus, out)
    assert result.exit_code == 0, result.output
    assert "is published, but" in result.output
    assert len(rows(out, "articles")) == 6
    monkeypatch.undo()
    summary = run_pipeline(corpus, out, stages=NO_NLP)  # the next run is fine and says it completed
    statuses = {r["run_id"]: r["status"] for r in rows(out, "runs")}
    assert set(statuses.values()) == {"completed"} and summary.run_id in statuses


def test_a_read_only_output_folder_is_a_message(corpus, tmp_path, monkeypatch):
    real_mkdir = Path.mkdir

    def read_only(self, *args, **kwargs):
        if tmp_path / "out" in [self, *self.parents]:
            raise OSError(errno.EROFS, "Read-only file system", str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", read_only)
    result = etl_run(corpus, tmp_path / "out")
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit), result.exception
    assert "cannot write to" in result.output and "Read-only file system" in result.output


# Real file systems, where the sandbox allows mounting them (root, and mount permitted); skipped elsewhere.

def mounted_tmpfs(tmp_path, size):
    mount = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    mount.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)],
                                           capture_output=True, check=False).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.fixture
def small_disk(tmp_path):
    yield from mounted_tmpfs(tmp_path, "600k")


@pytest.fixture
def disk(tmp_path):
    yield from mounted_tmpfs(tmp_path, "64m")


def big_corpus(folder, files=40):
    folder.mkdir()
    words = [f"word{i}" for i in range(5000)]
    for n in range(files):
        text = "\n\n".join(" ".join(words[(n * 97 + k * 13 + j) % 5000] for j in range(60)) + "."
                           for k in range(40))
        (folder / f"{n:03}.txt").write_text(f"Title {n}\n\n{text}\n")
    return folder


def test_a_real_full_disk_is_a_message(tmp_path, small_disk):
    corpus = big_corpus(tmp_path / "in")
    result = etl_run(corpus, small_disk / "out")
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "is full" in result.output and "Free some space" in result.output


def test_a_real_read_only_folder_is_a_message(corpus, disk):
    out = disk / "out"
    assert etl_run(corpus, out).exit_code == 0
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
    (corpus / "new.txt").write_text("A new story.\n\nAbout the council.\n")
    result = etl_run(corpus, out)
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "cannot write" in result.output


def test_store_errors_say_what_to_do():
    from etl.store import failure

    out = Path("/data/out")
    full = failure(OSError(errno.ENOSPC, "No space left on device"), out, "R1")
    assert isinstance(full, StoreError) and "Free some space" in str(full) and "run R1" in str(full)
    assert failure(ValueError("a bug"), out) is None
    assert failure(FileNotFoundError(errno.ENOENT, "gone", "/elsewhere/x"), out) is None
