"""Label page furniture in scraped text instead of throwing it away.

Scraped pages arrive with section labels, "4 min read", photo captions and credits, alt text repeated
above its caption, "Read more" links, related-article headlines and the reporter's biography mixed
into the text. Plain text has no markup to tell them apart, so these rules read the shape of each
block: its length and ending, its position before the first or after the last body paragraph, credit
patterns, repetition of the next block, and biography phrasing. Nothing is deleted: a block only
changes label, and only body blocks make `articles.text`.

The headline goes to `title`, the reporter named by a byline or biography to `authors`, and the outlet
a biography names ("a reporter at the Kyiv Independent") to `publisher`, when those are empty.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz

from etl import Segment, Setting, hookimpl

NAME = "furniture"

# Interface strings of news sites: buttons, counters and widget titles, never article prose.
_UI = re.compile(
    r"^(?:\d+\s*(?:min|mins|minute|minutes)\s+read|read more|show more|load more|see more|news feed|"
    r"most read|most popular|trending( now)?|advertisement|advert|sponsored( content)?|share( this)?|"
    r"share on \w+|subscribe( now)?|sign up|log in|follow us|comments?|print|email|avatar|"
    r"back to top|skip to (?:main )?content|menu|home|listen to (?:this )?article|"
    r"photo|video|watch|gallery|image|copy link|related( articles| stories| content)?|more on this story)"
    r"[.:!]?$", re.I)
_RELATED_PREFIX = re.compile(r"^(?:related(?: article| story| coverage)?|read also|see also|read more|"
                             r"also read|more)\s*:\s*\S", re.I)
_AGENCIES = r"Getty Images|AFP|AP|Reuters|EPA|Shutterstock|Anadolu|Bloomberg|Xinhua|Sputnik|TASS|dpa"
# A credit in parentheses that ends a line: "(Vincenzo Circosta / Anadolu / Getty Images)".
_CREDIT_TAIL = re.compile(
    rf"\s*(\((?:[^()]*\s/\s[^()]*|(?:photo|image|credit|source)s?\s*(?:by|:)[^()]*|[^()]*\b(?:{_AGENCIES})\b[^()]*)\))$",
    re.I)
# A short proper name in parentheses after a full stop: "... upper right of the map. (Deep State)".
_CREDIT_NAME = re.compile(r"(?<=[.!?])\s*(\((?:[A-Z][\w'’.&-]*\s?){1,5}\))$")
# A source name after the caption's last full stop: "... in the Kremlin on Thursday. kremlin.ru".
_CREDIT_AFTER_STOP = re.compile(
    rf"(?<=[.!?])\s+((?:[\w-]+\.)+(?:ru|ua|com|org|net|gov|int|co\.uk|io)|(?:photo:?\s*)?(?:{_AGENCIES})"
    rf"(?:\s*/\s*[\w .'-]+)?)$", re.I)
_PERSON_NAME = re.compile(r"^[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+){1,3}$")
_ROLES = r"reporter|journalist|correspondent|editor|writer|columnist|producer|photographer|contributor|analyst"
_ROLE_LINE = re.compile(rf"^(?:senior |chief |staff |freelance |foreign |political |war )*(?:{_ROLES})$", re.I)
_BIO = re.compile(
    rf"^(?P<name>[A-Z][\w-]+(?:\s+[A-Z][\w'’-]+){{1,3}})\s+(?:is|was|has been|works as|covers|joined)\b"
    rf"[^.]{{0,80}}\b(?i:{_ROLES})s?\b")
_OUTLET = re.compile(
    rf"\b(?:{_ROLES})s?\s+(?:at|for|with)\s+(?:the\s+)?(?P<outlet>[A-Z][\w&'’-]*(?:\s+[A-Z][\w&'’-]*){{0,4}})")
_BYLINE = re.compile(r"^by\s+(?P<names>[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+){0,3}(?:\s*(?:,|and|&)\s*[A-Z][\w'’.-]+"
                     r"(?:\s+[A-Z][\w'’.-]+){0,3})*)$", re.I)
_SENTENCE_END = re.compile(r"""[.!?]["'”’»)]*$""")


@hookimpl
def etl_settings():
    return {
        "min_body_words": Setting(12, int, "a block this long that ends a sentence counts as body"),
        "alt_text_similarity": Setting(88, int, "rapidfuzz partial ratio of alt text to the caption after it"),
    }


@hookimpl
def etl_clean(documents, config):
    settings = config.settings(NAME)
    for doc in documents:
        label_furniture(doc, settings["min_body_words"], settings["alt_text_similarity"])


