"""Attribution rules for the claims plugin: quotation marks, cue verbs, speakers, content and stance.

Pure functions over text and spaCy tokens; `claims.py` decides which sentences to parse and writes the
rows. The words are read from the cue lexicon of the parse's language (`cues`); a language without one
gives no claims. English parses carry spaCy's English labels (`dobj`, `prep`/`pobj`), French and Russian
ones Universal Dependencies (`obj`, `obl`), which the rules accept alike where they mean the same.
A parsed sentence is a separate spaCy Doc (`Parsed`): its token `i` is token `sent.start + i` of
the shared document parse, which carries the lemmas, tags and character offsets.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from .cues import ENGLISH, LEXICONS, lexicon_for

#: English cues (the lexicons of every language live in `cues`, one per language).
SPEECH_CUES = ENGLISH.speech
#: Verbs of denial in every language with a lexicon (lemmas do not collide across them).
DENY_CUES = frozenset().union(*(lexicon.deny for lexicon in LEXICONS.values()))
#: Cues whose direct object is what was said ("denied the claim"); for `tell` or `warn` it is the hearer.
OBJECT_CONTENT = ENGLISH.object_content
# "reported losing"; "told airlines not to buy", "urged residents to leave"
INFINITIVE_CONTENT = frozenset(
    "claim deny vow pledge promise threaten report tell urge ask warn advise order call recommend".split())
DIRECTIVES = frozenset("tell urge ask warn advise order call recommend".split())
AS_CONTENT = frozenset("describe characterize label brand dismiss cite".split())  # "described X as Y"
OF_CONTENT = frozenset("warn complain".split())  # "warned of a critical situation"
# "called for a ceasefire", "asked for calm", "blamed the weather for the delay", "praised X for Y"
FOR_CONTENT = frozenset("call ask blame criticize criticise praise applaud condemn".split())
#: Nouns for the documents and occasions statements are made in: "said in a statement that ...",
#: "resigned in a letter stating ...".
DOCUMENT_NOUNS = frozenset("""
    statement letter memo memorandum note message release report post tweet email e-mail filing interview
    speech address briefing announcement blog column op-ed editorial video broadcast
