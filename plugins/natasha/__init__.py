"""The `natasha` plugin (`plugin.py`): Russian sentences, morphology, syntax and named entities from
natasha, as a spaCy `Doc` (`convert.py`) that the other extract plugins read like any other parse."""