def label_furniture(doc, min_body_words: int = 12, alt_similarity: int = 88) -> None:
    segments = _split_credits(doc.segments)
    by_rule = [_label_by_shape(s.text) if s.label == "body" else None for s in segments]
    _mark_alt_text(segments, by_rule, alt_similarity)
    for segment, label in zip(segments, by_rule):
        if label:
            segment.label, segment.plugin = label, NAME
    bios = [i for i, s in enumerate(segments) if s.label == "body" and _BIO.match(s.text)]
    prose = [i for i, s in enumerate(segments)
             if s.label == "body" and i not in bios and _is_prose(s.text, min_body_words)]
    if prose:
        # A biography is one only outside the article's run of paragraphs.
        for i in bios:
            if i < prose[0] or i > prose[-1]:
                segments[i].label, segments[i].plugin = "author_bio", NAME
        _label_head(doc, segments[: prose[0]])
        _label_tail(segments[prose[-1] + 1:])
    _take_metadata(doc, segments)
    for seq, segment in enumerate(segments):
        segment.seq = seq
    doc.segments = segments


def _split_credits(segments: list[Segment]) -> list[Segment]:
    """A caption line that ends in a credit becomes a caption segment and a credit segment."""
    out = []
    for segment in segments:
        match = (_CREDIT_TAIL.search(segment.text) or _CREDIT_NAME.search(segment.text)
                 or _CREDIT_AFTER_STOP.search(segment.text)) if segment.label == "body" else None
        if match and match.start() > 0:
            out.append(Segment(segment.text[: match.start()].rstrip(), "caption", plugin=NAME))
            out.append(Segment(match.group(1), "credit", plugin=NAME))
        else:
            out.append(segment)
    return out


def _label_by_shape(text: str) -> str | None:
    if _UI.match(text):
        return "navigation"
    if _RELATED_PREFIX.match(text):
        return "related"
    if _BYLINE.match(text):
        return "byline"
    return None


def _mark_alt_text(segments: list[Segment], labels: list[str | None], similarity: int) -> None:
    """A block repeated inside the caption right after it is the image's alt text: a caption too."""
    for i in range(len(segments) - 1):
        this, following = segments[i], segments[i + 1]
        if this.label != "body" or labels[i] or following.label != "caption":
            continue
        if fuzz.partial_ratio(this.text.lower(), following.text.lower()) >= similarity:
            labels[i] = "caption"


def _is_prose(text: str, min_words: int) -> bool:
    return len(text.split()) >= min_words and bool(_SENTENCE_END.search(text))


def _label_head(doc, head: list[Segment]) -> None:
    """Before the first paragraph: a section label, the headline, and a standfirst under it.

    Only a head that shows furniture (a caption, a widget) gets a standfirst: elsewhere the lines
    under a headline are as likely to be a venue, a date or a list that belongs to the story.
    """
    furnished = any(s.label in ("caption", "credit", "navigation") for s in head)
    body = [s for s in head if s.label == "body"]
    headline = next((s for s in head if s.label == "headline" and len(s.text.split()) >= 3), None)
    for position, segment in enumerate(head):
        if segment.label == "headline" and len(segment.text.split()) < 3 and position + 1 < len(head):
            segment.label, segment.plugin = "navigation", NAME  # a section label such as "War"
    if headline is None and body and len(body[0].text.split()) >= 3:
        headline = body.pop(0)
        headline.label, headline.plugin = "headline", NAME
    if headline is not None:
        if doc.title is None or len(doc.title.split()) < 3:
            doc.title = headline.text
        following = head[head.index(headline) + 1] if head.index(headline) + 1 < len(head) else None
        if furnished and following is not None and following.label == "body" and len(following.text.split()) >= 6:
            following.label, following.plugin = "standfirst", NAME


def _label_tail(tail: list[Segment]) -> None:
    """After the last paragraph, when it shows furniture: the reporter's name and role, related
    headlines and widgets. A tail without such signs (a results table, a list) stays body."""
    if not any(s.label in ("author_bio", "navigation", "byline") for s in tail):
        return
    bios = " ".join(s.text for s in tail if s.label == "author_bio")
    for segment in tail:
        if segment.label != "body":
            continue
        text, words = segment.text, len(segment.text.split())
        if _ROLE_LINE.match(text) or (_PERSON_NAME.match(text) and words <= 4 and text in bios):
            segment.label = "byline"
        elif words >= 4 and not _SENTENCE_END.search(text):
            segment.label = "related"
        elif words < 4:
            segment.label = "navigation"
        else:
            continue
        segment.plugin = NAME


def _take_metadata(doc, segments: list[Segment]) -> None:
    for segment in segments:
        if segment.label == "author_bio" and (bio := _BIO.match(segment.text)):
            if not doc.authors:
                doc.authors = [bio.group("name")]
            if doc.publisher is None and (outlet := _OUTLET.search(segment.text)):
                doc.publisher = outlet.group("outlet")
        elif segment.label == "byline" and (byline := _BYLINE.match(segment.text)) and not doc.authors:
            doc.authors = [n for n in re.split(r"\s*(?:,|\band\b|&)\s*", byline.group("names")) if n]
