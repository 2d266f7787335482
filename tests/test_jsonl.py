"""The jsonl parse plugin: JSON Lines and JSON files, one article per record, with a field mapping.

Runs use only the parse stage under test (clean and extract are switched off) and a stand-in HTML
parser, so the tests do not depend on the real HTML parser or on spaCy.
"""

from __future__ import annotations

import hashlib
import shutil
from datetime import datetime, timezone

import pytest

from conftest import DATA, StandInHtml, rows, run_pipeline
from etl.manager import get_plugin_manager
from etl.sources import Source
from etl_plugins import jsonl

JSONL_DATA = DATA / "jsonl"
ONLY_PARSE = {"stages": {"parse": ("stand-in-html", "jsonl"), "clean": (), "extract": ()}}


def manager():
    pm = get_plugin_manager(load_entrypoints=False)
    if not pm.has_plugin(jsonl.NAME):
        pm.register(jsonl, jsonl.NAME)
    pm.register(StandInHtml(), "stand-in-html")
    return pm


def run(paths, out, **options):
    return run_pipeline(paths, out, pm=manager(), **ONLY_PARSE, **options)


def by_index(out, table="articles"):
    return {int(row["source_uri"].rsplit("#", 1)[1]): row for row in rows(out, table)}


def utc(*parts):
    return datetime(*parts, tzinfo=timezone.utc)


def test_each_line_is_an_article_with_its_metadata(tmp_path):
    out = tmp_path / "out"
    summary = run(JSONL_DATA / "wire.jsonl", out)
    assert summary.documents["new"] == 5 and summary.documents["failed"] == 0
    articles = by_index(out)
    uri = (JSONL_DATA / "wire.jsonl").resolve().as_uri()
    assert sorted(articles) == [0, 1, 3, 4, 5], "a blank line keeps its number"
    assert all(a["source_uri"] == f"{uri}#{n}" for n, a in articles.items())
    bridge = articles[0]
    assert bridge["title"] == "Harbour bridge reopens after storm repairs"
    assert bridge["text"] == ("The Kessel harbour bridge reopened on Monday after six weeks of repairs.\n\n"
                              "Officials said the storm in October had damaged two of its supports.")
    assert bridge["authors"] == ["Mara Lind", "Tomas Berg"]
    assert bridge["publisher"] == "Northwire" and bridge["language"] == "en"
    assert bridge["url"] == "https://wire.example/bridge"
    assert bridge["published_at"] == utc(2025, 11, 17, 8, 30) and bridge["published_at_source"] == "metadata"
    assert bridge["media_type"] == "application/jsonl"
    assert articles[1]["authors"] == ["Ana Ruiz"] and articles[1]["published_at"] == utc(2025, 11, 18)
    assert articles[3]["published_at"] == utc(2025, 11, 19, 14) and articles[3]["language"] is None
    assert articles[4]["published_at"] == utc(2025, 11, 20, 10, 40), "Unix seconds"
    assert articles[5]["authors"] == ["Ivo Sand", "Petra Holm"]
    assert articles[5]["published_at"] is None and articles[5]["published_at_source"] is None
    headlines = [s for s in rows(out, "segments") if s["label"] == "headline"]
    assert len(headlines) == 5, "the title is kept as a headline segment, not body text"


def test_a_malformed_line_is_one_error_and_the_other_lines_load(tmp_path):
    out = tmp_path / "out"
    summary = run(JSONL_DATA / "mixed.jsonl", out)
    assert (summary.documents["new"], summary.documents["failed"]) == (3, 1)
    assert sorted(by_index(out)) == [0, 2, 3]
    (error,) = rows(out, "errors")
    assert error["source_uri"] == (JSONL_DATA / "mixed.jsonl").resolve().as_uri() + "#1"
    assert (error["stage"], error["plugin"], error["error_type"]) == ("parse", "jsonl", "UnreadableInput")
    assert "line 2 (record #1) is not valid JSON" in error["message"]


def test_a_second_run_changes_nothing(tmp_path):
    out = tmp_path / "out"
    run(JSONL_DATA / "wire.jsonl", out)
    again = run(JSONL_DATA / "wire.jsonl", out)
    assert again.documents == {"seen": 5, "new": 0, "changed": 0, "unchanged": 5, "failed": 0, "partial": 0}


