"""Coreference scores: MUC, B-cubed, CEAF-e and the CoNLL F1 (their mean), as the reference scorer defines them.

Definitions follow Pradhan et al. 2014 ("Scoring coreference partitions of predicted mentions: a reference
implementation", ACL), which the CoNLL-2012 scorer v8 implements. Key and response are mappings
mention -> cluster id. Singletons are clusters like any other (as in the ECB+ literature): they count in B3 and
CEAF-e and contribute nothing to MUC, whose links they have none of. The response may hold mentions the key
lacks and vice versa: each metric then treats them as the reference scorer does (a missing mention is its own
part in MUC's partitions, and has no overlap in B3 and CEAF-e), so precision falls with spurious mentions and
recall with missed ones.

All scores are fractions in [0, 1]. A metric whose denominator is zero (MUC on a key of singletons only) scores 0,
as the reference scorer does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

Clusters = list[frozenset]


@dataclass(frozen=True)
class Score:
    recall: float
    precision: float

    @property
    def f1(self) -> float:
        total = self.recall + self.precision
        return 2 * self.recall * self.precision / total if total else 0.0


def clusters_of(assignment: Mapping[Hashable, Hashable]) -> Clusters:
    """mention -> cluster id, turned into a list of mention sets (in first-seen order)."""
    members: dict[Hashable, set] = defaultdict(set)
    for mention, cluster in assignment.items():
        members[cluster].add(mention)
    return [frozenset(group) for group in members.values()]


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0


def _muc_recall(key: Clusters, response: Clusters) -> float:
    """Recall of key's links: a key cluster of size n loses one link per extra part the response splits it into.

    Mentions of a key cluster that the response lacks are parts of their own.
    """
    response_of = {mention: index for index, cluster in enumerate(response) for mention in cluster}
    found, links = 0, 0
    for cluster in key:
        parts = {response_of.get(mention, ("missing", mention)) for mention in cluster}
        found += len(cluster) - len(parts)
        links += len(cluster) - 1
    return _ratio(found, links)


def muc(key: Clusters, response: Clusters) -> Score:
    return Score(_muc_recall(key, response), _muc_recall(response, key))


def _b_cubed_recall(key: Clusters, response: Clusters) -> float:
    """Mean over key mentions of |K ∩ R| / |K|, summed cluster pair by cluster pair as the reference scorer does."""
    response_of = {mention: index for index, cluster in enumerate(response) for mention in cluster}
    total, mentions = 0.0, 0
    for cluster in key:
        overlaps: dict[int, int] = defaultdict(int)
        for mention in cluster:
            if mention in response_of:
                overlaps[response_of[mention]] += 1
        total += sum(overlap * overlap for overlap in overlaps.values()) / len(cluster)
        mentions += len(cluster)
    return _ratio(total, mentions)


def b_cubed(key: Clusters, response: Clusters) -> Score:
    return Score(_b_cubed_recall(key, response), _b_cubed_recall(response, key))


def b_cubed_of_labels(gold: Sequence[Hashable], system: Sequence[Hashable]) -> tuple[float, float, float]:
    """B-cubed (precision, recall, F1) of two labellings of the same mentions, given in the same order."""
    score = b_cubed(clusters_of(dict(enumerate(gold))), clusters_of(dict(enumerate(system))))
    return score.precision, score.recall, score.f1


def _linear_sum_assignment():
    from scipy.optimize import linear_sum_assignment  # scipy is a dependency of newsetl (event_links)

    return linear_sum_assignment


def ceaf_e(key: Clusters, response: Clusters) -> Score:
    """Entity-based CEAF with phi4(K, R) = 2 |K ∩ R| / (|K| + |R|) and the best one-to-one cluster alignment.

    Only clusters that share a mention can be aligned with a positive score, so the alignment is solved per
    connected component of the key-response overlap graph: the same optimum, on small matrices.
    """
    response_of = {mention: index for index, cluster in enumerate(response) for mention in cluster}
    overlaps: dict[tuple[int, int], int] = defaultdict(int)
    for key_index, cluster in enumerate(key):
        for mention in cluster:
            if mention in response_of:
                overlaps[key_index, response_of[mention]] += 1
    if not overlaps:
        return Score(0.0, 0.0)
    linear_sum_assignment = _linear_sum_assignment()

    # Union-find over nodes ("k", i) and ("r", j).
    parent: dict[tuple[str, int], tuple[str, int]] = {}

    def find(node):
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for k, r in overlaps:
        parent[find(("k", k))] = find(("r", r))
    components: dict[tuple[str, int], list[tuple[int, int]]] = defaultdict(list)
    for pair in overlaps:
        components[find(("k", pair[0]))].append(pair)

    aligned = 0.0
    for pairs in components.values():
        rows = sorted({k for k, _ in pairs})
        columns = sorted({r for _, r in pairs})
        row_at = {k: i for i, k in enumerate(rows)}
        column_at = {r: j for j, r in enumerate(columns)}
        similarity = [[0.0] * len(columns) for _ in rows]
        for k, r in pairs:
            similarity[row_at[k]][column_at[r]] = 2 * overlaps[k, r] / (len(key[k]) + len(response[r]))
        chosen_rows, chosen_columns = linear_sum_assignment(similarity, maximize=True)
        aligned += sum(similarity[i][j] for i, j in zip(chosen_rows, chosen_columns))
    return Score(_ratio(aligned, len(key)), _ratio(aligned, len(response)))


def score_all(key: Mapping[Hashable, Hashable], response: Mapping[Hashable, Hashable]) -> dict[str, Score | float]:
    """MUC, B3 and CEAF-e of a response against a key (mention -> cluster id each), and CoNLL F1 (their mean)."""
    key_clusters, response_clusters = clusters_of(key), clusters_of(response)
    scores: dict[str, Score | float] = {
        "muc": muc(key_clusters, response_clusters),
        "b3": b_cubed(key_clusters, response_clusters),
        "ceaf_e": ceaf_e(key_clusters, response_clusters),
    }
    scores["conll"] = sum(score.f1 for score in scores.values()) / 3
    return scores
