"""The `language` clean plugin: the language of the text, the markup only a hint."""

from __future__ import annotations

import pytest

from conftest import rows, run_pipeline
from etl import Contract, hookimpl
from etl.manager import get_plugin_manager
from etl_plugins import language

NO_NLP = ("spacy", "entities", "claims", "figures", "events")
SETTINGS = {name: spec.default for name, spec in language.etl_settings().items()}
THAI = ("ผู้สื่อข่าวได้รับแจ้งจากเจ้าหน้าที่ตำรวจว่าพบศพลอยอยู่ในแม่น้ำโขง ใกล้กับหมู่บ้านริมฝั่ง "
        "เจ้าหน้าที่ได้นำศพไปตรวจพิสูจน์ดีเอ็นเอที่โรงพยาบาลในจังหวัด และผลยืนยันว่าเป็นบุคคลที่หายตัวไป")
GEORGIAN = ("საქართველოს პარლამენტმა ხუთშაბათს მიიღო ახალი კანონი, რომელიც ადგილობრივ ბიუჯეტებს "
            "დამატებით სახსრებს გამოუყოფს გზების შეკეთებისთვის.")
ARABIC = "أكدت جهات سورية معارضة أن فصائل مسلحة سيطرت على مخازن للصواريخ في ريف دمشق بعد اشتباكات عنيفة."


def html_page(body: str, lang: str | None) -> str:
    attribute = f' lang="{lang}"' if lang else ""
    paragraphs = "".join(f"<p>{text}</p>" for text in body.split("\n"))
    return (f"<!doctype html><html{attribute}><head><meta charset='utf-8'><title>Page</title></head>"
            f"<body><article>{paragraphs}</article></body></html>")


@pytest.mark.parametrize(("text", "code"), [(THAI, "th"), (GEORGIAN, "ka"), (ARABIC, "ar")])
def test_the_text_decides_the_language(text, code):
    assert language.detect_language(text, SETTINGS) == code


def test_a_script_lingua_has_no_model_for_is_named_by_the_script():
    burmese = "နိုင်ငံတော်အကြည်ညိုပျက်စေမှု ပုဒ်မ ၅၀၅ (ခ) နဲ့ တရားစွဲ အဖမ်းခံထားရတဲ့ အလဲဗင်းသတင်းထောက်"
    assert language.detect_language(burmese + " AFP news", SETTINGS) == "my"
    ethiopic = "የኢትዮጵያ ፓርላማ ዛሬ አዲስ ሕግ አጸደቀ። ሕጉ ለክልሎች ተጨማሪ በጀት ይሰጣል።"
    assert language.detect_language(ethiopic, SETTINGS) is None, "several languages share the script"


def test_too_little_text_gives_no_answer():
    assert language.detect_language("OK 2024", SETTINGS) is None
    assert language.detect_language("", SETTINGS) is None


def test_pages_marked_wrongly_or_not_at_all_get_the_language_of_their_text(tmp_path):
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "thai_marked_en.html").write_text(html_page(THAI + "\n" + THAI, "en"), encoding="utf-8")
    (folder / "georgian_unmarked.html").write_text(html_page(GEORGIAN + "\n" + GEORGIAN, None), encoding="utf-8")
    (folder / "short_marked_de.html").write_text(html_page("Ja.", "de"), encoding="utf-8")
    (folder / "content_language_utf8.html").write_text(
        html_page(ARABIC + "\n" + ARABIC, None).replace(
            "<title>", '<meta http-equiv="Content-Language" content="UTF-8"><title>'), encoding="utf-8")
    out = tmp_path / "out"
    run_pipeline(folder, out, disable=NO_NLP)
    found = {row["source_uri"].rsplit("/", 1)[1]: (row["language"], row["language_source"])
             for row in rows(out, "articles")}
    assert found == {
        "thai_marked_en.html": ("th", "text"),
        "georgian_unmarked.html": ("ka", "text"),
        "short_marked_de.html": ("de", "markup"),
        "content_language_utf8.html": ("ar", "text"),
    }


class LanguageReader:
    """An extract plugin that needs the article's language, as a per-language NLP plugin would."""

    def __init__(self):
        self.seen: list[str | None] = []

    @hookimpl
    def etl_contract(self):
        return {"extract": Contract(needs=("articles.language",))}

    @hookimpl
    def etl_extract(self, documents, config):
        self.seen.extend(doc.language for doc in documents)


def test_the_language_is_set_before_extract_plugins_run(tmp_path):
    path = tmp_path / "ka.html"
    path.write_text(html_page(GEORGIAN + "\n" + GEORGIAN, "en"), encoding="utf-8")
    reader = LanguageReader()
    pm = get_plugin_manager(load_entrypoints=False)
    pm.register(reader, "language_reader")
    run_pipeline(path, tmp_path / "out", pm=pm, disable=NO_NLP)
    assert reader.seen == ["ka"]


def test_without_the_language_plugin_a_need_for_the_language_is_refused(tmp_path):
    path = tmp_path / "ka.html"
    path.write_text(html_page(GEORGIAN, "ka"), encoding="utf-8")
    pm = get_plugin_manager(load_entrypoints=False)
    pm.register(LanguageReader(), "language_reader")
    with pytest.raises(Exception, match=r"articles\.language"):
        run_pipeline(path, tmp_path / "out", pm=pm, disable=(*NO_NLP, "language"))


def test_the_detector_is_built_once_per_process_and_the_mode_is_checked():
    assert language.detector("low") is language.detector("low")
    with pytest.raises(ValueError, match="accuracy must be 'low' or 'high'"):
        language.detector("medium")


def test_a_sure_opening_settles_the_language_else_the_full_sample_is_read(monkeypatch):
    read = []

    class Stub:  # lingua's answer: sure of the opening, or not, as the test says
        sure = True

        def compute_language_confidence_values(self, text):
            read.append(len(text))
            from lingua import Language
            value = 0.9999 if self.sure or len(text) > SETTINGS["quick_chars"] else 0.6
            return [type("Value", (), {"language": Language.FRENCH if len(text) > SETTINGS["quick_chars"]
                                       else Language.ENGLISH, "value": value})()]

    stub = Stub()
    monkeypatch.setattr(language, "detector", lambda accuracy: stub)
    text = "word " * 400
    assert language.detect_language(text, SETTINGS) == "en" and read == [SETTINGS["quick_chars"]]
    read.clear()
    stub.sure = False
    assert language.detect_language(text, SETTINGS) == "fr", "unsure of the opening: the full sample decides"
    assert read == [SETTINGS["quick_chars"], SETTINGS["sample_chars"]]
    read.clear()
    assert language.detect_language(text, dict(SETTINGS, quick_chars=0)) == "fr" and read == [SETTINGS["sample_chars"]]
    read.clear()
    assert language.detect_language("word " * 40, SETTINGS) == "en", "shorter than the opening: read once, whole"
    assert read == [200]
