"""A natasha analysis as a spaCy `Doc` over exactly the same text.

The extract plugins read `document.nlp` as a spaCy `Doc` (tokens with `pos_`, `lemma_`, `dep_`,
character offsets, sentences, entities), whatever made it. natasha's tokens, sentences, Universal
Dependencies and PER/LOC/ORG spans are written into one, on a blank Russian vocabulary. Whitespace
between tokens other than one space becomes a whitespace token, as spaCy's tokenizer makes, so that
`Doc.text` is the text and every offset points into it. Negation keeps spaCy's English label `neg` (UD
calls "не" `advmod` with `Polarity=Neg`), which the claims rules read.
"""

from __future__ import annotations

#: Particles that negate the word they modify.
NEGATIONS = frozenset({"не", "ни"})


def to_spacy(vocab, text: str, analysis) -> object:
    """The spaCy Doc of `text` from natasha's `analysis` (segmented, tagged, parsed, NER-tagged)."""
    from spacy.tokens import Doc

    words, spaces, pos, lemmas, morphs, heads, deps = [], [], [], [], [], [], []
    index_of: dict[str, int] = {}  # natasha token id ("1_3") -> index in the spaCy Doc
    parents: list[str | None] = []
    cursor = 0

    def whitespace(gap: str, head_hint: int | None) -> None:
        words.append(gap)
        spaces.append(False)
        pos.append("SPACE")
        lemmas.append(gap)
        morphs.append("")
        parents.append(None)
        heads.append(head_hint)
        deps.append("dep")

    sentences: list[list[int]] = []  # the Doc indices of each sentence's words
    for sentence in analysis.sents:
        sentences.append([])
        for token in sentence.tokens:
            gap = text[cursor:token.start]
            if gap and words and gap == " ":
                spaces[-1] = True
            elif gap:
                if words and gap.startswith(" ") and not spaces[-1]:
                    spaces[-1] = True
                    gap = gap[1:]
                if gap:
                    whitespace(gap, len(words) - 1 if words else None)
            index_of[token.id] = len(words)
            sentences[-1].append(len(words))
            words.append(text[token.start:token.stop])
            spaces.append(False)
            pos.append(token.pos or "X")
            lemmas.append(token.lemma or token.text.lower())
            morphs.append("|".join(f"{k}={v}" for k, v in sorted((token.feats or {}).items())))
            parents.append(token.head_id)
            heads.append(None)
            deps.append("neg" if (token.text.lower() in NEGATIONS and token.rel == "advmod")
                        else "ROOT" if token.rel == "root" else (token.rel or "dep"))
            cursor = token.stop
    tail = text[cursor:]
    if tail:
        if words and tail == " ":
            spaces[-1] = True
        else:
            whitespace(tail, len(words) - 1 if words else None)
    for i, parent in enumerate(parents):
        if heads[i] is not None:
            continue
        heads[i] = index_of.get(parent, i) if parent is not None else i
        if heads[i] == i and deps[i] not in ("ROOT",) and pos[i] != "SPACE":
            deps[i] = "ROOT"
    for i in range(len(heads)):  # leading whitespace: hang it on the first word
        if heads[i] is None:
            heads[i] = min(i + 1, len(words) - 1)
    for members in sentences:
        break_cycles(members, heads, deps)
    doc = Doc(vocab, words=words, spaces=spaces, pos=pos, lemmas=lemmas, morphs=morphs, heads=heads, deps=deps)
    spans = [doc.char_span(span.start, span.stop, label=span.type, alignment_mode="expand")
             for span in analysis.spans]
    doc.ents = filter_overlaps([span for span in spans if span is not None])
    return doc


def break_cycles(members: list[int], heads: list[int], deps: list[str]) -> None:
    """Make one sentence's heads a tree: on odd input natasha's parser can return words that head each
    other with no root, and spaCy then cannot find the sentence. A word whose chain of heads never
    reaches a root hangs on the sentence's root (its first word becomes the root when it has none)."""
    inside = set(members)
    roots = [i for i in members if heads[i] == i]
    for i in members:
        seen, j = set(), i
        while heads[j] != j and j not in seen and heads[j] in inside:
            seen.add(j)
            j = heads[j]
        if heads[j] == j:
            continue
        if not roots:
            roots.append(i)
            heads[i], deps[i] = i, "ROOT"
        else:
            heads[i], deps[i] = roots[0], "dep"


def filter_overlaps(spans):
    from spacy.util import filter_spans

    return filter_spans(spans)
