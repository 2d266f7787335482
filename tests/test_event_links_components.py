"""event_links clusters each component of close pairs on its own: the stories must be those of one average
linkage over all the documents (what a unit was clustered as before), and a component whose pairs did not
change is not clustered again.

The reference is `component_stories` over every document at once; `link_components` is what the plugin
runs. Pairs are given by hand (index, index, similarity), so no vectors or DuckDB are involved.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from etl_plugins.events import stories


def pairs(*triples):
    left, right, values = zip(*triples) if triples else ((), (), ())
    return np.array(left, dtype=np.int64), np.array(right, dtype=np.int64), np.array(values, dtype=np.float64)


def reference(names, left, right, values, group, threshold):
    """The stories of one linkage over all of `names` (as a whole unit was clustered before)."""
    return stories.component_stories(names, left, right, values, np.asarray(group, dtype=np.int64), threshold)


def linked(names, left, right, values, group, threshold, kept=None):
    return stories.link_components(names, left, right, values, np.asarray(group, dtype=np.int64), threshold,
                                   kept)[0]


@pytest.mark.parametrize("threshold, expected", [(0.3, ["a", "a", "c"]), (0.2, ["a", "a", "a"])])
def test_a_chain_is_one_component_whose_far_ends_count_as_zero(threshold, expected):
    # a~b and b~c are close, a and c share nothing: {a, b} reaches c with a mean of (0 + 0.45) / 2 = 0.225.
    names = ["a", "b", "c"]
    left, right, values = pairs((0, 1, 0.5), (1, 2, 0.45))
    assert linked(names, left, right, values, [0, 1, 2], threshold) == expected
    assert reference(names, left, right, values, [0, 1, 2], threshold) == expected


@pytest.mark.parametrize("threshold, expected", [(0.18, ["a"] * 4), (0.25, ["a", "a", "c", "c"])])
def test_weak_pairs_inside_a_component_weigh_in_the_mean_of_two_groups(threshold, expected):
    # {a, b} and {c, d} meet by one close pair and three weak ones: mean (0.5 + 3 * 0.1) / 4 = 0.2. Without
    # the weak pairs the mean would be 0.125 and the two groups would never merge at 0.18.
    names = ["a", "b", "c", "d"]
    left, right, values = pairs((0, 1, 0.9), (2, 3, 0.9), (0, 2, 0.5), (0, 3, 0.1), (1, 2, 0.1), (1, 3, 0.1))
    assert linked(names, left, right, values, [0, 1, 2, 3], threshold) == expected
    assert reference(names, left, right, values, [0, 1, 2, 3], threshold) == expected


def test_copies_join_the_components_of_their_members():
    # a and c are copies; a~b and c~d are close, nothing else is known: one component, copies together.
    names = ["a", "b", "c", "d"]
    left, right, values = pairs((0, 1, 0.6), (2, 3, 0.56))
    group = [0, 1, 0, 3]
    assert linked(names, left, right, values, group, 0.25) == ["a", "a", "a", "d"]
    assert reference(names, left, right, values, group, 0.25) == ["a", "a", "a", "d"]


def random_unit(rng: random.Random, n: int, threshold: float):
    """Documents in chains and clumps, similarities spread around the threshold, some copies."""
    triples = {}
    for i in range(1, n):
        if rng.random() < 0.8:  # a chain of neighbours, some close, some not
            triples[(i - 1, i)] = rng.uniform(0.5 * threshold, 3 * threshold)
        for _ in range(rng.randint(0, 3)):
            j = rng.randrange(i)
            triples[(j, i)] = rng.uniform(0.0, 2 * threshold)
    group = list(range(n))
    for i in range(1, n):
        if rng.random() < 0.08:
            group[i] = group[rng.randrange(i)]
    names = [f"d{k:03d}" for k in range(n)]
    return names, *pairs(*((a, b, v) for (a, b), v in sorted(triples.items()))), group


@pytest.mark.parametrize("dense_limit", [4000, 5])
def test_components_give_the_stories_of_one_linkage_over_everything(dense_limit, monkeypatch):
    rng = random.Random(7)
    compared = split = 0
    for _ in range(60):
        threshold = rng.choice([0.15, 0.3])
        names, left, right, values, group = random_unit(rng, rng.randint(2, 40), threshold)
        expected = reference(names, left, right, values, group, threshold)
        monkeypatch.setattr(stories, "DENSE_UNIT", dense_limit)  # the heap linkage of large components
        assert linked(names, left, right, values, group, threshold) == expected
        monkeypatch.setattr(stories, "DENSE_UNIT", 4000)
        compared += 1
        digests = stories.link_components(names, left, right, values, np.asarray(group), threshold)[1]
        split += len({d for d in digests if d}) > 1
    assert compared == 60 and split > 10, "most units fall into several components"


def test_a_component_whose_pairs_did_not_change_is_not_linked_again(monkeypatch):
    names = ["a", "b", "c", "d", "e"]
    left, right, values = pairs((0, 1, 0.6), (1, 2, 0.3), (3, 4, 0.7), (2, 3, 0.05))
    group = np.arange(5)
    story, digest = stories.link_components(names, left, right, values, group, 0.2)
    assert story == ["a", "a", "c", "d", "d"] and len(set(digest)) == 2  # (0.3 + 0) / 2 < 0.2
    kept = {name: (s, d) for name, s, d in zip(names, story, digest)}
    calls = []
    real = stories.component_stories

    def spy(component_names, *args):
        calls.append(component_names)
        return real(component_names, *args)

    monkeypatch.setattr(stories, "component_stories", spy)
    assert stories.link_components(names, left, right, values, group, 0.2, kept) == (story, digest)
    assert calls == []
    values = values.copy()
    values[1] = 0.25  # b~c changes: its component is linked again, the other one is kept
    again = stories.link_components(names, left, right, values, group, 0.2, kept)
    assert calls == [["a", "b", "c"]]
    assert again == stories.link_components(names, left, right, values, group, 0.2)


def unit_reference(db, threshold: float, link: float) -> dict[str, str]:
    """Stories as they were computed before components: every candidate pair (from the selected terms) with
    its cosine, neighbourhoods of up to MAX_NEIGHBOURHOOD compared all with all, one linkage per unit."""
    from scipy.sparse import triu

    docs = [d for (d,) in db.execute("SELECT doc_id FROM articles ORDER BY doc_id").fetchall()]
    index = {d: k for k, d in enumerate(docs)}
    found = sorted({(index[a], index[b]) for a, b in db.execute(stories._PAIRS_SQL).fetchall()})
    left = np.array([a for a, _ in found], dtype=np.int64)
    right = np.array([b for _, b in found], dtype=np.int64)
    matrix = stories._stored_matrix(db, docs)
    cosine = stories.pair_cosines(matrix, left, right)
    groups = dict(db.execute("SELECT doc_id, coalesce(dup_group, doc_id) FROM articles").fetchall())
    first = {}
    group = np.array([first.setdefault(groups[d], k) for k, d in enumerate(docs)], dtype=np.int64)
    close = cosine >= link
    n = len(docs)
    hood = stories._components(n, left[close], right[close])
    unit = stories._components(n, np.concatenate([left[close], np.arange(n)]), np.concatenate([right[close], group]))
    known = {(a, b): v for a, b, v in zip(left.tolist(), right.tolist(), cosine.tolist()) if unit[a] == unit[b]}
    for label in np.unique(hood).tolist():
        inside = np.flatnonzero(hood == label)
        if 1 < len(inside) <= stories.MAX_NEIGHBOURHOOD:
            block = triu(matrix[inside] @ matrix[inside].T, k=1).tocoo()
            for i, j, v in zip(inside[block.row].tolist(), inside[block.col].tolist(), block.data.tolist()):
                known.setdefault((i, j), v)
    result = {}
    for label in np.unique(unit).tolist():
        members = np.flatnonzero(unit == label).tolist()
        local = {i: k for k, i in enumerate(members)}
        triples = [(local[a], local[b], v) for (a, b), v in sorted(known.items()) if a in local and b in local]
        rows, columns, values = pairs(*triples)
        names = [docs[i] for i in members]
        result.update(zip(names, reference(names, rows, columns, values, [local[group[i]] for i in members],
                                           threshold)))
    return result


@pytest.mark.parametrize("seed, limit", [(11, 4), (12, 6), (13, 2000)])
def test_stories_equal_one_linkage_per_unit_over_every_candidate_pair(seed, limit, monkeypatch):
    """Weak candidate pairs are not stored: where a component is not inside one neighbourhood compared all
    with all (here neighbourhoods of at most `limit`, or joined by copies) they are found again."""
    from test_event_links_incremental import config, database, make_doc

    from etl_plugins.events import links

    monkeypatch.setattr(stories, "MAX_NEIGHBOURHOOD", limit)
    monkeypatch.setattr(stories, "SLICE", 7)  # a full call's candidate pairs, a few documents at a time
    rng = random.Random(seed)
    corpus = {f"d{k:03d}": make_doc(rng) for k in range(60)}
    for k in rng.sample(range(60), 6):  # copies, some of documents with nothing else in common
        corpus[f"d{k:03d}"].dup_group = f"d{rng.randrange(60):03d}"
    db = database(corpus)
    settings = {"story_max_df": 0.2}
    links.etl_enrich(db=db, config=config(**settings), changes=None)
    stored = dict(db.execute(f"SELECT doc_id, story FROM {stories.STORIES}").fetchall())
    threshold = links.STORY_SIMILARITY
    assert stored == unit_reference(db, threshold, min(stories.NEIGHBOURHOOD_LINK, threshold))
    weak = db.execute(f"SELECT count(*) FROM ({stories._PAIRS_SQL})").fetchall()[0][0]
    kept = db.execute(f"SELECT count(*) FROM {stories.PAIRS}").fetchall()[0][0]
    assert kept < weak, "only the pairs that decide units are stored"
    close = db.execute(f"""SELECT count(*) FROM ({stories._PAIRS_SQL}) p JOIN {stories.PAIRS} k
                           ON k.a = p.a AND k.b = p.b""").fetchall()[0][0]
    assert close == kept, "every stored pair is a candidate"


def test_weak_candidate_pairs_outside_a_completed_neighbourhood_still_weigh_in_the_mean(monkeypatch):
    """{a, b} and {c, d} (cosine 0.5 each) meet by a~c (0.29) and three weak pairs a~d, b~c, b~d (0.083, below
    the 0.12 kept): mean 0.135, one story at 0.13. The neighbourhood of the four is too large to be compared
    all with all, so the weak pairs are known only as candidates; without them the mean is 0.073."""
    from test_event_links_incremental import Doc, config, database

    from etl_plugins.events import links

    monkeypatch.setattr(stories, "MAX_NEIGHBOURHOOD", 3)
    shared = {pair: [f"w{pair}{k}zor" for k in range(size)]
              for pair, size in (("ab", 12), ("cd", 12), ("ac", 7), ("ad", 2), ("bc", 2), ("bd", 2))}
    words = {doc: [w for pair, ws in shared.items() if doc in pair for w in ws] for doc in "abcd"}
    corpus = {doc: Doc(" ".join(ws + [f"w{doc}only{k}zor" for k in range(24 - len(ws))]), [f"solo{doc}"], ["flood"])
              for doc, ws in words.items()}
    db = database(corpus)
    links.etl_enrich(db=db, config=config(story_similarity=0.13, story_max_df=0.5), changes=None)
    stored = dict(db.execute(f"SELECT doc_id, story FROM {stories.STORIES}").fetchall())
    assert db.execute(f"SELECT count(*) FROM {stories.PAIRS}").fetchall() == [(3,)], "a~b, c~d, a~c"
    assert stored == {doc: "a" for doc in "abcd"}
    assert stored == unit_reference(db, 0.13, 0.12)


def test_a_pairs_cosine_is_the_same_bit_for_bit_whichever_pairs_come_with_it():
    """An incremental call measures the pairs of a few documents (each with its own partners), a full call
    blocks of consecutive documents with theirs: a stored cosine must not depend on which."""
    from scipy.sparse import random as sparse_random

    rng = np.random.default_rng(5)
    matrix = sparse_random(60, 40, density=0.5, format="csr", random_state=rng)
    matrix.data = rng.random(len(matrix.data)) * np.array([1.0, 1e-7, 1e7])[np.arange(len(matrix.data)) % 3]
    matrix.sort_indices()
    everything = np.array([(a, b) for a in range(60) for b in range(a + 1, 60)], dtype=np.int64)
    whole = stories.pair_cosines(matrix, everything[:, 0], everything[:, 1])
    expected = {(a, b): v for (a, b), v in zip(everything.tolist(), whole.tolist())}
    assert expected[(0, 1)] == (matrix[0] @ matrix[1].T).toarray()[0, 0]
    few = np.array([(a, b) for a in (3, 17, 41) for b in range(60) if b != a], dtype=np.int64)
    left, right = few.min(axis=1), few.max(axis=1)
    got = stories.pair_cosines(matrix, left, right)
    assert [expected[(a, b)] for a, b in zip(left.tolist(), right.tolist())] == got.tolist()
