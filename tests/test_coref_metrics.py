"""The coreference metrics of bench/coref_metrics.py on small examples worked out by hand.

The main example is the one of Luo 2005 and Pradhan et al. 2014 (their figure 1):
key K1 = {a, b, c}, K2 = {d, e, f, g}; response R1 = {a, b}, R2 = {c, d}, R3 = {f, g, h, i}
(h and i are not in the key, e is not in the response). Its published values are MUC 0.40/0.40,
B3 recall 0.42 and precision 0.50, CEAF-e recall 0.65 and precision 0.43.
"""

from __future__ import annotations

import importlib.util
import itertools
import random
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("coref_metrics", REPO / "bench" / "coref_metrics.py")
coref_metrics = importlib.util.module_from_spec(_spec)
sys.modules["coref_metrics"] = coref_metrics  # dataclasses look their module up there
_spec.loader.exec_module(coref_metrics)

pytest.importorskip("scipy", reason="CEAF-e's optimal alignment needs scipy (the `bench` extra)")


def assignment(*clusters: str) -> dict[str, int]:
    """'abc', 'defg' -> {a: 0, b: 0, c: 0, d: 1, ...}"""
    return {mention: index for index, cluster in enumerate(clusters) for mention in cluster}


KEY = assignment("abc", "defg")
PRADHAN_RESPONSE = assignment("ab", "cd", "fghi")


def test_pradhan_example_muc():
    # Recall: K1 is split into {a,b},{c} (3 - 2 = 1 link kept), K2 into {d},{e missing},{f,g} (4 - 3 = 1);
    # links in the key: 2 + 3 = 5, so 2/5. Precision: R1 keeps 1 of 1, R2 splits into {c},{d} (0 of 1),
    # R3 into {f,g},{h},{i} (1 of 3): 2/5.
    score = coref_metrics.score_all(KEY, PRADHAN_RESPONSE)["muc"]
    assert score.recall == pytest.approx(2 / 5)
    assert score.precision == pytest.approx(2 / 5)
    assert score.f1 == pytest.approx(0.4)


def test_pradhan_example_b_cubed():
    # Recall = (2²/3 + 1²/3 + 1²/4 + 2²/4) / 7 = (5/3 + 5/4) / 7 = 35/84 (e overlaps nothing).
    # Precision = (2²/2 + 1²/2 + 1²/2 + 2²/4) / 8 = 4/8 (h and i overlap nothing).
    score = coref_metrics.score_all(KEY, PRADHAN_RESPONSE)["b3"]
    assert score.recall == pytest.approx(35 / 84)
    assert score.precision == pytest.approx(0.5)
    assert score.f1 == pytest.approx(2 * (35 / 84) * 0.5 / (35 / 84 + 0.5))


def test_pradhan_example_ceaf_e():
    # phi4: K1-R1 = 2*2/5 = 0.8, K1-R2 = 2/5, K2-R2 = 2/6, K2-R3 = 2*2/8 = 0.5. Best alignment
    # K1-R1 + K2-R3 = 1.3; recall 1.3 / 2 key entities, precision 1.3 / 3 response entities.
    score = coref_metrics.score_all(KEY, PRADHAN_RESPONSE)["ceaf_e"]
    assert score.recall == pytest.approx(0.65)
    assert score.precision == pytest.approx(1.3 / 3)


def test_conll_is_the_mean_of_the_three_f1():
    scores = coref_metrics.score_all(KEY, PRADHAN_RESPONSE)
    b3_f1 = 2 * (35 / 84) * 0.5 / (35 / 84 + 0.5)
    ceaf_f1 = 2 * 0.65 * (1.3 / 3) / (0.65 + 1.3 / 3)
    assert scores["conll"] == pytest.approx((0.4 + b3_f1 + ceaf_f1) / 3)


def test_perfect_response_scores_one_everywhere_singletons_included():
    key = assignment("abc", "defg", "h", "i")
    response = {mention: f"other-name-{cluster}" for mention, cluster in key.items()}
    scores = coref_metrics.score_all(key, response)
    for name in ("muc", "b3", "ceaf_e"):
        assert scores[name].recall == pytest.approx(1.0)
        assert scores[name].precision == pytest.approx(1.0)
    assert scores["conll"] == pytest.approx(1.0)


def test_all_singletons_response():
    response = assignment(*"abcdefg")
    scores = coref_metrics.score_all(KEY, response)
    # MUC: no link found (recall 0); the response has no link (precision 0/0 = 0, as the reference scorer).
    assert scores["muc"].recall == 0 and scores["muc"].precision == 0 and scores["muc"].f1 == 0
    # B3: every mention's response cluster is itself: recall (3 * 1/3 + 4 * 1/4) / 7 = 2/7, precision 1.
    assert scores["b3"].recall == pytest.approx(2 / 7)
    assert scores["b3"].precision == pytest.approx(1.0)
    # CEAF-e: each key entity aligns with one singleton: 2/(3+1) + 2/(4+1) = 0.9; recall 0.9/2, precision 0.9/7.
    assert scores["ceaf_e"].recall == pytest.approx(0.45)
    assert scores["ceaf_e"].precision == pytest.approx(0.9 / 7)


