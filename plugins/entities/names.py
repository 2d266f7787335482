"""Words that tell what a name is, shared by `entities` (one document) and `entity_links` (the corpus).

One list of each kind lives here; each plugin reads the view of it it needs.
"""

from __future__ import annotations

#: Titles that stand before a person's name and are not part of it ("President X", "Mr X", "Gen. X").
TITLES = frozenset({
    "president", "vice", "prime", "minister", "premier", "chancellor", "mr", "mrs", "ms", "mx", "dr", "sir",
    "dame", "lord", "lady", "prof", "professor", "general", "gen", "colonel", "col", "lieutenant", "lt",
    "major", "maj", "captain", "capt", "sergeant", "sgt", "commander", "admiral", "marshal", "senator", "sen",
    "governor", "gov", "mayor", "king", "queen", "prince", "princess", "pope", "judge", "justice",
    "ambassador", "secretary", "spokesman", "spokeswoman", "spokesperson", "chairman", "chairwoman", "ceo",
    "chief", "director",
})
#: Roles that, right before a name, say it is a person's, but that may also begin other names.
ROLES = frozenset({
    "private", "corporal", "miss", "chair", "cfo", "founder", "analyst", "reporter", "journalist",
    "correspondent", "editor", "officer", "head", "leader", "deputy", "commissioner", "envoy", "representative",
    "rep", "pres", "st",
})
#: Every word that puts a person's name right after it.
PERSON_CUES = (TITLES | ROLES) - {"prime", "mx"}
#: Honorifics safe enough to find a person a model missed entirely ("Mr Hollis").
HONORIFICS = frozenset({"mr", "mrs", "ms", "mx", "dr"})

#: Legal forms that end a company's name and do not tell two companies apart ("Yukos Oil Co").
LEGAL_FORMS = frozenset({
    "inc", "incorporated", "corp", "corporation", "co", "company", "ltd", "limited", "plc", "llc", "lp", "llp",
    "sa", "ag", "nv", "spa", "se", "gmbh", "holdings", "group",
})
#: The legal forms that, as a name's last word, mark a company and nothing else ("LP" is also a record,
#: "SE" a compass point): enough on their own to call a name an organisation's.
HEAD_LEGAL_FORMS = frozenset({"inc", "ltd", "corp", "co", "llc", "plc", "company", "group"}) & LEGAL_FORMS
#: Abbreviations of country names that begin the names of their institutions ("US Air Force", "UK
#: Treasury"), spelled out so that they meet the full form ("United States Air Force").
COUNTRY_ABBREVIATIONS = {"us": "united states", "uk": "united kingdom", "uae": "united arab emirates",
                         "eu": "european union"}
#: British spellings as American English writes them (word endings), so that "Defence" meets "Defense"
#: and "Centre" "Center" in two names that are otherwise the same.
BRITISH_ENDINGS = ((r"(def|off|lic|pret)ence$", r"\1ense"), (r"(?<=[bt])re$", "er"), (r"isation$", "ization"))
#: Words of a trade that follow a company's own name in its full form and are left out in the short one
#: ("Ford Motor Company" is "Ford", "Apple Computer" is "Apple"), unlike a place or a product ("Ford
#: Australia", "Apple TV"), which name another organisation or a thing.
TRADE_WORDS = frozenset({
    "motor", "motors", "automotive", "computer", "computers", "airlines", "airline", "airways", "aviation",
    "aircraft", "aerospace", "bank", "bancorp", "financial", "insurance", "pharmaceuticals", "pharmaceutical",
    "energy", "oil", "petroleum", "steel", "chemical", "chemicals", "electric", "electronics", "telecom",
    "telecommunications", "communications", "media", "entertainment", "foods", "technologies", "technology",
    "systems", "software", "industries", "enterprises", "semiconductor", "mining", "railways", "shipping",
})
#: Nouns that, around a name, say it is an organisation's ("the broadcaster X", "X, a bank").
ORGANISATION_NOUNS = frozenset({
    "company", "firm", "broadcaster", "newspaper", "agency", "channel", "outlet", "website", "airline",
    "carrier", "bank", "group", "party", "network", "publisher", "maker", "manufacturer", "retailer", "startup",
})


def alternation(words: frozenset[str]) -> str:
    """`words` as a regular-expression alternation, longest first (so "chairwoman" wins over "chair")."""
    return "|".join(sorted(words, key=lambda word: (-len(word), word)))
