"""The `claims` plugin (attributed statements, `plugin.py`, rules in `attribution.py`) and `claim_clusters`
(propositions, `clusters.py`)."""
