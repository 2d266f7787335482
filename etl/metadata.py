"""Article metadata every parser can trust: one set of rules for authors, titles, publishers and dates.

Host API: parse plugins (html, jsonl, markdown, docx, pdf) and the `metadata` clean plugin call
`settle(doc)`, so a page's metadata follows the same rules whatever the format it came in. Every rule
here encodes general knowledge of news pages, not phrases fitted to a few samples:

- **Authors** are people. A byline's lead word ("By", "Por", "Par", "Von", "От", "Від", ...) and a label
  ("责任编辑：", "Author:") are removed; news agencies (`AGENCIES`, the one list of them) go to
  `agency`; an outlet (the page's own publisher, its site name or domain, or a name shaped like an
  outlet: "... News", "Deutsche Welle") goes to `publisher` when that is empty, else to `agency`;
  strings that name no one ("Follow", "Submitted", "Unknown", "Staff", "Online News Editor", a URL) are
  dropped.
- **Titles** lose a site suffix or prefix ("... | CNN Politics", "...-新华网") when it matches the
  publisher, the site's name or the domain.
- **Publisher**: what the page declares, else the site's name, else the URL's domain
  (`publisher_source`: "metadata", "site_name", "url").
- **Dates** keep their precision (`published_at_granularity`: "time", "day", "month", "year"), honour a
  written UTC offset, and a publication date after the fetch time (`fetched_at`) is dropped: a page
  cannot be published after it was fetched, so such a date is a misreading.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from .languages import language_code

#: News agencies and wire services, by the spellings bylines use (lower case) -> their usual name.
#: The one list of agencies: general knowledge of news language.
AGENCIES: dict[str, str] = {}
for _name, _spellings in {
    "AFP": ("afp", "agence france-presse", "agence france presse", "afpbb", "afp news"),
    "Reuters": ("reuters", "thomson reuters", "reuters staff"),
    "AP": ("ap", "associated press", "the associated press", "ap news"),
    "dpa": ("dpa", "deutsche presse-agentur", "dpa-afx"),
    "EFE": ("efe", "agencia efe"),
    "ANSA": ("ansa",),
    "TASS": ("tass", "itar-tass", "тасс", "итар-тасс"),
    "Interfax": ("interfax", "интерфакс", "інтерфакс"),
    "RIA Novosti": ("ria novosti", "риа новости"),
    "Xinhua": ("xinhua", "xinhua news agency", "新华社", "新華社"),
    "Kyodo": ("kyodo", "kyodo news", "共同通信", "共同"),
    "Jiji": ("jiji", "jiji press", "時事通信", "時事"),
    "Yonhap": ("yonhap", "yonhap news agency", "연합뉴스"),
    "PA Media": ("pa", "pa media", "press association", "the press association"),
    "UPI": ("upi", "united press international"),
    "Bloomberg": ("bloomberg", "bloomberg news"),
    "Anadolu": ("anadolu", "anadolu agency", "anadolu ajansı", "aa"),
    "Europa Press": ("europa press",),
    "Lusa": ("lusa", "agência lusa"),
    "Agência Brasil": ("agência brasil", "agencia brasil"),
    "APA": ("apa", "austria presse agentur"),
    "Keystone-SDA": ("sda", "ats", "keystone-sda", "keystone-ats"),
    "Belga": ("belga",),
    "ANP": ("anp",),
    "ČTK": ("čtk", "ctk"),
    "PAP": ("pap", "polska agencja prasowa"),
    "PTI": ("pti", "press trust of india"),
    "ANI": ("ani", "asian news international"),
    "IANS": ("ians",),
    "Bernama": ("bernama",),
    "Antara": ("antara",),
    "CNA": ("cna", "central news agency", "中央社"),
    "AAP": ("aap", "australian associated press"),
    "The Canadian Press": ("canadian press", "the canadian press", "cp"),
    "Ukrinform": ("ukrinform", "укрінформ"),
    "UNIAN": ("unian", "уніан"),
    "Notimex": ("notimex",),
    "WAFA": ("wafa",),
    "KCNA": ("kcna", "korean central news agency"),
    "Sputnik": ("sputnik",),
    "NTB": ("ntb",),
    "TT": ("tt", "tt nyhetsbyrån"),
    "Ritzau": ("ritzau",),
    "STT": ("stt",),
    "MTI": ("mti",),
    "Agerpres": ("agerpres",),
    "Tanjug": ("tanjug",),
    "HINA": ("hina",),
    "BTA": ("bta",),
}.items():
    for _spelling in _spellings:
        AGENCIES[_spelling] = _name

# A byline's lead word ("By Jane Doe") in the languages of the news this project reads.
_LEAD = re.compile(
    r"^(?:(?i:written\s+by|reported\s+by|reporting\s+by|posted\s+by|story\s+by|words\s+by|by|por|par|"
    r"von(?!\s+(?:der|den|dem|zu)\b)|vom|door|przez|от|від|από)"
    # Lead words that are also the start of surnames ("Da Silva", "Di Maio", "Av"): lower case only.
    r"|di|da|av|af|od)(?:\s*[:：]\s*|\s+)")
# A label before the name: "责任编辑：孔德明", "Author: ...", "記者／...".
_LABEL = re.compile(
    r"^(?:责任编辑|責任編輯|编辑|編輯|作者|记者|記者|撰文|文字|文|来源|來源|source|author|autor|auteur|autore|"
    r"reporter|text|texto|texte|redacción|redaccion|rédaction|redaktion|redazione|written\s+by)\s*[:：/／|]\s*",
    re.I)
# What follows a name in a byline ("Par AFP publié le 12/03", "Jane Doe | Updated 3 hours ago").
_TRAILER = re.compile(
    r"\s*(?:[|•·,–—-]\s*)?\b(?:publié|publie|mis à jour|publicado|actualizado|published|updated|posted|"
    r"veröffentlicht|aktualisiert|pubblicato|aggiornato|опубликовано|обновлено|on\s+\w+\s+\d)\b.*$",
    re.I | re.S)
# Strings that name no one: site widgets, placeholders, roles without a name.
_NOT_A_NAME = frozenset("""
follow follow us submitted unknown anonymous admin administrator staff editor editors editorial print
share email guest user author authors none null undefined n/a na contributor contributors web desk
newsroom team reporter correspondent redaktion redacción rédaction redazione redakcja редакция редакція
""".split()) | {"follow us", "staff writer", "staff reporter", "web desk", "news desk", "online news editor",
                "editorial staff", "editorial team", "news team", "web team", "the editors", "our reporter",
                "special correspondent", "guest author", "guest contributor", "press release"}
# Words that make a string a role or a desk, not a person ("Online News Editor", "National Desk").
_ROLE_WORDS = frozenset("""
staff desk newsroom team editor editors reporter reporters correspondent correspondents writer writers
contributor contributors admin bureau redaktion redacción rédaction redazione
""".split())
# Words that make a string an outlet ("ABC News", "The Daily Telegraph", "Deutsche Welle").
_OUTLET_WORDS = frozenset("""
news newspaper newspapers agency press media tv television radio magazine times journal post herald
tribune gazette network broadcasting corporation inc ltd llc gmbh online daily weekly welle zeitung wire
nachrichten noticias notícias nouvelles novosti новости новини diario periódico
""".split())
_OUTLET_SUFFIXES = ("新闻", "新聞", "日报", "日報", "新聞社", "新闻社", "通信社", "新闻网", "网", "網",
                    "电视台", "電視台", "放送", "テレビ")
_CJK = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
_CJK_NAME = re.compile(rf"^[{_CJK}·・]{{2,6}}$")
_NAME_SPLIT = re.compile(r"\s*(?:;|\||\s+and\s+|\s+&\s+|\s+y\s+|\s+et\s+|\s+und\s+|\s+e\s+|\s+и\s+|、|，|／|/)\s*",
                         re.I)
_HAS_DIGIT_OR_SIGN = re.compile(r"[\d@#<>{}\[\]=+*]|https?:|www\.|\.(?:com|org|net|co|ru|cn)\b", re.I)

# Separators between a title and a site name: " | ", " - ", " — ", " :: ", " · ", " » ", and
# around CJK the bare "-", "_", "｜", "：" that those sites use without spaces.
_TITLE_SPLIT = re.compile(rf"\s+[|\-–—:·•»]{{1,2}}\s+|\s*[|｜_]\s*|(?<=[{_CJK}）」』\w])\s*[-－–—：]\s*(?=[{_CJK}])")
_MIN_TITLE_CHARS = 8

_DATE_PATTERNS = (
    # 2018-06-19T05:50:00+09:00, 2018-06-19 05:50, 20180619T055000+0900
    (re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})[T\s](\d{1,2}):?(\d{2})(?::?(\d{2}))?(?:[.,]\d+)?\s*"
                r"(Z|[+-]\d{2}:?\d{2}|[+-]\d{2}|UTC|GMT)?$", re.I), "time"),
    (re.compile(r"^(\d{4})-(\d{2})-(\d{2})$|^(\d{4})(\d{2})(\d{2})$"), "day"),
    (re.compile(r"^(\d{4})-(\d{2})$"), "month"),
    (re.compile(r"^(\d{4})$"), "year"),
)
GRANULARITIES = ("time", "day", "month", "year")


# --- dates -------------------------------------------------------------------------------------------

def parse_published(value: str | None) -> tuple[datetime, str] | None:
    """An ISO-like date string as (UTC datetime, granularity), or None.

    A written offset is honoured ("20180619T055000+0900" is 2018-06-18 20:50 UTC); a time without a
    zone is taken as UTC; a day, month or year alone is its first instant, with that granularity.
    """
    text = (value or "").strip()
    if not text:
        return None
    for pattern, granularity in _DATE_PATTERNS:
        match = pattern.match(text)
        if not match:
            continue
        try:
            if granularity == "time":
                year, month, day, hour, minute, second, zone = match.groups()
                when = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0))
                return when.replace(tzinfo=_zone(zone)).astimezone(timezone.utc), "time"
            numbers = [int(group) for group in match.groups() if group] + [1, 1]
            when = datetime(*numbers[:3], tzinfo=timezone.utc)
        except ValueError:  # month 13, February 30
            return None
        return when, granularity
    try:  # other ISO 8601 spellings (week dates, fractions): dateutil's strict ISO parser
        from dateutil.parser import isoparse

        when = isoparse(text)
    except (ValueError, OverflowError):
        return None
    when = when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when.astimezone(timezone.utc)
    return when, "time"


def _zone(zone: str | None) -> timezone:
    if not zone or zone.upper() in ("Z", "UTC", "GMT"):
        return timezone.utc
    digits = zone[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    offset = timedelta(hours=hours, minutes=minutes)
    return timezone(-offset if zone[0] == "-" else offset)


def set_published(doc, when: datetime | None, granularity: str | None, source: str = "metadata") -> None:
    """Set the publication date with its precision, unless it comes after the fetch time."""
    if when is None:
        return
    when = when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when.astimezone(timezone.utc)
    doc.published_at, doc.published_at_source = when, source
    doc.published_at_granularity = granularity if granularity in GRANULARITIES else "time"
    _check_against_fetch(doc)


def _check_against_fetch(doc) -> None:
    fetched = doc.fetched_at
    if doc.published_at is None or fetched is None:
        return
    fetched = fetched.replace(tzinfo=timezone.utc) if fetched.tzinfo is None else fetched
    # A day or a year is "after" the fetch only when it starts after it.
    if doc.published_at > fetched:
        doc.published_at = doc.published_at_source = doc.published_at_granularity = None


# --- authors -----------------------------------------------------------------------------------------

def agency_name(text: str) -> str | None:
    """The agency a byline names ("Agence France-Presse" -> "AFP"), or None."""
    key = " ".join(text.casefold().replace("(", " ").replace(")", " ").split()).strip(" .,:;-")
    return AGENCIES.get(key)


def clean_author(raw: str) -> str:
    """One byline string without its lead word, label and trailing date ("Por Alberto Ávila" -> "Alberto Ávila")."""
    text = unicodedata.normalize("NFC", " ".join(raw.split()))
    for _ in range(3):  # "By: Autor: Jane Doe", "责任编辑：" after "By"
        before = text
        text = _LABEL.sub("", text)
        text = _LEAD.sub("", text)
        text = text.lstrip(":：-–— ")
        if text == before:
            break
    text = _TRAILER.sub("", text)
    return text.strip(" \t,;:|-–—·•()[]")


def is_person_name(name: str) -> bool:
    """Whether a cleaned byline string can be a person's name (not a widget, role, URL or sentence)."""
    folded = name.casefold().strip(" .")
    if not folded or folded in _NOT_A_NAME or _HAS_DIGIT_OR_SIGN.search(name):
        return False
    if _CJK_NAME.match(name):
        return True
    words = folded.replace(".", ". ").split()
    if len(words) > 5 or not any(ch.isalpha() for ch in folded):
        return False
    if any(word.strip(".,") in _ROLE_WORDS for word in words):
        return False
    # A name is capitalised in scripts with case ("jane doe" from a URL slug is not trusted either way).
    return not all(word[:1].islower() for word in name.split())


