"""The `events` plugin (`plugin.py`, mentions read by `mentions.py`), `event_links` (`links.py`) and the
general lexicon of news events they and `claim_clusters` read (`lexicon.py`)."""