""".split())
#: Verbs whose subject wrote the document they take as object: "issued a statement saying".
ISSUING_VERBS = frozenset("issue release publish send post write sign deliver give make put".split())
#: Verbs that report someone else's words: "X quoted Y as saying", "Y was quoted as saying".
QUOTING_VERBS = frozenset("quote cite".split())

PERSON_PRONOUNS = frozenset().union(*(lexicon.person_pronouns for lexicon in LEXICONS.values()))
THING_PRONOUNS = frozenset().union(*(lexicon.thing_pronouns for lexicon in LEXICONS.values()))
RELATIVE_PRONOUNS = frozenset("who which that".split())

# A statement that a place is still held, or that the other side's account is false, denies a capture
# or a claim even when its verb is neutral ("saying that it remains under the control of ..."): per language.
DENIAL_CONTENT = ENGLISH.denial_content
DENIAL_PATTERNS = tuple(lexicon.denial_content for lexicon in LEXICONS.values() if lexicon.denial_content)

# Opening mark -> its kind; closing mark -> its kind. Straight quotes are both and are told apart by
# their neighbours. Single quotes are left alone: they are apostrophes far more often than quotes.
OPENERS = {"“": "curly", "«": "angle", "„": "curly"}
CLOSERS = {"”": "curly", "»": "angle"}
QUOTE_CHARS = set('"“”«»„')
MAX_QUOTE = 3000  # characters: an unclosed mark must not swallow the document
PARAGRAPH = re.compile(r"\n[ \t]*\n")


@dataclass
class Claim:
    cue: str
    cue_start: int
    cue_end: int
    start: int
    end: int
    speaker: str | None = None
    speaker_start: int | None = None  # the speaker as written (a pronoun stays a pronoun here)
    speaker_end: int | None = None
    speaker_mention_id: str | None = None
    speaker_label: str | None = None
    stance: str = "assert"
    quote: str = "indirect"
    pronoun: str | None = None  # set when `speaker` was resolved from this pronoun


# --- quotation marks ---------------------------------------------------------------------------------


def find_quotes(text: str) -> list[tuple[int, int]]:
    """Outermost quoted passages as (offset of the opening mark, offset after the closing mark).

    Pairs never cross a paragraph break and never exceed MAX_QUOTE characters; an unpaired mark is
    ignored, so an odd number of marks loses one quotation, not the rest of the document.
    """
    pairs: list[tuple[int, int]] = []
    para_start = 0
    for brk in [*PARAGRAPH.finditer(text), None]:
        para_end = brk.start() if brk else len(text)
        pairs.extend(_pair_marks(text, para_start, para_end))
        para_start = brk.end() if brk else len(text)
    pairs.sort()
    outermost: list[tuple[int, int]] = []
    for start, end in pairs:
        if outermost and start < outermost[-1][1]:
            continue  # nested inside the previous outer quotation
        outermost.append((start, end))
    return outermost


def _pair_marks(text: str, lo: int, hi: int) -> list[tuple[int, int]]:
    stack: list[tuple[int, str]] = []
    pairs = []
    for i in range(lo, hi):
        ch = text[i]
        if ch not in QUOTE_CHARS:
            continue
        if ch == '"':
            role = _straight_role(text, i, lo, hi, any(kind == "straight" for _, kind in stack))
            kind = "straight"
        else:
            role, kind = ("open", OPENERS[ch]) if ch in OPENERS else ("close", CLOSERS[ch])
        if role == "open":
            stack.append((i, kind))
            continue
        for depth in range(len(stack) - 1, -1, -1):
            if stack[depth][1] == kind:
                start = stack[depth][0]
                del stack[depth:]  # openers inside it that never closed are dropped
                if i + 1 - start <= MAX_QUOTE:
                    pairs.append((start, i + 1))
                break
    return pairs


def _straight_role(text: str, i: int, lo: int, hi: int, one_is_open: bool) -> str:
    before = text[i - 1] if i > lo else " "
    after = text[i + 1] if i + 1 < hi else " "
    opens = (before.isspace() or before in "([{—–-/:") and not after.isspace()
    closes = not before.isspace() and (after.isspace() or not after.isalnum())
    if opens and not closes:
        return "open"
    if closes and not opens:
        return "close"
    return "close" if one_is_open else "open"


def quote_at(quotes: list[tuple[int, int]], offset: int) -> tuple[int, int] | None:
    """The quotation whose marks enclose `offset`, if any (`quotes` as `find_quotes` returns them)."""
    i = bisect_right(quotes, offset, key=lambda q: q[0]) - 1
    if i >= 0 and quotes[i][0] < offset < quotes[i][1] - 1:
        return quotes[i]
    return None


def quotes_between(quotes: list[tuple[int, int]], lo: int, hi: int) -> list[tuple[int, int]]:
    """The quotations that overlap [lo, hi)."""
    first = max(bisect_right(quotes, lo, key=lambda q: q[0]) - 1, 0)
    last = bisect_right(quotes, hi, key=lambda q: q[0])
    return [q for q in quotes[first:last] if q[0] < hi and lo < q[1]]


def quote_kind(start: int, end: int, quotes: list[tuple[int, int]], text: str) -> str:
    """direct: the content is one quotation; mixed: it holds quoted words; indirect: none."""
    for q_start, q_end in quotes_between(quotes, start, end):
        inner = trim(text, q_start + 1, q_end - 1)
        if inner == (start, end):
            return "direct"
        if q_start < end and start < q_end:
            return "mixed"
    return "indirect"


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink a span past surrounding spaces and the commas or periods that only join it to a frame."""
    while start < end and (text[start].isspace() or text[start] in ",:;—–-"):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in ",;:—–-"):
        end -= 1
    return start, end


# --- cues -------------------------------------------------------------------------------------------


def is_cue(token) -> bool:
    """A speech verb in the shared parse (lemmas and tags, no dependencies), in the parse's language."""
    language = token.doc.lang_
    lexicon = lexicon_for(language)
    if lexicon is None:
        return False
    is_verb = token.tag_.startswith("VB") if language == "en" else token.pos_ == "VERB"
    return is_verb and token.lemma_.lower() in lexicon.speech


def is_according_to(token) -> bool:
    """English "according to" (the claims plugin reads its object with English labels)."""
    return token.lower_ == "according" and token.i + 1 < len(token.doc) and token.doc[token.i + 1].lower_ == "to"


# --- one parsed sentence ----------------------------------------------------------------------------