def _is_role(name: str) -> bool:
    return any(word.strip(".,") in _ROLE_WORDS for word in name.casefold().split())


def looks_like_outlet(name: str, site_names: list[str]) -> bool:
    """Whether a byline string names an outlet: the page's own site, or a name shaped like a news outlet."""
    key = _squash(name)
    for site in site_names:
        site_key = _squash(site)
        if key and site_key and (key == site_key or (len(key) >= 3 and (site_key.startswith(key)
                                                                        or key.startswith(site_key)))):
            return True
    words = name.casefold().split()
    if any(word.strip(".,()") in _OUTLET_WORDS for word in words) and not _CJK_NAME.match(name):
        return True
    # An acronym alone ("CNN", "BBC", "NPR") is an organisation: people are not written so.
    if re.fullmatch(r"[A-Z]{2,6}", name):
        return True
    return name.endswith(_OUTLET_SUFFIXES)


def sort_authors(doc, names: list[str], source: str, sites: tuple[str | None, ...] = ()) -> None:
    """Set `doc.authors` from byline strings: people to `authors`, agencies to `agency`, outlets to
    `publisher` (when empty) or `agency`; the rest dropped. `authors_source` says where they came from."""
    people: list[str] = []
    agencies = list(doc.agency)
    sites = site_names(doc, sites)
    for raw in names:
        for piece in _split_names(clean_author(raw)):
            name = clean_author(piece)
            if not name:
                continue
            if agency := agency_name(name):
                _add(agencies, agency)
            elif _is_role(name):
                continue  # "Online News Editor", "News Desk": a role, not a person nor an outlet
            elif looks_like_outlet(name, sites):
                if doc.publisher is None:
                    doc.publisher, doc.publisher_source = name, "byline"
                elif _squash(name) not in (_squash(site) for site in sites):
                    _add(agencies, name)
            elif is_person_name(name):
                _add(people, name)
    doc.authors = people
    doc.authors_source = source if people else None
    doc.agency = agencies