def test_one_cluster_response():
    response = dict.fromkeys("abcdefg", "all")
    scores = coref_metrics.score_all(KEY, response)
    # MUC: every key link is found (recall 1); the response's 6 links, split into 2 key parts, keep 5.
    assert scores["muc"].recall == pytest.approx(1.0)
    assert scores["muc"].precision == pytest.approx(5 / 6)
    # B3: recall 1; precision (3 * 3/7 + 4 * 4/7) / 7 = 25/49.
    assert scores["b3"].recall == pytest.approx(1.0)
    assert scores["b3"].precision == pytest.approx(25 / 49)
    # CEAF-e: the single response entity aligns with K2: 2*4/(4+7) = 8/11; recall 8/11 / 2, precision 8/11.
    assert scores["ceaf_e"].recall == pytest.approx(4 / 11)
    assert scores["ceaf_e"].precision == pytest.approx(8 / 11)


def test_spurious_response_mention_lowers_precision_only():
    scores = coref_metrics.score_all(assignment("ab"), assignment("abh"))
    # MUC precision: {a,b,h} splits into {a,b},{h}: 1 of 2 links. B3 precision: (2²/3) / 3 = 4/9.
    # CEAF-e: phi4 = 2*2/(2+3) = 0.8 on both sides (one entity each).
    assert scores["muc"].recall == pytest.approx(1.0) and scores["muc"].precision == pytest.approx(0.5)
    assert scores["b3"].recall == pytest.approx(1.0) and scores["b3"].precision == pytest.approx(4 / 9)
    assert scores["ceaf_e"].recall == pytest.approx(0.8) and scores["ceaf_e"].precision == pytest.approx(0.8)


def test_missing_response_mention_lowers_recall_only():
    scores = coref_metrics.score_all(assignment("abc"), assignment("ab"))
    # MUC recall: {a,b,c} is split into {a,b},{c missing}: 1 of 2 links. B3 recall: (2²/3) / 3 = 4/9.
    assert scores["muc"].recall == pytest.approx(0.5) and scores["muc"].precision == pytest.approx(1.0)
    assert scores["b3"].recall == pytest.approx(4 / 9) and scores["b3"].precision == pytest.approx(1.0)


def test_muc_of_a_singletons_only_key_is_zero():
    # A key without links gives MUC recall 0/0 (scored 0); B3 and CEAF-e still reward the right singletons.
    scores = coref_metrics.score_all(assignment("a", "b"), assignment("a", "b"))
    assert scores["muc"].f1 == 0
    assert scores["b3"].f1 == pytest.approx(1.0) and scores["ceaf_e"].f1 == pytest.approx(1.0)
    assert scores["conll"] == pytest.approx(2 / 3)


def test_ceaf_e_alignment_is_optimal_not_greedy():
    # Key K1 = {a,b,c,d}, K2 = {x}; response R1 = {a,b,c,x}, R2 = {d}.
    # phi4: K1-R1 = 2*3/8 = 0.75, K1-R2 = 2/5 = 0.4, K2-R1 = 2/5 = 0.4, K2-R2 = 0.
    # Greedy takes K1-R1 first (0.75, then K2-R2 adds 0); the optimum is K1-R2 + K2-R1 = 0.8.
    key = assignment("abcd", "x")
    response = assignment("abcx", "d")
    score = coref_metrics.score_all(key, response)["ceaf_e"]
    assert score.recall == pytest.approx(0.8 / 2)
    assert score.precision == pytest.approx(0.8 / 2)


def brute_force_ceaf_e(key, response):
    """CEAF-e by trying every one-to-one alignment: the definition itself, for tiny inputs."""
    key_clusters, response_clusters = coref_metrics.clusters_of(key), coref_metrics.clusters_of(response)
    small, large = key_clusters, response_clusters
    if len(small) > len(large):
        small, large = large, small
    best = 0.0
    for chosen in itertools.permutations(range(len(large)), len(small)):
        total = sum(2 * len(small[i] & large[j]) / (len(small[i]) + len(large[j])) for i, j in enumerate(chosen))
        best = max(best, total)
    return best / len(key_clusters), best / len(response_clusters)


def per_mention_b_cubed(key, response):
    """B3 over one shared mention set, from the textbook per-mention definition."""
    key_clusters, response_clusters = coref_metrics.clusters_of(key), coref_metrics.clusters_of(response)
    key_of = {m: c for c in key_clusters for m in c}
    response_of = {m: c for c in response_clusters for m in c}
    recall = sum(len(key_of[m] & response_of[m]) / len(key_of[m]) for m in key) / len(key)
    precision = sum(len(key_of[m] & response_of[m]) / len(response_of[m]) for m in key) / len(key)
    return recall, precision


@pytest.mark.parametrize("seed", range(40))
def test_random_partitions_match_the_definitions(seed):
    generator = random.Random(seed)
    mentions = list("abcdefg")[: generator.randint(1, 7)]
    key = {m: generator.randint(0, 3) for m in mentions}
    response = {m: generator.randint(0, 3) for m in mentions}
    scores = coref_metrics.score_all(key, response)
    assert (scores["ceaf_e"].recall, scores["ceaf_e"].precision) == pytest.approx(brute_force_ceaf_e(key, response))
    assert (scores["b3"].recall, scores["b3"].precision) == pytest.approx(per_mention_b_cubed(key, response))
    # Swapping key and response swaps recall and precision in every metric.
    swapped = coref_metrics.score_all(response, key)
    for name in ("muc", "b3", "ceaf_e"):
        assert swapped[name].recall == pytest.approx(scores[name].precision)
        assert swapped[name].precision == pytest.approx(scores[name].recall)
