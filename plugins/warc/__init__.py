"""The `warc` parse plugin (`plugin.py`): web archives (WARC, ARC, WET, WAT; plain, gzip or lz4) to documents.

`streams.py` says which format a file holds and decompresses it member by member, bounded;
`revisits.py` finds the record a `revisit` record repeats.
"""