def byline_names(line: str) -> list[str]:
    """The people a byline line names ("By Cristina Alonso", "Por Ana Pérez y Luis Gil"), or [] when the
    line is not a byline: it must open with a byline's lead word or label and name only people."""
    text = " ".join(line.split())
    if len(text) > 120 or not (_LEAD.match(text) or _LABEL.match(text)):
        return []
    names = [clean_author(piece) for piece in _split_names(clean_author(text))]
    names = [name for name in names if name]
    return names if names and all(is_person_name(name) or agency_name(name) for name in names) else []


def _split_names(text: str) -> list[str]:
    pieces = [piece for piece in _NAME_SPLIT.split(text) if piece.strip()]
    out: list[str] = []
    for piece in pieces:
        parts = [part.strip() for part in piece.split(",") if part.strip()]
        # "Doe, Jane" is one name; "Jane Doe, Reuters" and "Jane Doe, John Roe" are two.
        if len(parts) == 2 and all(len(part.split()) == 1 for part in parts) and not any(
                agency_name(part) for part in parts):
            out.append(piece)
        else:
            out.extend(parts)
    return out


def _add(items: list[str], value: str) -> None:
    if value.casefold() not in (item.casefold() for item in items):
        items.append(value)


# --- publisher and title -----------------------------------------------------------------------------

