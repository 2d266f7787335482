"""The `spacy` plugin (`plugin.py`): model loading (`models.py`), the `dependency_parse` service
(`parse.py`), and the faster attribute ruler and lemmatizer (`attribute_lookup.py`, `lemma_lookup.py`)."""