class Parsed:
    """A sentence of the shared parse with its dependency parse (a separate Doc of the same tokens)."""

    def __init__(self, sent, parse) -> None:
        self.sent = sent
        self.parse = parse
        self.offset = sent.start

    def token(self, i: int):
        """The shared-parse token for parsed token index `i` (lemma, tag, idx)."""
        return self.sent.doc[self.offset + i]

    def start(self, tok) -> int:
        return self.token(tok.i).idx

    def end(self, tok) -> int:
        shared = self.token(tok.i)
        return shared.idx + len(shared.text)

    def span(self, first, last) -> tuple[int, int]:
        return self.start(first), self.end(last)

    def subtree_span(self, tok, skip_marks: bool = True) -> tuple[int, int]:
        tokens = list(tok.subtree)
        while skip_marks and len(tokens) > 1 and (tokens[0].dep_ in ("mark", "punct") or tokens[0].is_punct):
            tokens.pop(0)
        return self.span(tokens[0], tokens[-1])


def content_of(p: Parsed, cue, lemma: str) -> tuple[int, int, object] | None:
    """The span of what the cue introduces, from the parse, and the head of that clause (or None)."""
    children = list(cue.children)
    for child in children:
        if child.dep_ == "ccomp":
            start, end = clause_span(p, child)
            return leading_time_end(p, cue, child, start), end, child
    if lemma in INFINITIVE_CONTENT:
        for child in children:
            if child.dep_ == "xcomp":
                # "told skippers not to sail" is an instruction, not a denial: its negation is its content
                return (*p.subtree_span(child, skip_marks=False), None if lemma in DIRECTIVES else child)
    lexicon = lexicon_for(cue.doc.lang_) or ENGLISH
    objects = [c for c in children if c.dep_ in ("dobj", "obj", "oprd")] if lemma in lexicon.object_content else []
    as_phrases = [c for c in children if c.dep_ == "prep" and c.lower_ == "as"] if lemma in AS_CONTENT else []
    if lemma in FOR_CONTENT and objects:  # "blamed the storm for the delay"
        as_phrases += [c for c in children if c.dep_ == "prep" and c.lower_ == "for"]
    if lemma == "call" and any(c.dep_ == "oprd" for c in children):  # "called the vote a sham"
        objects = [c for c in children if c.dep_ in ("dobj", "oprd")]
    if objects or (as_phrases and lemma != "dismiss"):
        parts = objects + as_phrases
        start = min(p.subtree_span(c, skip_marks=False)[0] for c in parts)
        end = max(p.subtree_span(c, skip_marks=False)[1] for c in parts)
        if as_phrases and not objects:
            start = p.subtree_span(as_phrases[0], skip_marks=False)[0] + len("as ")
        return start, end, (objects[0] if objects else None)
    if lemma in OF_CONTENT:
        for child in children:
            if child.dep_ == "prep" and child.lower_ in ("of", "about", "against"):
                return (*p.subtree_span(child, skip_marks=False), None)
    if lemma in FOR_CONTENT:
        for child in children:
            if child.dep_ == "prep" and child.lower_ == "for":
                return (*p.subtree_span(child, skip_marks=True), None)
    document_clause = that_clause_of_document(p, cue)
    if document_clause is not None:
        start, end = clause_span(p, document_clause)
        that = min(document_clause.subtree, key=lambda t: t.i)  # tagged as the relative's object
        return p.end(that) if p.start(that) == start else start, end, document_clause
    return None


def lemma_of(p: Parsed, tok) -> str:
    """The lemma from the shared parse (the sentence's own parse has dependencies, not lemmas)."""
    return p.token(tok.i).lemma_.lower()


def that_clause_of_document(p: Parsed, cue):
    """The reported clause the parser hung on the document a statement was made in: in "announced in
    a memo that she would retire" it makes "that she would retire" a relative clause of "memo". A
    relative clause has its own subject besides "that" only when it is really a complement clause."""
    for prep in cue.children:
        if prep.dep_ != "prep" or prep.lower_ not in ("in", "on", "through", "via"):
            continue
        for noun in prep.children:
            if noun.dep_ != "pobj" or lemma_of(p, noun) not in DOCUMENT_NOUNS:
                continue
            for clause in noun.rights:
                first = min(clause.subtree, key=lambda t: t.i)
                if clause.dep_ in ("relcl", "acl", "ccomp") and first.lower_ == "that" and any(
                        c.dep_ in ("nsubj", "nsubjpass", "expl") and c.i != first.i for c in clause.children):
                    return clause
    return None


CONTRASTS = frozenset("while though although whereas but even".split())


