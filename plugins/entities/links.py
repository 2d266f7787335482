"""Entities across the corpus: one label per name, and one `entity_id` per real-world entity.

Labels. The per-document vote of the `entities` plugin cannot fix a name that one article uses only
metonymically ("Kyiv insists ...", labelled PERSON) when another article shows what it is ("in Kyiv").
So each name (title- and article-stripped, case- and accent-folded) is looked at across the corpus,
and the words around each of its mentions are read again as evidence of its kind:

* place: "in/near/outside X" (not "in X's ..."), "the city/region/outskirts of X", "X region",
  "X, a town ...", "X, home to ...";
* person: a title before it ("President X"), ", who" after it, "his/her/himself/herself" following
  with only lower-case words between, or the name being the last word of a longer person name;
* organisation: "broadcaster/company ... X", "X's CEO/shareholders/...", "X, a company ...".

A name's spellings in other scripts and cases ("Siversk", "Сіверськ", "Сіверська") are weighed as one
name (`script_families`), so a model that mislabels one script is outvoted by the evidence of another.
A label is changed only when the evidence is lopsided: if exactly one kind (person, place,
organisation) has such evidence anywhere in the corpus, mentions labelled with another kind that has
none take it. If no kind has any, a name some document labels as a place and that is otherwise
labelled only weakly (PERSON on a one-word name, or ORG, PRODUCT and the like) becomes a place. NORP
("Russian") is never changed. No list of names is involved.

Identity. Mentions are clustered within a label class (PER; LOC = GPE/LOC/FAC; ORG; NORP; OTHER),
so a person never merges with a place. Within a class:

1. names with one key are one: titles, articles, possessives, case, accents, punctuation and (for
   organisations) legal forms ("Inc.", "Corporation", "PLC") do not split an entity;
2. spelling variants merge: same number of words, all but one equal, that one alphabetic, five
   letters or more and at least `similarity` (rapidfuzz ratio) alike ("Donbas" / "Donbass"). Only
   names in one block are compared (same class, word count and first two letters of every word; in
   a block over MAX_BLOCK names only WINDOW neighbours in sorted order), so cost stays linear.
   Legal forms are left out, British endings read as American ("Defence" / "Defense"), and a leading
   country abbreviation spelled out ("US Air Force" / "United States Air Force");
3. one name in several scripts, romanizations or cases merges ("Сіверськ", "Северск", "Siwersk",
   "Сіверська"; see `romanize`): only across two scripts or languages, or within a language that
   declines names, every word alike (`script_similarity`) after romanizing, compared within blocks of
   the same consonant skeleton; two Latin spellings of a person or organisation in two languages only
   when their conventions are all that differs; a surname's gender ending keeps Zelenska from Zelensky;
4. a short form joins the one longer name it stands for: a person name inside a longer one ending
   with the same word ("Putin" / "Vladimir Putin"; also across scripts: "Зеленського"), a product's
   model inside its name with the brand ("A380" / "Airbus A380"), an
   organisation's first words ("Northrop" / "Northrop Grumman"), an acronym of a name of its class
   ("GAO"). An acronym stands for the one name it spells out even when others begin with it ("GM",
   "GM Europe"); first words that begin several names stand for the one that adds only words of its
   trade ("Ford" / "Ford Motor Company", not "Ford Australia"). When the corpus holds several such
   names, a person name or acronym joins, in each document, the one that document names if exactly
   one; otherwise (and always for an organisation's first words) it stays apart.

`cluster_names` is a pure function from (class, key, surface, language, mentions) rows to clusters.
`entity_id` is a digest of the class and the cluster's fullest key (most words, then alphabetical),
so it depends only on the cluster, never on run or document order. `canonical_name` is a form used
in the corpus's majority language (`articles.language`), then the one with the most words, then the
most mentions. `claims.speaker_entity_id` follows `speaker_mention_id`. Everything heavy (context,
keys, counts) runs in DuckDB; Python sees one row per distinct name and language.

Incremental (`changes`, see `etl.changes`). Names fall into components (`name_links`): the names a rule
may compare or join (spelling variants, a stem, a short form and the names it may stand for, a block of
script variants or one over MAX_BLOCK names). `cluster_names` over whole components gives what it gives
over the corpus, so a call with changes prepares the changed documents' mentions only, clusters again
the components their names were in or now reach, and rewrites only the documents that mention a name
whose entity, canonical name or ambiguity changed, or whose mentions took another label. Kept between
runs: `entity_links__mentions` (each mention prepared, with the label it was extracted with),
`__nodes` (each name's entity and component), `__links`, `__state`. The corpus-wide inputs are read
from the whole corpus each call: the label evidence (counts per name), the majority language and
whether several scripts are present; a change of either of the last two reclusters every name.
Mentions are matched by (doc_id, mention_id), which the host makes unique.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Iterable

import pyarrow as pa
from rapidfuzz import fuzz

from etl import DEMONYM_FORM, Contract, Setting, hookimpl

from .demonyms import PLACE_OF_DEMONYM
from .names import (
    BRITISH_ENDINGS,
    COUNTRY_ABBREVIATIONS,
    LEGAL_FORMS,
    ORGANISATION_NOUNS,
    TITLES,
    TRADE_WORDS,
    alternation,
)
from .romanize import is_latin, romanized, skeleton, stem_word, surname_gender

NAME = "entity_links"
SIMILARITY = 90
SCRIPT_SIMILARITY = 80
LATIN_SIMILARITY = 90  # two Latin spellings of two languages: only the conventions may differ
#: A language tag's primary subtag, lower-cased ("pt-BR" -> "pt"), NULL when absent: what a mention's language
#: and the corpus's majority language are compared by.
LANGUAGE_SQL = "nullif(lower(regexp_extract(coalesce({column}, ''), '^[A-Za-z]+')), '')"
#: Languages whose names take case endings ("Сіверська", "Siwersku"): two of their mentions are compared
#: without endings even within one language. Cyrillic text of unknown language counts as one of them.
INFLECTING_LANGUAGES = frozenset({"ru", "uk", "be", "pl", "cs", "sk", "sl", "hr", "sr", "bs", "lt", "lv"})
MAX_BLOCK, WINDOW = 300, 20
CLASS_OF = {"PERSON": "PER", "GPE": "LOC", "LOC": "LOC", "FAC": "LOC", "ORG": "ORG", "NORP": "NORP"}
KIND_LABEL = {"PER": "PERSON", "ORG": "ORG"}  # LOC takes the name's own most used place label
#: Classes whose short forms may be the last words of a longer name: a person's surname, a product's model.
LAST_WORD_CLASSES = ("PER", "OTHER")
FUNCTION_WORDS = {"of", "and", "the", "for", "de", "du", "des", "la", "le", "el"}

_TITLES = alternation(TITLES)
TITLE_PREFIX = rf"^(?i:(?:{_TITLES})\.?\s+)+"
PLACE_CONTEXT = [
    ("before", r"(?i)(?:^|[^\pL])(?:in|near|inside|outside|across|throughout|toward|towards)\s+(?:the\s+)?$"),
    ("before", r"(?i)(?:city|town|village|region|province|oblast|district|capital|outskirts|suburbs?|residents"
               r"|inhabitants|mayor|east|west|north|south|centre|center|heart|streets?)\s+of\s+(?:the\s+)?$"),
    ("after", r"^\s+(?:region|oblast|province|district|direction|area)\b"),
    ("after", r"^,\s+(?:(?:a|an|the)\s+(?:[\pL-]+\s+){0,3}(?:city|town|village|settlement|region|province|"
              r"country|capital|port|hub|stronghold)\b|home\s+to\b)"),
]
PERSON_CONTEXT = [
    ("before", rf"(?i)(?:^|[^\pL])(?:{_TITLES})\.?\s+$"),
    ("after", r"^,\s+who\b"),
    ("after", r"^(?:['’]s)?\s+(?:[a-z]+\s+){0,4}(?:his|her|himself|herself)\b"),
]
_ORG_NOUNS = alternation(ORGANISATION_NOUNS)
ORG_CONTEXT = [
    ("before", rf"(?i)(?:^|[^\pL])(?:{_ORG_NOUNS})\s+$"),
    ("after", r"(?i)^(?:['’]s)?\s+(?:ceo|cfo|chairman|chairwoman|shareholders|employees|executives?|board)\b"),
    ("after", rf"^,\s+(?:a|an|the)\s+(?:[\pL-]+\s+){{0,3}}(?:{_ORG_NOUNS})\b"),
]


@hookimpl
def etl_contract():
    return {"enrich": Contract(
        reads=("entities", "claims.speaker_mention_id", "articles.language"),
        provides=("entities.label", "entities.entity_id", "entities.canonical_name", "claims.speaker_entity_id"),
        incremental=True)}


@hookimpl
def etl_settings():
    return {
        "similarity": Setting(SIMILARITY, int,
                              "rapidfuzz ratio (0-100) above which two spellings of a word are one name"),
        "script_similarity": Setting(SCRIPT_SIMILARITY, int,
                                     "rapidfuzz ratio (0-100) above which two romanized words written in different "
                                     "scripts, languages or case endings are one name"),
    }


#: Working tables kept between runs (see `etl.changes`): each mention as prepared, with the label it was
#: extracted with and the one it has now; each name's entity, ambiguity and component; the links that
#: make a component (`name_links`); the corpus-wide inputs the clusters were computed with.
MENTIONS, NODES, LINKS, STATE = (f"{NAME}__{name}" for name in ("mentions", "nodes", "links", "state"))
CLASS_SQL = """CASE WHEN label = 'PERSON' THEN 'PER' WHEN label IN ('GPE', 'LOC', 'FAC') THEN 'LOC'
    WHEN label IN ('ORG', 'NORP') THEN label ELSE 'OTHER' END"""


@hookimpl
def etl_enrich(db, config, changes):
    """Link every mention (changes None), or bring the links up to date with `changes`: only the names
    whose component (see `name_links`) a changed document reaches are clustered again, and only the
    documents that mention them are rewritten. The corpus-wide inputs (the relabelling evidence, the
    majority language, whether several scripts are present) are read from the whole corpus each time:
    a change of the majority language or of the scripts present reclusters every name."""
    settings = config.settings(NAME)
    similarity = settings.get("similarity", SIMILARITY)
    script_similarity = settings.get("script_similarity", SCRIPT_SIMILARITY)
    incremental = changes is not None and changes.kept(db, MENTIONS, NODES, LINKS, STATE)
    if not incremental:
        for table in (MENTIONS, NODES, LINKS, STATE):
            db.execute(f"DROP TABLE IF EXISTS {table}")
        changes = None
    seeds = _refresh_mentions(db, changes)
    scripts = several_scripts({("ANY", ""): Counter(dict.fromkeys(db.execute(
        f"SELECT DISTINCT surface, language FROM {MENTIONS} WHERE key IS NOT NULL").fetchall(), 1))})
    seeds |= _relabel(db, script_similarity, scripts)
    majority = db.execute(f"""SELECT {LANGUAGE_SQL.format(column="language")} AS lang FROM articles
                              WHERE lang IS NOT NULL GROUP BY lang ORDER BY count(*) DESC, lang LIMIT 1""").fetchall()
    majority = majority[0][0] if majority else None
    state = {"majority": str(majority), "scripts": str(scripts)}
    if incremental and dict(db.execute(f"SELECT name, value FROM {STATE}").fetchall()) != state:
        incremental = False  # every canonical name, or every cross-script link, may change
    db.execute(f"CREATE OR REPLACE TABLE {STATE} (name VARCHAR, value VARCHAR)")
    db.executemany(f"INSERT INTO {STATE} VALUES (?, ?)", sorted(state.items()))
    if incremental:
        reclustered = _reach(db, seeds, scripts, similarity)
        names = _names(db, reclustered)
    else:
        names = db.execute(f"SELECT class, key, surface, language, count(*) FROM {MENTIONS} WHERE key IS NOT NULL "
                           "GROUP BY ALL").fetchall()
        reclustered = {(c, k) for c, k, *_ in names}
    entities, ambiguous = cluster_names(names, similarity, script_similarity, majority, scripts)
    changed = _store_nodes(db, names, seeds | reclustered, entities, ambiguous, scripts, create=not incremental)
    _write_back(db, changed if incremental else None, changes)
    for table in ("_el_mentions", "_el_nodes", "_el_docs", "_el_overrides", "_el_relabelled_docs"):
        db.execute(f"DROP TABLE IF EXISTS {table}")


def _refresh_mentions(db, changes) -> set[tuple[str, str]]:
    """Bring the prepared mentions up to date; return the names of the mentions that went away."""
    if changes is None:
        prepare_mentions(db)
        db.execute(f"""CREATE TABLE {MENTIONS} AS SELECT doc_id, mention_id, label AS label0,
            NULL::VARCHAR AS label, NULL::VARCHAR AS class, surface, language, key, place, person, org
            FROM _el_mentions""")
        return set()
    gone = changes.removed | changes.touched
    _register(db, "_el_docs", [{"doc_id": d} for d in sorted(gone)], ["doc_id"])
    seeds = set(db.execute(f"SELECT DISTINCT class, key FROM {MENTIONS} WHERE key IS NOT NULL "
                           "AND doc_id IN (SELECT doc_id FROM _el_docs)").fetchall())
    # A touched document's rows hold the labels this plugin wrote: what they were extracted with is kept.
    db.execute(f"""CREATE OR REPLACE TEMP TABLE _el_kept AS SELECT doc_id, mention_id, label0, label FROM {MENTIONS}
                   WHERE doc_id IN (SELECT doc_id FROM _el_docs)""")
    db.execute(f"DELETE FROM {MENTIONS} WHERE doc_id IN (SELECT doc_id FROM _el_docs)")
    _register(db, "_el_docs", [{"doc_id": d} for d in sorted(changes.added | changes.touched)], ["doc_id"])
    prepare_mentions(db, "_el_docs")
    db.execute(f"""INSERT INTO {MENTIONS} SELECT m.doc_id, m.mention_id,
            CASE WHEN k.label IS NOT DISTINCT FROM m.label THEN coalesce(k.label0, m.label) ELSE m.label END,
            NULL, NULL, m.surface, m.language, m.key, m.place, m.person, m.org
        FROM _el_mentions m LEFT JOIN _el_kept k USING (doc_id, mention_id)""")
    db.execute("DROP TABLE _el_kept")
    return seeds


def _relabel(db, script_similarity: int, scripts: bool) -> set[tuple[str, str]]:
    """Give every mention the label the corpus evidence gives its name (`corpus_labels`, over the whole
    corpus: a name's evidence is a few counts); return the names, before and after, whose mentions'
    label changed (every new mention's). `scripts`: whether names are written in several scripts."""
    columns = ("key", "label", "mentions", "place", "person", "org")
    mixed, surnames = "", None
    if not scripts:
        # Each name is its own family, and only one the model labelled as two kinds of thing can be
        # relabelled: the evidence of the others (most of a corpus's names) is not read.
        kind = CLASS_SQL.replace("label", "label0")
        db.execute(f"""CREATE OR REPLACE TEMP TABLE _el_mixed AS SELECT key FROM {MENTIONS} WHERE key IS NOT NULL
                       GROUP BY key HAVING count(DISTINCT {kind}) FILTER ({kind} <> 'NORP') > 1""")
        mixed = "AND key IN (SELECT key FROM _el_mixed)"
        surnames = {name for (name,) in db.execute(f"""
            SELECT DISTINCT regexp_extract(key, '[^ ]*$') AS last FROM {MENTIONS}
            WHERE label0 = 'PERSON' AND contains(key, ' ') AND last IN (SELECT key FROM _el_mixed)""").fetchall()}
    stats = [dict(zip(columns, row)) for row in db.execute(
        f"SELECT key, label0, count(*), count(*) FILTER (place), count(*) FILTER (person), "
        f"count(*) FILTER (org) FROM {MENTIONS} WHERE key IS NOT NULL {mixed} GROUP BY key, label0").fetchall()]
    families = script_families(db.execute(
        f"SELECT DISTINCT key, surface, language FROM {MENTIONS} WHERE key IS NOT NULL").fetchall(),
        script_similarity) if scripts else {}
    _register(db, "_el_relabel", [{"key": k, "label": old, "new_label": new}
                                  for (k, old), new in corpus_labels(stats, families, surnames).items()],
              ["key", "label", "new_label"])
    db.execute("DROP TABLE IF EXISTS _el_mixed")
    db.execute(f"""CREATE OR REPLACE TEMP TABLE _el_changed AS
        SELECT m.doc_id, m.mention_id, m.class AS old_class, m.key, x.label, {CLASS_SQL.replace("label", "x.label")}
            AS class
        FROM {MENTIONS} m LEFT JOIN _el_relabel r ON r.key = m.key AND r.label = m.label0
        CROSS JOIN LATERAL (SELECT coalesce(r.new_label, m.label0) AS label) x
        WHERE m.label IS DISTINCT FROM x.label OR m.class IS NULL""")
    seeds = set(db.execute("SELECT old_class, key FROM _el_changed WHERE key IS NOT NULL AND old_class IS NOT NULL "
                           "UNION SELECT class, key FROM _el_changed WHERE key IS NOT NULL").fetchall())
    db.execute(f"""UPDATE {MENTIONS} m SET label = c.label, class = c.class FROM _el_changed c
                   WHERE m.doc_id = c.doc_id AND m.mention_id IS NOT DISTINCT FROM c.mention_id""")
    db.execute("CREATE OR REPLACE TEMP TABLE _el_relabelled_docs AS SELECT DISTINCT doc_id FROM _el_changed")
    db.execute("DROP TABLE _el_changed")
    db.execute("DROP TABLE _el_relabel")
    return seeds


def _node_rows(nodes) -> list[dict]:
    return [{"class": c, "key": k} for c, k in sorted(nodes)]


def _names(db, nodes) -> list[tuple]:
    _register(db, "_el_nodes", _node_rows(nodes), ["class", "key"])
    return db.execute(f"SELECT class, key, surface, language, count(*) FROM {MENTIONS} JOIN _el_nodes "
                      "USING (class, key) GROUP BY ALL").fetchall()


def _reach(db, seeds, scripts: bool, similarity: int) -> set[tuple[str, str]]:
    """The names to cluster again: the components (`name_links`) the seeds were in, those their new links
    reach, and the seeds still mentioned. It is a union of whole components of the new corpus: a path from
    a seed through names that did not change stays within one old component."""
    usage: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for cls, key, surface, language, count in _names(db, seeds):
        usage[cls, key][surface, language] += count
    links = {node: name_links(node, used, scripts) for node, used in usage.items()}
    _register(db, "_el_links", [{"link": link, "role": role} for found in links.values() for link, role in found],
              ["link", "role"])
    near = set(db.execute(f"""
        SELECT DISTINCT l.class, l.key FROM {LINKS} l JOIN _el_links s ON l.link = s.link
            AND (s.role = 'l' AND l.role = 'r' OR s.role = 'r' AND l.role = 'l' OR s.role = 's' AND l.role = 's')
        """).fetchall())
    blocks = defaultdict(list)
    for link, cls, key in db.execute(f"""SELECT link, class, key FROM {LINKS} WHERE role = 'b'
                                         AND link IN (SELECT link FROM _el_links WHERE role = 'b')""").fetchall():
        blocks[link].append((cls, key))
    in_block = defaultdict(list)
    for node, found in links.items():
        for link, role in found:
            if role == "b":
                in_block[link].append(node)
    for link, members in blocks.items():
        if len(members) + len(in_block[link]) > MAX_BLOCK:  # it is, or was, over MAX_BLOCK: all are tied
            near.update(members)
            continue
        for node in in_block[link]:
            near.update(m for m in members if same_name(stem(*node), stem(*m), similarity))
    _register(db, "_el_nodes", _node_rows(near | set(seeds)), ["class", "key"])
    reached = db.execute(f"""SELECT class, key FROM {NODES} WHERE component IN (
                             SELECT component FROM {NODES} JOIN _el_nodes USING (class, key))""").fetchall()
    db.execute("DROP TABLE _el_links")
    return set(reached) | set(usage)


def _store_nodes(db, names, dropped, entities, ambiguous, scripts: bool, create: bool) -> set[tuple[str, str]]:
    """Replace the stored entity, ambiguity, component and links of `dropped` names by those of `names`;
    return the names whose entity, canonical name or ambiguity is not what was stored."""
    usage: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for cls, key, surface, language, count in names:
        usage[cls, key][surface, language] += count
    node_links = {node: name_links(node, used, scripts) for node, used in usage.items()}
    components = link_components(node_links, entities)
    rows = [{"class": c, "key": k, "entity_id": entities[c, k][0], "canonical_name": entities[c, k][1],
             "ambiguous": " ".join(sorted(ambiguous[c, k])) if (c, k) in ambiguous else None,
             "component": components[c, k]} for c, k in sorted(usage)]
    links = [{"link": link, "role": role, "class": c, "key": k}
             for (c, k), found in sorted(node_links.items()) for link, role in found]
    if create:
        db.execute(f"CREATE OR REPLACE TABLE {NODES} (class VARCHAR, key VARCHAR, entity_id VARCHAR, "
                   "canonical_name VARCHAR, ambiguous VARCHAR, component VARCHAR)")
        db.execute(f"CREATE OR REPLACE TABLE {LINKS} (link VARCHAR, role VARCHAR, class VARCHAR, key VARCHAR)")
        old = {}
    else:
        _register(db, "_el_nodes", _node_rows(dropped), ["class", "key"])
        old = {(c, k): values for c, k, *values in db.execute(
            f"SELECT class, key, entity_id, canonical_name, ambiguous FROM {NODES} JOIN _el_nodes USING (class, key)"
        ).fetchall()}
        for table in (NODES, LINKS):
            db.execute(f"DELETE FROM {table} WHERE (class, key) IN (SELECT (class, key) FROM _el_nodes)")
    _register(db, "_el_new", rows, ["class", "key", "entity_id", "canonical_name", "ambiguous", "component"])
    db.execute(f"INSERT INTO {NODES} SELECT * FROM _el_new")
    _register(db, "_el_new", links, ["link", "role", "class", "key"])
    db.execute(f"INSERT INTO {LINKS} SELECT * FROM _el_new")
    db.execute("DROP TABLE _el_new")
    return {(r["class"], r["key"]) for r in rows
            if old.get((r["class"], r["key"])) != [r["entity_id"], r["canonical_name"], r["ambiguous"]]}


def _write_back(db, changed, changes) -> None:
    """Write labels, entities and speakers into the documents (all when `changed` is None) that changed,
    whose mentions took another label, or that mention a name of `changed`: the others hold what a call
    over the whole corpus would write."""
    if changed is None:
        docs = f"SELECT DISTINCT doc_id FROM {MENTIONS}"
    else:
        _register(db, "_el_nodes", _node_rows(changed), ["class", "key"])
        _register(db, "_el_changed_docs", [{"doc_id": d} for d in sorted(changes.added | changes.touched)],
                  ["doc_id"])
        docs = (f"SELECT doc_id FROM {MENTIONS} JOIN _el_nodes USING (class, key) "
                f"UNION SELECT doc_id FROM _el_changed_docs UNION SELECT doc_id FROM _el_relabelled_docs")
    db.execute(f"CREATE OR REPLACE TEMP TABLE _el_docs AS {docs}")
    db.execute("DROP TABLE IF EXISTS _el_changed_docs")
    rows = db.execute(f"""
        SELECT DISTINCT m.doc_id, m.class, m.key, n.entity_id, n.ambiguous FROM {MENTIONS} m
        JOIN {NODES} n USING (class, key)
        WHERE m.doc_id IN (SELECT doc_id FROM _el_docs) AND m.doc_id IN (
            SELECT doc_id FROM {MENTIONS} JOIN {NODES} USING (class, key) WHERE ambiguous IS NOT NULL)""").fetchall()
    ambiguous = {(c, k): set(a.split()) for _, c, k, _, a in rows if a is not None}
    overrides = [{"doc_id": d, "class": c, "key": k, "entity_id": e}
                 for d, c, k, e in resolve_in_documents(ambiguous, [row[:4] for row in rows])]
    _register(db, "_el_overrides", overrides, ["doc_id", "class", "key", "entity_id"])
    # Materialized first: DuckDB plans an UPDATE over this join poorly on a table with deleted rows.
    db.execute(f"""
        CREATE OR REPLACE TEMP TABLE _el_write AS
              SELECT m.doc_id, m.mention_id, m.label, coalesce(o.entity_id, n.entity_id) AS entity_id,
                     coalesce(c.canonical_name, n.canonical_name) AS canonical_name
              FROM {MENTIONS} m
              LEFT JOIN {NODES} n ON n.class = m.class AND n.key = m.key
              LEFT JOIN _el_overrides o ON o.doc_id = m.doc_id AND o.class = m.class AND o.key = m.key
              LEFT JOIN (SELECT DISTINCT entity_id, canonical_name FROM {NODES}
                         WHERE entity_id IN (SELECT entity_id FROM _el_overrides)) c ON c.entity_id = o.entity_id
              WHERE m.doc_id IN (SELECT doc_id FROM _el_docs)""")
    db.execute("""
        UPDATE entities SET label = coalesce(x.label, entities.label), entity_id = x.entity_id,
            canonical_name = x.canonical_name
        FROM _el_write x WHERE entities.doc_id = x.doc_id AND entities.mention_id = x.mention_id""")
    db.execute("DROP TABLE _el_write")
    db.execute("""
        UPDATE claims SET speaker_entity_id = s.entity_id
        FROM (SELECT mention_id, min(entity_id) AS entity_id FROM entities
              WHERE doc_id IN (SELECT doc_id FROM _el_docs) GROUP BY mention_id) s
        WHERE s.mention_id = claims.speaker_mention_id AND s.entity_id IS NOT NULL""")


def name_links(node: tuple[str, str], used: Counter, scripts: bool) -> list[tuple[str, str]]:
    """What ties a name to the others `cluster_names` may compare it with, as (link, role) pairs: two
    names are compared only if they share a link with role 's' (possible spelling variants, a block of
    script variants, a stem), or a link that one of them looks up ('l': a short form's lookup) and the
    other is registered under ('r'), or are in one spelling block ('b') of over MAX_BLOCK names. The
    connected names are a component, which `cluster_names` links as it would within the whole corpus."""
    cls, key = node
    words = stem(cls, key).split()
    block = "\x1f".join((cls, str(len(words)), *(w[:2] for w in words)))
    # Two names of a spelling block are tied when they are variants (`same_name`, and then one entity); a
    # block over MAX_BLOCK compares neighbours, which any member changes: it ties them all.
    found = [(f"block\x1f{block}", "b"), (f"stem\x1f{cls}\x1f{stem(cls, key)}", "s")]
    forms = name_forms(node, used) if scripts else ()
    for form in forms:
        found.append(("script\x1f" + "\x1f".join((cls, str(len(form.stems)), *map(skeleton, form.stems))), "s"))
    if cls in LAST_WORD_CLASSES:
        # A person name stands for a longer one ending with its last word and holding its other words.
        if len(words) == 1:
            found.append((f"last\x1f{cls}\x1f{words[-1]}", "l"))
        else:
            found.append((f"last\x1f{cls}\x1f{words[-1]}", "r"))
            found += [(f"last\x1f{cls}\x1f{words[-1]}\x1f{word}", "r") for word in words[:-1]]
            found.append((f"last\x1f{cls}\x1f{words[-1]}\x1f{words[0]}", "l"))
    if cls == "PER":
        for form in forms:
            link = f"lastsk\x1f{cls}\x1f{skeleton(form.stems[-1])}"
            found += [(link, "l")] + ([(link, "r")] if len(words) >= 2 else [])
    if cls != "PER":
        found.append((f"prefix\x1f{cls}\x1f{' '.join(words)}", "l"))
        if cls == "ORG" and len(words) >= 2:
            found += [(f"prefix\x1f{cls}\x1f{' '.join(words[:n])}", "r") for n in range(1, len(words))]
        if len(words) == 1 and is_acronym(Counter({surface: n for (surface, _), n in used.items()})):
            found.append((f"initials\x1f{cls}\x1f{words[0]}", "l"))
        if cls != "NORP" and len(words) >= 2:
            found += [(f"initials\x1f{cls}\x1f{letters}", "r")
                      for letters in sorted({initials(key), initials(" ".join(words))}) if len(letters) >= 2]
    return sorted(set(found))


class SmallestRoot:
    """Union-find whose root of each group is its smallest member: the same roots whatever the order of
    the unions, so that what is derived from a root does not depend on the order names came in."""

    def __init__(self) -> None:
        self.parent: dict = {}

    def find(self, item):
        parent = self.parent
        while parent.get(item, item) != item:
            parent[item] = parent.get(parent[item], parent[item])  # path halving
            item = parent[item]
        return item

    def union(self, a, b) -> None:
        a, b = self.find(a), self.find(b)
        if a != b:
            self.parent[max(a, b)] = min(a, b)

    def joined(self) -> dict:
        """Each item joined to a smaller one, with its root (an item never joined is its own root)."""
        return {item: self.find(item) for item in list(self.parent)}


def link_components(node_links: dict[tuple[str, str], list[tuple[str, str]]], entities: dict
                    ) -> dict[tuple[str, str], str]:
    """Each name's component (see `name_links`), named after its first name. `entities`: the names'
    (entity_id, canonical_name), from `cluster_names`: the names of one entity are tied (it took ties to
    make it), which ties the spelling variants of a block."""
    roots = SmallestRoot()
    by_link: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for node in node_links:
        by_link["entity\x1f" + entities[node][0]]["s"].append(node)
    for node, found in node_links.items():
        for link, role in found:
            by_link[link][role].append(node)
    for roles in by_link.values():
        tied = roles.get("s", []) + (roles.get("l", []) + roles.get("r", []) if roles.get("l") and roles.get("r")
                                     else [])
        tied += roles.get("b", []) if len(roles.get("b", [])) > MAX_BLOCK else []
        for node in tied[1:]:
            roots.union(tied[0], node)
    return {node: "\x1f".join(roots.find(node)) for node in node_links}


def prepare_mentions(db, docs: str | None = None) -> None:
    """One row per mention (of the documents in table `docs`, if given): its name (surface without
    article, possessive or title), the folded key it is grouped by, and which kinds the words around it
    speak for."""
    def any_match(patterns):
        return " OR ".join(f"""regexp_matches({side}, '{pattern.replace("'", "''")}')""" for side, pattern in patterns)

    _register(db, "_el_demonyms", [{"adjective": a, "place": p} for a, p in sorted(PLACE_OF_DEMONYM.items())],
              ["adjective", "place"])
    # A nationality adjective ("Ukrainian forces") is a mention of its country under the country's name.
    db.execute(rf"""
        CREATE OR REPLACE TEMP TABLE _el_mentions AS
        WITH m AS (
            SELECT e.doc_id, e.mention_id, e.label, {LANGUAGE_SQL.format(column="a.language")} AS language,
                coalesce(d.place, regexp_replace(regexp_replace(trim(e.text), '^(?i:the|a|an)\s+', ''),
                                                 '(?:''s|’s|''|’)$', '')) AS bare,
                substr(t.text, greatest(e.start - 40, 0) + 1, e.start - greatest(e.start - 40, 0)) AS before,
                substr(t.text, e."end" + 1, 60) AS after
            FROM entities e LEFT JOIN articles a USING (doc_id)
            LEFT JOIN _el_demonyms d ON e.form = '{DEMONYM_FORM}' AND d.adjective = trim(e.text)
            -- a mention in a headline or caption has offsets into its segment, not into the body
            LEFT JOIN segments s ON e.segment IS NOT NULL AND s.doc_id = e.doc_id AND s.seq = e.segment
            CROSS JOIN LATERAL (SELECT CASE WHEN e.segment IS NULL THEN a.text ELSE s.text END AS text) t
            {f"WHERE e.doc_id IN (SELECT doc_id FROM {docs})" if docs else ""}
        ), n AS (
            SELECT *, CASE WHEN label = 'PERSON' AND regexp_matches(bare, '{TITLE_PREFIX}\S')
                THEN regexp_replace(bare, '{TITLE_PREFIX}', '') ELSE bare END AS surface
            FROM m
        )
        SELECT doc_id, mention_id, label, surface, language, NULL::VARCHAR AS class,
            nullif(trim(regexp_replace(regexp_replace(lower(strip_accents(surface)), '[.''’]', '', 'g'),
                                       '[^\pL\pN]+', ' ', 'g')), '') AS key,
            coalesce(({any_match(PLACE_CONTEXT[:1])}) AND NOT regexp_matches(after, '^[''’]s\b')
                     OR {any_match(PLACE_CONTEXT[1:])}, false) AS place,
            coalesce({any_match(PERSON_CONTEXT)}, false) AS person,
            coalesce({any_match(ORG_CONTEXT)}, false) AS org
        FROM n""")
    db.execute("DROP TABLE _el_demonyms")


def corpus_labels(stats: Iterable[dict], family_of: dict[str, str] | None = None,
                  surnames: set[str] | None = None) -> dict[tuple[str, str], str]:
    """The new label of each (key, label) that the corpus evidence changes; see the module docstring.

    `stats` rows: key, label, mentions, and how many of them have place / person / org context.
    `family_of` maps a key to the key its name is written with in other scripts or cases (see
    `script_families`): their evidence is weighed together, so "Сіверськ", which an English model
    labels ORG, takes the place label "in Siversk" gives it. `surnames`: the last words of the names
    labelled persons, when `stats` holds only some names (by default, read from `stats`)."""
    stats = list(stats)
    family_of = family_of or {}
    by_name: dict[str, list[dict]] = defaultdict(list)
    for row in stats:
        by_name[family_of.get(row["key"], row["key"])].append(row)
    person_surnames = surnames if surnames is not None else {
        row["key"].rsplit(" ", 1)[1] for row in stats if " " in row["key"] and row["label"] == "PERSON"}
    changes = {}
    for rows in by_name.values():
        kinds = {CLASS_OF.get(r["label"], "OTHER") for r in rows} - {"NORP"}
        if len(kinds) < 2:
            continue
        evidence = Counter()
        for r in rows:
            evidence.update({"LOC": r["place"], "PER": r["person"], "ORG": r["org"]})
        if any(r["key"] in person_surnames for r in rows):
            evidence["PER"] += 1
        supported = {kind for kind, n in evidence.items() if n > 0}
        if len(supported) == 1:
            winner = supported.pop()
        elif not supported and "LOC" in kinds and all(
                r["label"] != "PERSON" or " " not in r["key"] for r in rows):
            winner = "LOC"  # labelled a place somewhere, and elsewhere only by a guess of the model
        else:
            continue
        places = Counter()
        for r in rows:
            if CLASS_OF.get(r["label"]) == "LOC":
                places[r["label"]] += r["mentions"]
        new = KIND_LABEL.get(winner) or (min(places, key=lambda lab: (-places[lab], lab)) if places else "GPE")
        for r in rows:
            kind = CLASS_OF.get(r["label"], "OTHER")
            if kind not in (winner, "NORP") and evidence[kind] == 0:
                changes[r["key"], r["label"]] = new
    return changes


def script_families(written: Iterable[tuple[str, str, str | None]], similarity: int = SCRIPT_SIMILARITY
                    ) -> dict[str, str]:
    """For names written in several scripts, romanizations or cases, whatever they are labelled, each
    key -> the first key of its family. `written`: (key, surface, language) rows. Empty when the corpus
    is in one Latin language."""
    usage: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for key, surface, language in written:
        usage["ANY", key][surface, language] += 1
    if not several_scripts(usage):
        return {}
    forms = {node: name_forms(node, used) for node, used in usage.items()}
    roots = SmallestRoot()
    for (_, a), (_, b) in script_variants(forms, similarity):
        roots.union(a, b)
    return roots.joined()


def cluster_names(names: Iterable[tuple[str, str, str, str | None, int]], similarity: int = SIMILARITY,
                  script_similarity: int = SCRIPT_SIMILARITY, majority_language: str | None = None,
                  scripts: bool | None = None):
    """Cluster (class, key, surface, language, mentions) rows into entities: a pure function of the rows.

    `language` is that of the mentions' articles (None when unknown); `majority_language` the corpus's
    most used one, whose forms `canonical_name` prefers. Returns {(class, key): (entity_id,
    canonical_name)} and, for short names that the corpus leaves ambiguous, {(class, key): set of the
    entity_ids they may belong to}."""
    usage: dict[tuple[str, str], Counter] = defaultdict(Counter)  # node -> (surface, language) -> mentions
    for cls, key, surface, language, count in names:
        usage[cls, key][surface, language] += count
    surfaces = {node: Counter({surface: n for (surface, _), n in used.items()}) for node, used in usage.items()}
    if scripts is None:
        scripts = several_scripts(usage)
    forms = {node: name_forms(node, used) for node, used in usage.items()} if scripts else {}
    nodes = sorted(usage)
    roots = SmallestRoot()
    find, union = roots.find, roots.union
    for a, b in spelling_variants(nodes, similarity):
        union(a, b)
    for a, b in script_variants(forms, script_similarity):
        union(a, b)
    by_stem = {}
    for node in nodes:  # "General Motors Corporation" is "General Motors"
        union(node, by_stem.setdefault((node[0], stem(*node)), node))
    ambiguous_roots = join_short_names(nodes, surfaces, find, union, forms, script_similarity)

    members: dict[tuple[str, str], list] = defaultdict(list)
    for node in nodes:
        members[find(node)].append(node)
    entities, ids = {}, {}
    for root, group in members.items():
        most_words = max(len(key.split()) for _, key in group)
        anchor = min(key for _, key in group if len(key.split()) == most_words)
        entity_id = hashlib.sha256(f"{root[0]}\x1f{anchor}".encode()).hexdigest()[:32]
        canonical = canonical_form(sum((usage[node] for node in group), Counter()), majority_language)
        ids[root] = entity_id
        for node in group:
            entities[node] = (entity_id, canonical)
    ambiguous = {node: {ids[find(r)] for r in roots} for node, roots in ambiguous_roots.items()
                 if len({find(r) for r in roots}) > 1}
    return entities, ambiguous


def canonical_form(used: Counter, majority_language: str | None) -> str:
    """The name to show for a cluster, from its (surface, language) -> mentions: a form its corpus's
    majority language uses if there is one, then the most words, then the most mentions."""
    mentions, in_majority = Counter(), Counter()
    for (surface, language), n in used.items():
        mentions[surface] += n
        if majority_language is None or language == majority_language:
            in_majority[surface] += n
    return min(mentions, key=lambda form: (not in_majority[form], -len(form.split()), -in_majority[form],
                                           -mentions[form], form))


def several_scripts(usage: dict[tuple[str, str], Counter]) -> bool:
    """Whether the cross-script rules have anything to compare: names in two scripts or two languages,
    or in a language that declines them. A corpus in one Latin language skips them altogether."""
    languages = set()
    for used in usage.values():
        for surface, language in used:
            if language in INFLECTING_LANGUAGES or not is_latin(surface):
                return True
            languages.add(language)
    return len(languages - {None}) > 1


@dataclass(frozen=True)
class NameForm:
    """A name as written in one language, ready to be compared across scripts (see `romanize`)."""

    words: tuple[str, ...]  # romanized, conventions folded
    stems: tuple[str, ...]  # the same without case endings
    language: str | None
    latin: bool
    inflecting: bool  # its language declines names: compare it by stems
    gender: str | None  # of a Slavic adjectival surname: "m", "f", or None when its ending does not tell
    place: bool = False


def name_forms(node: tuple[str, str], used: Counter) -> set[NameForm]:
    """The distinct cross-script forms of a name, one per (surface, language) it is written in."""
    found = set()
    for surface, language in used:
        latin = is_latin(surface)
        words = tuple(romanized(surface, language).split())
        if not words:
            continue
        found.add(NameForm(words, tuple(stem_word(word) for word in words), language, latin,
                           language in INFLECTING_LANGUAGES or (language is None and not latin),
                           surname_gender(words[-1]) if node[0] == "PER" else None, node[0] == "LOC"))
    return found


def comparable(a: NameForm, b: NameForm) -> bool:
    """Whether two forms are for the cross-script rules: written in two scripts or two languages (an
    unknown language is none in particular), or declined. Two English (or two French) spellings are
    left to `spelling_variants`, so a corpus in one Latin language links as it always did."""
    other_language = a.language is not None and b.language is not None and a.language != b.language
    return a.latin != b.latin or other_language or a.inflecting or b.inflecting


def words_match(a: tuple[str, ...], b: tuple[str, ...], similarity: int) -> bool:
    return len(a) == len(b) and all(x == y or fuzz.ratio(x, y) >= similarity for x, y in zip(a, b))


def compared_words(a: NameForm, b: NameForm, similarity: int) -> tuple[tuple, tuple, int]:
    """The words of two forms as they are compared, and how alike they must be: stems when either is
    declined; two Latin spellings of a person or an organisation must be nearly equal once their
    conventions are folded (and s is z, as German writes З: "Selenskyj"), for a vowel is all that tells
    "Müller" from "Miller". Places keep `similarity`: languages adapt their vowels ("Charków", "Kijów")."""
    declined = a.inflecting or b.inflecting
    x, y = (a.stems, b.stems) if declined else (a.words, b.words)
    if a.latin and b.latin and not a.place:
        return tuple(w.replace("z", "s") for w in x), tuple(w.replace("z", "s") for w in y), LATIN_SIMILARITY
    return x, y, similarity


def same_name_across_scripts(a: NameForm, b: NameForm, similarity: int) -> bool:
    if not comparable(a, b) or (a.gender and b.gender and a.gender != b.gender):
        return False
    return words_match(*compared_words(a, b, similarity))


def script_variants(forms: dict[tuple[str, str], set[NameForm]], similarity: int = SCRIPT_SIMILARITY):
    """Pairs of names that are one name in two scripts, romanizations or cases ("Сіверськ", "Siwersk",
    "Северске"). Only forms of one block are compared: same class, word count and consonant skeleton
    of every stem; in a block over MAX_BLOCK forms only WINDOW neighbours in sorted order."""
    blocks = defaultdict(list)
    for node, node_forms in forms.items():
        for form in node_forms:
            blocks[node[0], len(form.stems), tuple(skeleton(w) for w in form.stems)].append((form.stems, node, form))
    for block in blocks.values():
        if len({node for _, node, _ in block}) < 2 or all(f.latin and not f.inflecting for _, _, f in block) and \
                len({f.language for _, _, f in block} - {None}) < 2:
            continue  # one name, or spellings of one Latin language: nothing for the cross-script rules
        block.sort(key=lambda entry: (entry[0], entry[1], entry[2].words, str(entry[2].language)))
        window = len(block) if len(block) <= MAX_BLOCK else WINDOW
        for i, (_, node_a, a) in enumerate(block):
            for _, node_b, b in block[i + 1:i + 1 + window]:
                if node_a != node_b and same_name_across_scripts(a, b, similarity):
                    yield node_a, node_b


def spelling_variants(nodes, similarity: int):
    """Pairs of names that are spellings of one another (without legal forms), compared only within
    small blocks."""
    blocks = defaultdict(list)
    for node in nodes:
        name = stem(*node)
        words = name.split()
        blocks[node[0], len(words), tuple(w[:2] for w in words)].append((name, node))
    for block in blocks.values():
        block.sort()
        window = len(block) if len(block) <= MAX_BLOCK else WINDOW
        for i, (name_a, a) in enumerate(block):
            for name_b, b in block[i + 1:i + 1 + window]:
                if same_name(name_a, name_b, similarity):
                    yield a, b


def same_name(a: str, b: str, similarity: int) -> bool:
    differing = [(x, y) for x, y in zip(a.split(), b.split()) if x != y]
    if len(differing) != 1 or len(a.split()) != len(b.split()):
        return False
    x, y = differing[0]
    return (x.isalpha() and y.isalpha() and min(len(x), len(y)) >= 5
            and (fuzz.ratio(x, y) >= similarity or british_and_american(x, y)))


_BRITISH_ENDINGS = [(re.compile(pattern), replacement) for pattern, replacement in BRITISH_ENDINGS]
_VARIANT_ENDINGS = ("ence", "ense", "re", "er", "isation", "ization")  # what BRITISH_ENDINGS reads and writes


def british_and_american(x: str, y: str) -> bool:
    """Whether two words are one word in British and American spelling ("defence", "defense")."""
    if not (x.endswith(_VARIANT_ENDINGS) and y.endswith(_VARIANT_ENDINGS)) or x[:-7] != y[:-7]:
        return False
    for pattern, replacement in _BRITISH_ENDINGS:
        x, y = pattern.sub(replacement, x), pattern.sub(replacement, y)
    return x == y


def stem(cls: str, key: str) -> str:
    """An organisation's or a place's name without its legal form and with a country's abbreviation spelled
    out ("Aer Lingus Group PLC" -> "aer lingus", "US Air Force" -> "united states air force")."""
    words = key.split()
    while cls == "ORG" and len(words) > 1 and words[-1] in LEGAL_FORMS:
        words.pop()
    if cls in ("ORG", "LOC") and words and words[0] in COUNTRY_ABBREVIATIONS:
        words[:1] = COUNTRY_ABBREVIATIONS[words[0]].split()
    return " ".join(words)


def initials(key: str) -> str:
    return "".join(w[0] for w in key.split() if w not in FUNCTION_WORDS)


def is_acronym(surfaces: Counter) -> bool:
    letters = ["".join(ch for ch in s if ch.isalpha()) for s in surfaces]
    return any(2 <= len(x) <= 6 and x.isupper() and " " not in s for x, s in zip(letters, surfaces))


def join_short_names(nodes, surfaces, find, union, forms=None, script_similarity: int = SCRIPT_SIMILARITY) -> dict:
    """Join each short form to the one longer name it stands for; return the short forms that fit
    several, with the roots of the names they may stand for.

    A short form is: a person name inside a longer one that ends with the same word ("Putin" in
    "Vladimir Putin"), also in another script or case ("Шевченка" in "Andriy Shevchenko", through
    `forms`); the first words of an organisation's name ("Northrop" of "Northrop Grumman"); an acronym
    of a name of its class ("GAO", "Government Accountability Office")."""
    forms = forms or {}
    longer = defaultdict(list)  # (class, lookup) -> names a short form with that lookup may stand for
    for node in nodes:
        cls, key = node
        words = stem(cls, key).split()
        if len(words) < 2:
            continue
        if cls in LAST_WORD_CLASSES:
            longer[cls, "last", words[-1]].append(node)
        if cls == "PER":
            for form in forms.get(node, ()):
                longer[cls, "last_skeleton", skeleton(form.stems[-1])].append((node, form))
        elif cls == "ORG":
            for n in range(1, len(words)):
                longer[cls, "prefix", " ".join(words[:n])].append(node)
        if cls not in ("PER", "NORP"):
            for letters in {initials(key), initials(" ".join(words))}:
                if len(letters) >= 2:
                    longer[cls, "initials", letters].append(node)
    ambiguous = {}
    # Longest first: "Vladimir Putin" joins "Vladimir V. Putin" before "Putin" looks for its person.
    for node in sorted(nodes, key=lambda n: (-len(n[1].split()), n)):
        cls, key = node
        words = stem(cls, key).split()
        prefix_of = longer.get((cls, "prefix", " ".join(words)), [])
        if cls == "PER":
            found = [other for other in longer[cls, "last", words[-1]]  # middle names may be left out
                     if len(other[1].split()) > len(words) and is_subsequence(words, other[1].split())]
            found += [other for form in forms.get(node, ())
                      for other, longer_form in longer[cls, "last_skeleton", skeleton(form.stems[-1])]
                      if len(longer_form.stems) > len(form.stems)
                      and part_of_name_across_scripts(form, longer_form, script_similarity)]
        else:
            found = list(prefix_of)
            if cls in LAST_WORD_CLASSES:  # a product's model without its brand ("A380" of "Airbus A380")
                found += [other for other in longer[cls, "last", words[-1]]
                          if len(other[1].split()) > len(words) and is_subsequence(words, other[1].split())]
            if len(words) == 1 and is_acronym(surfaces[node]):
                spelled_out = longer.get((cls, "initials", words[0]), [])
                # the one name an acronym spells out is what it stands for, whatever else begins with
                # it ("GM" is General Motors, and "GM Europe" another organisation)
                found = spelled_out if len(other_roots(spelled_out, node, find)) == 1 else found + spelled_out
            if cls == "ORG" and len(other_roots(found, node, find)) > 1:
                # of the names an organisation's first words begin, the one that adds only words of
                # its trade ("Ford" of "Ford Motor Company", not of "Ford Australia")
                trade = [other for other in prefix_of
                         if set(stem(*other).split()[len(words):]) <= TRADE_WORDS | LEGAL_FORMS]
                if len(other_roots(trade, node, find)) == 1:
                    found = trade
        roots = other_roots(found, node, find)
        if len(roots) == 1:
            union(node, roots.pop())
        elif roots and not prefix_of:
            # "Apple" before "Apple Corps" in one article is often still Apple: an organisation's
            # first words are left alone when they fit several names, even within a document.
            ambiguous[node] = roots
    return ambiguous


def other_roots(names, node, find) -> set:
    return {find(other) for other in names} - {find(node)}


def is_subsequence(part: list[str], words: list[str]) -> bool:
    it = iter(words)
    return all(word in it for word in part)


def part_of_name_across_scripts(part: NameForm, name: NameForm, similarity: int) -> bool:
    """Whether `part` is `name` with words left out, ending with the same word, across scripts or
    cases ("Зеленського" of "Volodymyr Zelensky"; not "Zelenska", whose ending says she is a woman)."""
    if not comparable(part, name) or (part.gender and name.gender and part.gender != name.gender):
        return False
    short, full, similarity = compared_words(part, name, similarity)
    if not words_match(short[-1:], full[-1:], similarity):
        return False
    rest = iter(full[:-1])
    return all(any(words_match((word,), (other,), similarity) for other in rest) for word in short[:-1])


def resolve_in_documents(ambiguous: dict, rows: Iterable[tuple[str, str, str, str]]):
    """(doc_id, class, key, entity_id) for each ambiguous short form whose document names exactly one
    of the entities it may be. `rows`: (doc_id, class, key, entity_id) of the mentions of those
    documents."""
    present, short_forms = defaultdict(set), defaultdict(set)
    for doc_id, cls, key, entity_id in rows:
        present[doc_id].add(entity_id)
        if (cls, key) in ambiguous:
            short_forms[doc_id].add((cls, key))
    for doc_id in sorted(short_forms):
        for node in sorted(short_forms[doc_id]):
            named = ambiguous[node] & present[doc_id]
            if len(named) == 1:
                yield doc_id, *node, named.pop()


def _register(db, name: str, rows: list[dict], columns: list[str]) -> None:
    table = pa.Table.from_pylist(rows, schema=pa.schema([(c, pa.string()) for c in columns]))
    db.register("_el_arrow", table)
    db.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM _el_arrow")
    db.unregister("_el_arrow")
