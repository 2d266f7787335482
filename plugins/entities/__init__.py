"""The `entities` plugin (`plugin.py`), `entity_links` (`links.py`) and the word lists they share (`names.py`)."""