def clause_span(p: Parsed, head) -> tuple[int, int]:
    """A reported clause up to where the reporter takes over again: a contrast ("..., while Ukraine
    disputed ...", "though ...") or another speech verb joined to it ("..., claiming ...")."""
    tokens = sorted(head.subtree, key=lambda t: t.i)
    for child in head.rights:
        first = min(child.subtree, key=lambda t: t.i)
        if (child.dep_ == "advcl" and (first.lower_ in CONTRASTS or is_cue(p.token(child.i)))) \
                or (child.dep_ == "conj" and is_cue(p.token(child.i))
                    and not any(c.dep_ == "auxpass" for c in child.children)):  # "or was dismissed" is content
            tokens = [t for t in tokens if t.i < first.i]
            break
    while len(tokens) > 1 and (tokens[0].dep_ in ("mark", "punct") or tokens[0].is_punct):
        tokens.pop(0)
    while len(tokens) > 1 and (tokens[-1].dep_ == "cc" or tokens[-1].is_punct) and tokens[-1].text not in QUOTE_CHARS:
        tokens.pop()
    return p.span(tokens[0], tokens[-1])


def leading_time_end(p: Parsed, cue, head, start: int) -> int:
    """Where reported content begins once a time expression right after the cue is given back to the cue:
    in "said last month his troops were advancing" or "said Tuesday the talks had failed" news style puts
    the statement's time there (the parser hangs it on the reported clause). After "that" it stays in
    the content: "said that last month the troops advanced"."""
    first = min(head.subtree, key=lambda t: t.i)
    if first.i != cue.i + 1:
        return start
    for child in sorted(head.children, key=lambda t: t.i):
        if child.i > head.i or child.dep_ in ("nsubj", "nsubjpass", "expl"):
            break
        tokens = sorted(child.subtree, key=lambda t: t.i)
        if tokens[0].i != first.i or child.dep_ not in ("npadvmod", "prep", "advmod", "tmod"):
            continue
        words = [t for t in tokens if not (t.dep_ == "prep" and t.i == tokens[0].i)]
        if words and all(p.token(t.i).ent_type_ in ("DATE", "TIME") for t in words):
            after = tokens[-1].i + 1
            return p.start(p.parse[after]) if after <= head.i else start
        break
    return start


def document_author(p: Parsed, noun):
    """Who wrote the document a statement is made in: "resigned in a letter stating ...", "issued a
    statement calling ..." (not "police found a letter saying ...": finding is not writing)."""
    if lemma_of(p, noun) not in DOCUMENT_NOUNS:
        return None
    if noun.dep_ == "pobj" and noun.head.dep_ == "prep":
        verb = noun.head.head
    elif noun.dep_ == "dobj" and lemma_of(p, noun.head) in ISSUING_VERBS:
        verb = noun.head
    else:
        return None
    author = [c for c in verb.children if c.dep_ == "nsubj"]
    return author[0] if author and p.token(verb.i).tag_.startswith("VB") else None


def subject_of(p: Parsed, cue):
    """The speaker token of a cue: its subject, the agent of a passive, or the subject it shares."""
    tok = cue
    for _ in range(4):
        for child in tok.children:
            if child.dep_ in ("nsubj", "csubj"):
                if child.lower_ in RELATIVE_PRONOUNS and tok.dep_ == "relcl":
                    return tok.head
                return child
            if child.dep_ == "agent":
                objects = [c for c in child.children if c.dep_ == "pobj"]
                if objects:
                    return objects[0]
        head = tok.head
        if head.i == tok.i:  # the root
            return None
        if tok.dep_ in ("relcl", "acl"):
            if tok.dep_ == "acl" and p.token(tok.i).tag_ == "VBN":
                return None  # "a company called Zenith", "the figures reported": no one speaks
            author = document_author(p, head)
            if author is not None:
                return author
            return head  # "sources who warned", "a statement saying", "reports stating"
        if tok.dep_ == "pcomp" and head.dep_ == "prep" and head.head.i != head.i:
            quoting = head.head
            if head.lower_ == "as" and lemma_of(p, quoting) in QUOTING_VERBS:
                # "X quoted Y as saying", "Y was quoted as saying": Y spoke
                quoted = [c for c in quoting.children if c.dep_ in ("dobj", "nsubjpass")]
                if quoted:
                    return quoted[0]
            tok = quoting  # "justified his choice by saying"
            continue
        if tok.dep_ not in ("advcl", "xcomp", "conj"):
            return None
        if tok.dep_ == "advcl" and tok.lower_.endswith("ing"):
            # "..., while Ukraine disputed the assertion, claiming ...": the nearest clause before the
            # participle that has a subject lends it, whatever the parser attached the participle to
            # (only clauses after the head verb: "After X awarded it, Boeing protested, claiming ..." is Boeing's)
            for sibling in sorted(head.children, key=lambda t: -t.i):
                if head.i < sibling.i < tok.i and sibling.dep_ in ("advcl", "conj"):
                    subjects = [c for c in sibling.children if c.dep_ == "nsubj"]
                    if subjects:
                        return subjects[0]
        if head.dep_ == "ccomp" and is_cue(p.token(head.head.i)) and tok.dep_ in ("advcl", "conj"):
            # the parser hung "..., claiming" or "and acknowledged" on the reported clause; the
            # speaker is the reporting verb's
            tok = head.head
            continue
        tok = head
    return None


