"""The adjectives English news uses for the people and things of a country ("Ukrainian forces", "the Russian
defence ministry"), and the place each one names.

General knowledge of the language, not of a corpus: the states of the world, their usual English adjectives,
and a few regions and continents news writes about the same way. Adjectives that are mostly words of another
kind ("Guinea" has no safe adjective; "Georgian" is also a US state's and an era's) are left out, as are ethnic
and religious groups ("Kurdish", "Arab", "Jewish"), which name no place. `entities` reads it to tell a
nationality adjective from a group's name; `entity_links` to give the adjective its place's entity.
"""

from __future__ import annotations

# "Place: adjective, adjective" — the place as English news names it, so that the adjective's mentions join
# that name's entity (an acronym such as "US" or "UK" joins its spelled-out form in `entity_links`).
_PLACES = """
Afghanistan: Afghan; Albania: Albanian; Algeria: Algerian; Andorra: Andorran; Angola: Angolan
Argentina: Argentine, Argentinian; Armenia: Armenian; Australia: Australian; Austria: Austrian
Azerbaijan: Azerbaijani, Azeri; Bahrain: Bahraini; Bangladesh: Bangladeshi; Belarus: Belarusian, Belarussian
Belgium: Belgian; Belize: Belizean; Benin: Beninese; Bhutan: Bhutanese; Bolivia: Bolivian
Bosnia: Bosnian; Botswana: Botswanan; Brazil: Brazilian; Brunei: Bruneian; Bulgaria: Bulgarian
Burkina Faso: Burkinabe; Burundi: Burundian; Cambodia: Cambodian; Cameroon: Cameroonian; Canada: Canadian
Chad: Chadian; Chile: Chilean; China: Chinese; Colombia: Colombian; Congo: Congolese; Costa Rica: Costa Rican
Croatia: Croatian; Cuba: Cuban; Cyprus: Cypriot; Czech Republic: Czech; Denmark: Danish; Djibouti: Djiboutian
Dominican Republic: Dominican; Ecuador: Ecuadorian, Ecuadorean; Egypt: Egyptian; El Salvador: Salvadoran
Eritrea: Eritrean; Estonia: Estonian; Ethiopia: Ethiopian; Fiji: Fijian; Finland: Finnish; France: French
Gabon: Gabonese; Gambia: Gambian; Germany: German; Ghana: Ghanaian; Greece: Greek; Guatemala: Guatemalan
Guyana: Guyanese; Haiti: Haitian; Honduras: Honduran; Hungary: Hungarian; Iceland: Icelandic; India: Indian
Indonesia: Indonesian; Iran: Iranian; Iraq: Iraqi; Ireland: Irish; Israel: Israeli; Italy: Italian
Ivory Coast: Ivorian; Jamaica: Jamaican; Japan: Japanese; Jordan: Jordanian; Kazakhstan: Kazakh, Kazakhstani
Kenya: Kenyan; Kosovo: Kosovan, Kosovar; Kuwait: Kuwaiti; Kyrgyzstan: Kyrgyz; Laos: Laotian; Latvia: Latvian
Lebanon: Lebanese; Lesotho: Basotho; Liberia: Liberian; Libya: Libyan; Liechtenstein: Liechtensteiner
Lithuania: Lithuanian; Luxembourg: Luxembourgish; Madagascar: Malagasy; Malawi: Malawian; Malaysia: Malaysian
Maldives: Maldivian; Mali: Malian; Malta: Maltese; Mauritania: Mauritanian; Mauritius: Mauritian
Mexico: Mexican; Moldova: Moldovan; Monaco: Monegasque; Mongolia: Mongolian; Montenegro: Montenegrin
Morocco: Moroccan; Mozambique: Mozambican; Myanmar: Burmese; Namibia: Namibian; Nepal: Nepalese, Nepali
Netherlands: Dutch; Nicaragua: Nicaraguan; Niger: Nigerien; Nigeria: Nigerian
North Korea: North Korean; North Macedonia: Macedonian; Norway: Norwegian; Oman: Omani; Pakistan: Pakistani
Palestine: Palestinian; Panama: Panamanian; Papua New Guinea: Papua New Guinean; Paraguay: Paraguayan
Peru: Peruvian; Philippines: Filipino, Philippine; Poland: Polish; Portugal: Portuguese; Qatar: Qatari
Romania: Romanian; Russia: Russian; Rwanda: Rwandan; Saudi Arabia: Saudi; Senegal: Senegalese
Serbia: Serbian; Sierra Leone: Sierra Leonean; Singapore: Singaporean; Slovakia: Slovak, Slovakian
Slovenia: Slovenian, Slovene; Somalia: Somali; South Africa: South African; South Korea: South Korean
South Sudan: South Sudanese; Spain: Spanish; Sri Lanka: Sri Lankan; Sudan: Sudanese; Suriname: Surinamese
Sweden: Swedish; Switzerland: Swiss; Syria: Syrian; Taiwan: Taiwanese; Tajikistan: Tajik; Tanzania: Tanzanian
Thailand: Thai; Togo: Togolese; Tunisia: Tunisian; Turkey: Turkish; Turkmenistan: Turkmen; Uganda: Ugandan
Ukraine: Ukrainian; United Arab Emirates: Emirati; United Kingdom: British; United States: American
Uruguay: Uruguayan; Uzbekistan: Uzbek; Venezuela: Venezuelan; Vietnam: Vietnamese; Yemen: Yemeni
Zambia: Zambian; Zimbabwe: Zimbabwean
Soviet Union: Soviet; Yugoslavia: Yugoslav, Yugoslavian
England: English; Scotland: Scottish; Wales: Welsh; Northern Ireland: Northern Irish; Crimea: Crimean
Chechnya: Chechen; Catalonia: Catalan; Quebec: Quebecois; Bavaria: Bavarian; Siberia: Siberian
Africa: African; Asia: Asian; Latin America: Latin American; Scandinavia: Scandinavian
"""

#: An adjective ("Ukrainian", "South Korean") -> the place it names ("Ukraine", "South Korea").
PLACE_OF_DEMONYM: dict[str, str] = {
    adjective.strip(): place.strip()
    for line in _PLACES.strip().splitlines() for entry in line.split(";")
    for place, adjectives in [entry.split(":")] for adjective in adjectives.split(",")
}
#: The longest adjective in words, so a caller knows how far to look.
LONGEST = max(len(adjective.split()) for adjective in PLACE_OF_DEMONYM)


def place_of(adjective: str) -> str | None:
    """The place a nationality adjective names, or None: "Ukrainian" -> "Ukraine"; exact case ("german" is
    not the adjective of a text that capitalises its proper names)."""
    return PLACE_OF_DEMONYM.get(" ".join(adjective.split()))