def test_changing_one_line_reprocesses_only_that_record(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    path = corpus / "wire.jsonl"
    shutil.copy(JSONL_DATA / "wire.jsonl", path)
    out = tmp_path / "out"
    run(corpus, out)
    before = by_index(out)
    path.write_text(path.read_text().replace("voted seven to two", "voted eight to one"))
    summary = run(corpus, out)
    assert (summary.documents["changed"], summary.documents["unchanged"], summary.documents["new"]) == (1, 4, 0)
    after = by_index(out)
    assert "voted eight to one" in after[3]["text"]
    assert after[3]["run_id"] != before[3]["run_id"]
    assert all(after[n]["run_id"] == before[n]["run_id"] for n in (0, 1, 4, 5))


def test_an_unchanged_bad_line_stays_unchanged_when_another_line_changes(tmp_path):
    path = tmp_path / "mixed.jsonl"
    shutil.copy(JSONL_DATA / "mixed.jsonl", path)
    out = tmp_path / "out"
    run(path, out)
    path.write_text(path.read_text().replace("by noon", "by one o'clock"))
    summary = run(path, out)
    counts = summary.documents
    assert (counts["changed"], counts["unchanged"], counts["failed"]) == (1, 3, 0), "the bad line is unchanged too"
    assert len(rows(out, "errors")) == 1


def test_a_field_mapping_reads_another_layout(tmp_path):
    out = tmp_path / "out"
    fields = {"text": "body", "title": "headline", "published_at": "meta.date", "url": "meta.link",
              "authors": "byline", "publisher": "source.name"}
    summary = run(JSONL_DATA / "feed.json", out, plugins={"jsonl": {"fields": fields}})
    assert (summary.documents["new"], summary.documents["failed"]) == (2, 1)
    storm, dredging = by_index(out)[0], by_index(out)[1]
    assert storm["title"] == "Storm warning for the coast"
    assert storm["text"] == ("Forecasters issued a storm warning for the whole coast.\n\n"
                             "Winds may reach 110 km/h on Friday."), "a list of paragraphs"
    assert storm["published_at"] == utc(2025, 12, 4, 23) and storm["url"] == "https://coastal.example/storm"
    assert storm["authors"] == ["Jon Park", "Lea Voss"] and storm["publisher"] == "Coastal Daily"
    assert storm["media_type"] == "application/json"
    assert dredging["published_at"] == utc(2025, 12, 5) and dredging["authors"] == ["Lea Voss"]
    (error,) = rows(out, "errors")
    assert error["source_uri"].endswith("feed.json#2") and "has no text" in error["message"]
    assert "'body'" in error["message"], "the message names where the text was looked for"


def test_per_file_mappings_apply_to_the_files_their_glob_matches(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "guardian-2025.jsonl").write_text(
        '{"webTitle": "Rail strike called off", "fields": {"bodyText": "The rail strike was called off."}}\n')
    (corpus / "other.jsonl").write_text('{"title": "Bakery wins prize", "text": "A local bakery won a prize."}\n')
    out = tmp_path / "out"
    sources = {"guardian-*.jsonl": {"text": "fields.bodyText", "title": "webTitle"}}
    summary = run(corpus, out, plugins={"jsonl": {"sources": sources}})
    assert (summary.documents["new"], summary.documents["failed"]) == (2, 0)
    assert {a["title"]: a["text"] for a in rows(out, "articles")} == {
        "Rail strike called off": "The rail strike was called off.",
        "Bakery wins prize": "A local bakery won a prize.",
    }


def test_a_mapping_naming_an_unknown_column_is_reported(tmp_path):
    out = tmp_path / "out"
    summary = run(JSONL_DATA / "wire.jsonl", out, plugins={"jsonl": {"fields": {"bdy": "body"}}})
    assert summary.documents["failed"] == 1 and rows(out, "articles") == []
    (error,) = rows(out, "errors")
    assert "unknown column 'bdy'" in error["message"] and "#" not in error["source_uri"]


def test_html_records_go_through_the_installed_html_parser(tmp_path):
    out = tmp_path / "out"
    summary = run(JSONL_DATA / "pages.jsonl", out)
    assert (summary.documents["new"], summary.documents["failed"]) == (2, 0)
    bikes, tram = by_index(out)[0], by_index(out)[1]
    assert bikes["media_type"] == "text/html"
    assert bikes["text"] == "The mayor opened three new bike lanes on Saturday.\n\nMore are planned for next year."
    assert bikes["title"] == "Mayor opens bike lanes", "the record's title wins over the page's"
    assert tram["title"] == "Tram line delayed", "without one in the record, the page's title stays"
    assert bikes["published_at"] == utc(2025, 10, 4, 8) and bikes["url"] == "https://city.example/bikes"
    first_line = (JSONL_DATA / "pages.jsonl").read_bytes().splitlines()[0]
    assert bikes["content_sha256"] == hashlib.sha256(first_line).hexdigest(), "the digest covers the whole record"


def test_records_that_cannot_be_used_are_errors_and_the_rest_load(tmp_path):
    path = tmp_path / "bad.jsonl"
    too_long = '{"text": "' + "long " * 100 + '"}'
    path.write_text("\n".join(['["an", "array"]', '{"title": "No text here"}', too_long,
                               '{"text": "A short good record."}']) + "\n")
    out = tmp_path / "out"
    summary = run(path, out, max_document_bytes=200)
    assert (summary.documents["new"], summary.documents["failed"]) == (1, 3)
    assert [a["text"] for a in rows(out, "articles")] == ["A short good record."]
    errors = {int(e["source_uri"].rsplit("#", 1)[1]): e for e in rows(out, "errors")}
    assert "is a JSON array, not an object" in errors[0]["message"]
    assert "has no text" in errors[1]["message"]
    assert errors[2]["error_type"] == "DocumentTooLarge" and f"{len(too_long)} bytes" in errors[2]["message"]


def test_an_empty_file_is_an_error_not_silence(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_text("\n\n")
    out = tmp_path / "out"
    assert run(path, out).documents["failed"] == 1
    assert "empty" in rows(out, "errors")[0]["message"]


class _Settings:
    def settings(self, name):
        return {"fields": {}, "sources": {}, "list_keys": jsonl.DEFAULT_LIST_KEYS}


def parse(path):
    return list(jsonl.etl_parse(Source(path, 10_000), _Settings()))


def test_json_files_hold_an_array_a_listed_key_or_one_object(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('[{"text": "first"}, {"text": "second"}]')
    documents = parse(path)
    assert [(d.source_uri.rsplit("#")[1], d.segments[0].text) for d in documents] == [("0", "first"), ("1", "second")]
    path.write_text('{"status": "ok", "results": [{"text": "found"}]}')
    assert [d.segments[0].text for d in parse(path)] == ["found"]
    path.write_text('{"text": "just one", "title": "One"}')
    (doc,) = parse(path)
    assert doc.source_uri.endswith("x.json#0") and doc.title == "One"


def test_json_lines_saved_as_json_are_read_as_lines(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"text": "one"}\n{"text": "two"}\n')
    assert [d.segments[0].text for d in parse(path)] == ["one", "two"]


def test_a_json_file_broken_midway_keeps_the_records_before(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('[{"text": "one"}, {"text": "two"}, {"text": ')
    documents = jsonl.etl_parse(Source(path, 10_000), _Settings())
    assert next(documents).segments[0].text == "one" and next(documents).segments[0].text == "two"
    with pytest.raises(Exception, match="malformed JSON after record #1"):
        next(documents)


def test_other_files_are_left_to_other_parsers(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text('{"text": "looks like JSON"}')
    assert jsonl.etl_parse(Source(path, 10_000), _Settings()) is None


@pytest.mark.parametrize("value, expected", [
    ("2025-12-11T10:00:00+02:00", utc(2025, 12, 11, 8)),
    ("2025-12-11", utc(2025, 12, 11)),
    ("Thu, 11 Dec 2025 10:00:00 GMT", utc(2025, 12, 11, 10)),
    (1765447200000, utc(2025, 12, 11, 10)),
    ("December 2025", utc(2025, 12, 1)),
    ("not a date", None),
    (True, None),
])
def test_dates_become_utc(value, expected):
    assert jsonl.parse_date(value) == expected


def test_dotted_paths_and_exact_keys():
    record = {"meta": {"date": "x"}, "a.b": "exact", "a": {"b": "nested"}, "empty": ""}
    assert jsonl.lookup(record, ("meta.date",)) == "x"
    assert jsonl.lookup(record, ("a.b",)) == "exact"
    assert jsonl.lookup(record, ("empty", "missing.key", "meta.date")) == "x", "the first present path wins"


def test_a_mapped_column_falls_back_to_its_own_name_and_empty_ignores_it(tmp_path):
    settings = {"fields": {"text": "body", "title": ""},
                "sources": {"*/feeds/*.json": {"url": ["link", "meta.url"]}}}
    mapping = jsonl.field_mapping(settings, tmp_path / "feeds" / "a.json")
    assert mapping["text"] == ("body", "text") and mapping["title"] == ()
    assert mapping["url"] == ("link", "meta.url", "url") and mapping["language"] == ("language",)
    assert jsonl.field_mapping(settings, tmp_path / "other" / "a.json")["url"] == ("url",)