def speaker_span(p: Parsed, head) -> tuple[int, int]:
    """The speaker phrase without appositions, relative clauses or what follows a comma."""
    last = head
    for child in head.rights:
        first = min(child.subtree, key=lambda t: t.i)
        close_apposition = child.dep_ == "appos" and not first.doc[first.i - 1].is_punct  # "the operator X"
        if (child.dep_ in ("relcl", "acl", "appos", "punct", "parataxis", "advcl") or child.is_punct) \
                and not close_apposition:
            break
        if child.dep_ in ("advmod", "det", "npadvmod"):  # "Butolin and Pohorilyi both"
            continue
        last = max(child.subtree, key=lambda t: t.i)
    while last.i > head.i and last.lower_ in ("both", "all", "each", "also", "too"):
        last = last.doc[last.i - 1]
    first = min(head.subtree, key=lambda t: t.i)
    while first.i < head.i and (first.is_punct or first.dep_ == "punct"):
        first = first.doc[first.i + 1]
    return p.span(first, last)


def is_negated(tok) -> bool:
    """A `neg` dependent, or a negation adverb of the language ("ne ... pas")."""
    if tok is None:
        return False
    negations = (lexicon_for(tok.doc.lang_) or ENGLISH).negations
    return any(child.dep_ == "neg" or (child.dep_ == "advmod" and child.lower_ in negations)
               for child in tok.children)


def stance_of(lemma: str, cue_negated: bool, content: str, content_negated: bool) -> str:
    """deny for denials, negated assertions and statements whose content contradicts a claim (the
    denial wording of every language with a lexicon: a French sentence never matches a Russian pattern)."""
    deny = lemma in DENY_CUES
    if cue_negated:
        return "assert" if deny else "deny"
    if deny or content_negated or any(pattern.search(content) for pattern in DENIAL_PATTERNS):
        return "deny"
    return "assert"


# --- quotation frames -------------------------------------------------------------------------------


def trailer_quote(text: str, quotes: list[tuple[int, int]], frame_start: int) -> tuple[int, int] | None:
    """The quotation that a speaker frame starting at `frame_start` follows (`"...," he said`)."""
    before = quotes[:bisect_right(quotes, frame_start, key=lambda q: q[0])]
    for q_start, q_end in reversed(before[-2:]):
        if q_end > frame_start:
            continue
        between = text[q_end:frame_start]
        if len(between) <= 60 and not re.search(r"[.;!?\"“”«»]|\n\s*\n", between) and len(between.split()) <= 8:
            return q_start, q_end
        return None
    return None


def leader_quote(text: str, quotes: list[tuple[int, int]], frame_end: int) -> tuple[int, int] | None:
    """The quotation that a speaker frame ending at `frame_end` introduces (`it stated, «...»`)."""
    for q_start, q_end in quotes[bisect_left(quotes, frame_end, key=lambda q: q[0]):]:
        between = text[frame_end:q_start]
        if len(between) <= 60 and not re.search(r"[.;!?]|\n\s*\n", between) and (
                not between.strip() or between.rstrip()[-1:] in (",", ":") or between.strip().lower() == "that"):
            return q_start, q_end
        return None
    return None


def quote_content(text: str, q_start: int, q_end: int, sentence_start: int | None = None) -> tuple[int, int, str]:
    """What a framed quotation says: the words inside the marks, or, when a quotation followed by its
    speaker finishes a sentence begun outside the marks ("The army is "advancing," Putin said"), the
    sentence from `sentence_start` on."""
    if sentence_start is not None and sentence_start < q_start:
        lead = text[sentence_start:q_start]
        if lead.strip() and not lead.rstrip().endswith((",", ":")) and "\n" not in lead.strip():
            start, _ = trim(text, sentence_start, q_start)
            return start, q_end, "mixed"
    start, end = trim(text, q_start + 1, q_end - 1)
    return start, end, "direct"
