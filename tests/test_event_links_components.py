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