def domain_of(url: str | None) -> str | None:
    """The host of a web address without "www." ("https://www.themoscowtimes.com/..." -> "themoscowtimes.com")."""
    if not url or not url.startswith(("http://", "https://")):
        return None
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return None
    host = re.sub(r"^(?:www\d?|m|amp|mobile)\.", "", host)
    return host if "." in host else None


def site_names(doc, extra: tuple[str | None, ...] = ()) -> list[str]:
    """Names the page's site goes by: its publisher, `extra` names (og:site_name), and its domain's name
    ("cnn" of "edition.cnn.com")."""
    names = [name for name in (doc.publisher, *extra) if name]
    if domain := domain_of(doc.url):
        labels = domain.split(".")
        # The registrable label: "cnn" in edition.cnn.com, "bbc" in bbc.co.uk, "news" in news.cn.
        core = labels[-3] if len(labels) >= 3 and len(labels[-2]) <= 3 and len(labels[-1]) == 2 else labels[-2]
        names.extend([domain, core])
    return names


def strip_site_from_title(title: str | None, sites: list[str]) -> str | None:
    """The title without a site name before or after a separator: the site's own name (its publisher,
    site name or domain), or a name shaped like an outlet ("Noticias", "新华网"). Section names between
    the headline and a stripped site name go too ("... » Local » Noticias")."""
    if not title:
        return title
    for site in sites:  # "LinkNaija | Nigeria's popular news platform: Headline" (a site name holding a separator)
        for name in {site, *_TITLE_SPLIT.split(site)}:
            name = name.strip()
            rest = title[len(name):] if len(name) >= 4 and title.casefold().startswith(name.casefold()) else ""
            if rest[:1] in (":", "|", "-", "–", "—", "：", " ") and (rest := rest.lstrip(" :|-–—：")) \
                    and len(rest) >= _MIN_TITLE_CHARS and rest != title:
                if re.match(r"\s*[:|\-–—：]", title[len(name):]):
                    title = rest
    parts = _TITLE_SPLIT.split(title)
    if len(parts) < 2:
        return title
    seps = _TITLE_SPLIT.findall(title)
    if _names_site(parts[-1], sites) or _outlet_part(parts[-1], sites):
        parts, seps = parts[:-1], seps[:-1]
        # Sections left behind the site name: short parts after the same separator.
        while len(parts) > 1 and seps[-1].strip() == seps[-1 if len(seps) == 1 else -2].strip() \
                and len(parts[-1].split()) <= 2 and len(parts[-1]) <= 20 and len(parts[0]) > 2 * len(parts[-1]):
            parts, seps = parts[:-1], seps[:-1]
    elif _names_site(parts[0], sites):
        parts, seps = parts[1:], seps[1:]
    else:
        return title
    kept = _join(parts, seps)
    return kept if len(kept) >= _MIN_TITLE_CHARS or _has_cjk(kept) and len(kept) >= 4 else title


