"""The `dates` plugin (`plugin.py`) and its TIMEX3 tagger: rules, calendar arithmetic, literal prefilter."""
