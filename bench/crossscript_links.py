"""One entity across scripts and languages: how many links `entity_links` finds, and how many wrong merges.

    python bench/crossscript_links.py            # the linking step alone, on the mentions written below
    python bench/crossscript_links.py --show     # and every entity with its names
    python bench/crossscript_links.py --scale 60000   # time the clustering of that many made-up names

Short documents written for this benchmark (no news text is copied) in English, French, German, Polish,
Russian and Ukrainian name one town (Siversk: Сіверськ, Северск, Siwersk, with case endings), two
cities (Kharkiv: Харків, Харьков, Charkiw, Charków; Kyiv: Київ, Киев, Kiew, Kijów, Kiev), a president
(Volodymyr Zelensky: Володимир Зеленський, Владимир Зеленский, Wolodymyr Selenskyj, Wołodymyr
Zełenski), a general (Oleksandr Syrskyi) and, as distractors, people and places that share their
romanized names: his wife Olena Zelenska, two Shevchenkos (Andriy, the footballer; Taras, the poet),
Thomas Miller and Thomas Müller, Sievierodonetsk beside Siversk. One distractor is out of reach by
design: Seversk near Tomsk is written "Северск" like the Russian name of Siversk, and nothing but
context tells them apart.

Each document lists its mentions (text, label) as an extractor would give them, with the article's
language; they go through the `entity_links` enrich plugin alone (on DuckDB tables shaped like the
run's), so the figures measure linking, not recognition. Reported: pairs of mentions of one entity
that share an `entity_id` (links found, of all such pairs), pairs of mentions of two entities that
share one (wrong merges), B-cubed precision/recall/F1, and the `canonical_name` of each entity
(the corpus is mostly English: the English form is expected).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path

from coref_metrics import b_cubed_of_labels  # noqa: E402 - bench/ is not a package: found through sys.path

REPO = Path(__file__).resolve().parent.parent

# (doc_id, language, text, [(mention, label, gold entity)]): mentions are found in the text in order.
DOCUMENTS = [
    ("en-1", "en", "Shelling hit Siversk overnight, and Volodymyr Zelensky promised help. Zelensky spoke "
     "from Kharkiv.", [("Siversk", "GPE", "siversk"), ("Volodymyr Zelensky", "PERSON", "zelensky"),
                       ("Zelensky", "PERSON", "zelensky"), ("Kharkiv", "GPE", "kharkiv")]),
    ("en-2", "en", "Olena Zelenska opened a school in Kharkiv. Zelenska thanked the teachers.",
     [("Olena Zelenska", "PERSON", "zelenska"), ("Kharkiv", "GPE", "kharkiv"), ("Zelenska", "PERSON", "zelenska")]),
    ("en-3", "en", "Andriy Shevchenko watched the match. Shevchenko later visited Sievierodonetsk.",
     [("Andriy Shevchenko", "PERSON", "andriy"), ("Shevchenko", "PERSON", "andriy"),
      ("Sievierodonetsk", "GPE", "sievierodonetsk")]),
    ("en-4", "en", "Pupils read Taras Shevchenko aloud in Siversk.",
     [("Taras Shevchenko", "PERSON", "taras"), ("Siversk", "GPE", "siversk")]),
    ("fr-1", "fr", "Les combats se poursuivent autour de Siversk, a déclaré Volodymyr Zelensky.",
     [("Siversk", "GPE", "siversk"), ("Volodymyr Zelensky", "PERSON", "zelensky")]),
    ("fr-2", "fr", "Un poème de Taras Chevtchenko a été lu à Kharkiv.",
     [("Taras Chevtchenko", "PERSON", "taras"), ("Kharkiv", "GPE", "kharkiv")]),
    ("de-1", "de", "Die Lage in Siwersk bleibt angespannt, sagte Wolodymyr Selenskyj. Selenskyj reiste "
     "danach nach Charkiw.", [("Siwersk", "GPE", "siwersk"), ("Wolodymyr Selenskyj", "PERSON", "zelensky"),
                              ("Selenskyj", "PERSON", "zelensky"), ("Charkiw", "GPE", "kharkiv")]),
    ("de-2", "de", "Andrij Schewtschenko und Olena Selenska besuchten ein Krankenhaus.",
     [("Andrij Schewtschenko", "PERSON", "andriy"), ("Olena Selenska", "PERSON", "zelenska")]),
    ("pl-1", "pl", "Ostrzelano Siwersk. Wołodymyr Zełenski odwiedził Charków.",
     [("Siwersk", "GPE", "siwersk"), ("Wołodymyr Zełenski", "PERSON", "zelensky"), ("Charków", "GPE", "kharkiv")]),
    ("pl-2", "pl", "W Siwersku nie ma prądu, a w Siewierodoniecku wody.",
     [("Siwersku", "GPE", "siwersk"), ("Siewierodoniecku", "GPE", "sievierodonetsk")]),
    ("ru-1", "ru", "В Северске снова стреляли. Владимир Зеленский прибыл в Харьков.",
     [("Северске", "GPE", "siversk"), ("Владимир Зеленский", "PERSON", "zelensky"), ("Харьков", "GPE", "kharkiv")]),
    ("ru-2", "ru", "Стихи Тараса Шевченко читали в Харькове.",
     [("Тараса Шевченко", "PERSON", "taras"), ("Харькове", "GPE", "kharkiv")]),
    ("uk-1", "uk", "Бої тривають біля Сіверська. Сіверськ обстрілюють щодня, заявив Володимир Зеленський.",
     [("Сіверська", "GPE", "siversk"), ("Сіверськ", "GPE", "siversk"),
      ("Володимир Зеленський", "PERSON", "zelensky")]),
    ("uk-2", "uk", "У Сіверську знову немає світла. Олена Зеленська передала генератори.",
     [("Сіверську", "GPE", "siversk"), ("Олена Зеленська", "PERSON", "zelenska")]),
    ("uk-3", "uk", "Андрій Шевченко приїхав до Сєвєродонецька. Шевченко говорив з дітьми.",
     [("Андрій Шевченко", "PERSON", "andriy"), ("Сєвєродонецька", "GPE", "sievierodonetsk"),
      ("Шевченко", "PERSON", "andriy")]),
    ("en-5", "en", "Kharkiv and Siversk were shelled again, Zelensky said.",
     [("Kharkiv", "GPE", "kharkiv"), ("Siversk", "GPE", "siversk"), ("Zelensky", "PERSON", "zelensky")]),
    ("en-6", "en", "Oleksandr Syrskyi flew to Kyiv.",
     [("Oleksandr Syrskyi", "PERSON", "syrskyi"), ("Kyiv", "GPE", "kyiv")]),
    ("fr-3", "fr", "Le général Oleksandr Syrsky est arrivé à Kiev.",
     [("Oleksandr Syrsky", "PERSON", "syrskyi"), ("Kiev", "GPE", "kyiv")]),
    ("de-3", "de", "Olexandr Syrskyj traf in Kiew ein.", [("Olexandr Syrskyj", "PERSON", "syrskyi"),
                                                          ("Kiew", "GPE", "kyiv")]),
    ("pl-3", "pl", "Ołeksandr Syrski przyleciał do Kijowa. W Kijowie padał deszcz.",
     [("Ołeksandr Syrski", "PERSON", "syrskyi"), ("Kijowa", "GPE", "kyiv"), ("Kijowie", "GPE", "kyiv")]),
    ("ru-3", "ru", "Александр Сырский прилетел в Киев.", [("Александр Сырский", "PERSON", "syrskyi"),
                                                          ("Киев", "GPE", "kyiv")]),
    ("uk-4", "uk", "Олександр Сирський прибув до Києва. У Києві тихо.",
     [("Олександр Сирський", "PERSON", "syrskyi"), ("Києва", "GPE", "kyiv"), ("Києві", "GPE", "kyiv")]),
    ("en-7", "en", "Thomas Miller scored twice.", [("Thomas Miller", "PERSON", "miller")]),
    ("de-4", "de", "Thomas Müller traf zum Ausgleich.", [("Thomas Müller", "PERSON", "mueller")]),
    # a namesake no name-only rule can tell apart: Seversk near Tomsk, in Siberia, is not Siversk in Donbas
    ("ru-4", "ru", "Северск под Томском отметил юбилей.", [("Северск", "GPE", "seversk-tomsk"),
                                                           ("Томском", "GPE", "tomsk")]),
]
#: Siwersk is the Polish and German spelling of Siversk: one town.
SAME = {"siwersk": "siversk"}


def linked_mentions():
    """Run `entity_links` over DOCUMENTS: [(doc_id, text, gold, entity_id, canonical_name)]."""
    import duckdb
    import pyarrow as pa

    import etl_plugins.entities.links as entity_links
    from etl import Config
    from etl.model import BASE_TABLES, mention_id_for

    articles, entities, gold = [], [], {}
    for doc_id, language, text, mentions in DOCUMENTS:
        articles.append({"doc_id": doc_id, "text": text, "language": language})
        at = 0
        for surface, label, entity in mentions:
            start = text.index(surface, at)
            at = start + len(surface)
            mention_id = mention_id_for(doc_id, start, at)
            gold[mention_id] = SAME.get(entity, entity)
            entities.append({"doc_id": doc_id, "mention_id": mention_id, "start": start, "end": at, "text": surface,
                             "label": label, "sentence": 0, "plugin": "bench"})
    db = duckdb.connect()
    for table, schema in BASE_TABLES.items():
        rows = {"articles": articles, "entities": entities}.get(table, [])
        db.register("_rows", pa.Table.from_pylist(rows, schema=schema))
        db.execute(f'CREATE TABLE "{table}" AS SELECT * FROM _rows')
        db.unregister("_rows")
    entity_links.etl_enrich(db=db, config=Config(), changes=None)
    return [(doc_id, text, gold[mention_id], entity_id, canonical) for doc_id, mention_id, text, entity_id, canonical
            in db.execute("SELECT doc_id, mention_id, text, entity_id, canonical_name FROM entities "
                          "ORDER BY doc_id, start").fetchall()]


def time_clustering(count: int) -> None:
    """Seconds `cluster_names` takes on `count` made-up names (syllables, and random Cyrillic letters for
    the Russian and Ukrainian ones) in six languages, beside the same names with the Cyrillic ones left
    out and all of one language, where the cross-script rules are skipped."""
    import random
    import time

    import etl_plugins.entities.links as entity_links

    rng = random.Random(1)
    syllables = ["ka", "ro", "vi", "ser", "lo", "mi", "na", "shev", "chen", "ko", "dan", "ov", "sk", "ir", "tra"]
    cyrillic = "абвгдеєжзиіїйклмнопрстуфхцчшщюя"
    names = []
    for _ in range(count):
        language = rng.choice(["en", "en", "en", "de", "fr", "pl", "uk", "ru"])
        words = []
        for _ in range(rng.randint(1, 3)):
            if language in ("uk", "ru"):
                words.append("".join(rng.choice(cyrillic) for _ in range(rng.randint(4, 9))).capitalize())
            else:
                words.append("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))).capitalize())
        surface = " ".join(words)
        names.append((rng.choice(["PER", "LOC", "ORG"]), surface.lower(), surface, language, rng.randint(1, 5)))
    for title, rows in (("six languages, two scripts", names),
                        ("Latin only, one language", [(c, k, s, "en", n) for c, k, s, _, n in names if s.isascii()])):
        started = time.perf_counter()
        entities, _ = entity_links.cluster_names(rows)
        print(f"{title}: {len(rows)} names, {len({e for e, _ in entities.values()})} entities, "
              f"{time.perf_counter() - started:.1f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--show", action="store_true", help="print every entity with its names")
    parser.add_argument("--scale", type=int, metavar="N", help="time the clustering of N made-up names instead")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    if args.scale:
        time_clustering(args.scale)
        return 0
    mentions = linked_mentions()
    same_entity = [(a, b) for a, b in combinations(mentions, 2) if a[2] == b[2]]
    other_entity = [(a, b) for a, b in combinations(mentions, 2) if a[2] != b[2]]
    found = sum(a[3] == b[3] for a, b in same_entity)
    wrong = [(a, b) for a, b in other_entity if a[3] == b[3]]
    precision, recall, f1 = b_cubed_of_labels([m[2] for m in mentions], [m[3] for m in mentions])
    languages = sorted({language for _, language, _, _ in DOCUMENTS})
    print(f"{len(DOCUMENTS)} documents ({', '.join(languages)}), {len(mentions)} mentions of "
          f"{len({m[2] for m in mentions})} entities")
    print(f"links found: {found} of {len(same_entity)} pairs of mentions of one entity "
          f"({found / len(same_entity):.1%})")
    print(f"wrong merges: {len(wrong)} of {len(other_entity)} pairs of mentions of two entities")
    for a, b in wrong:
        print(f"  {a[1]!r} ({a[2]}, {a[0]}) ~ {b[1]!r} ({b[2]}, {b[0]})")
    print(f"B-cubed: precision {precision:.1%}, recall {recall:.1%}, F1 {f1:.1%}")
    by_gold = defaultdict(Counter)
    for _, text, entity, entity_id, canonical in mentions:
        by_gold[entity][entity_id, canonical] += 1
    print("\nentity            clusters  canonical_name (mentions)")
    for entity, clusters in sorted(by_gold.items()):
        names = ", ".join(f"{name} ({n})" for (_, name), n in clusters.most_common())
        print(f"  {entity:16} {len(clusters):8}  {names}")
    if args.show:
        print()
        names = defaultdict(Counter)
        for _, text, _, entity_id, canonical in mentions:
            names[entity_id, canonical][text] += 1
        for (_, canonical), texts in sorted(names.items(), key=lambda item: item[0][1]):
            print(f"  {canonical}: {', '.join(sorted(texts))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