def _outlet_part(part: str, sites: list[str]) -> bool:
    """A short title part shaped like an outlet's name ("Noticias", "Daily News", "新华网")."""
    part = part.strip()
    if _has_cjk(part):
        return len(part) <= 8 and part.endswith(_OUTLET_SUFFIXES)
    return len(part.split()) <= 3 and looks_like_outlet(part, sites)


def _names_site(part: str, sites: list[str]) -> bool:
    key = _squash(part)
    if not key:
        return False
    for site in sites:
        site_key = _squash(site)
        if not site_key or len(site_key) < 2:
            continue
        # "CNN Politics" starts with "CNN"; "日本経済新聞 電子版" starts with "日本経済新聞"; "news.cn" is "newscn".
        if key == site_key or (len(site_key) >= 3 and (key.startswith(site_key) or site_key.startswith(key))
                               and len(key) >= 3):
            return True
    return False


def _join(parts: list[str], seps: list[str]) -> str:
    out = parts[0]
    for sep, part in zip(seps, parts[1:]):
        out += sep + part
    return out.strip()


def _squash(text: str | None) -> str:
    """Lower case, letters and digits only: "The Moscow Times" -> "themoscowtimes"."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    text = re.sub(r"^the\s+", "", text)
    return "".join(ch for ch in text if ch.isalnum())


def _has_cjk(text: str) -> bool:
    return bool(re.search(f"[{_CJK}]", text))


# --- the whole -----------------------------------------------------------------------------------------

def settle(doc, site_name: str | None = None) -> None:
    """Apply every rule to `doc`'s metadata; safe to call again (the clean stage does, after a container
    such as a WARC record filled in the URL and fetch time). `site_name` is the site's own name when the
    parser knows one apart from the publisher (og:site_name)."""
    sites = (site_name,)
    if doc.publisher and not doc.publisher_source:
        doc.publisher_source = "metadata"
    if doc.publisher is None and (domain := domain_of(doc.url)):
        doc.publisher, doc.publisher_source = domain, "url"
    if doc.authors:
        sort_authors(doc, list(doc.authors), doc.authors_source or "metadata", sites)
    if doc.title:
        if not doc.title_source:
            # A title no parser declared came from the text's own headline (a first line, a heading).
            headlines = (segment.text for segment in doc.segments if segment.label == "headline")
            doc.title_source = "headline" if doc.title in headlines else "metadata"
        doc.title = strip_site_from_title(doc.title, site_names(doc, sites))
    if doc.published_at is not None:
        if doc.published_at.tzinfo is None:
            doc.published_at = doc.published_at.replace(tzinfo=timezone.utc)
        if not doc.published_at_granularity:
            doc.published_at_granularity = "time"
        _check_against_fetch(doc)
    if doc.language:
        doc.language = language_code(doc.language)
        if doc.language and not doc.language_source:
            doc.language_source = "markup"
