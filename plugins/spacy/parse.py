"""Dependency parses of chosen sentences: the `dependency_parse` service of the `spacy` plugin.

The parser is the costly component of a spaCy pipeline, so the shared pass runs without it and a
plugin that needs dependencies (claims: the sentences that hold a speech cue) asks for them on the few
sentences that need them, through ``run.service("dependency_parse")(sentences)``.
"""

from __future__ import annotations

from pathlib import Path

from .models import loaded_pipeline, model_of, pipeline_for

PARSER_PIPES = ("tok2vec", "transformer", "parser")
SENTENCES_PER_BATCH = 256

_parsers: dict[str, object] = {}  # one parser-only pipeline per model, per process


class SentenceParser:
    """``parser(sentences)``: one parsed Doc per sentence (spans of the shared parse), same tokens.

    It parses with the pipeline that parsed the sentence's document when that pipeline has a parser
    (loaded, only switched off), else with a parser-only copy of its model. A sentence whose document
    has dependencies already (a model whose sentences come from its parser, another NLP plugin's
    parse) is taken as it is: never is one language parsed with another language's parser.
    """

    def __init__(self, settings: dict) -> None:
        self.settings = settings

    def pipeline(self, vocab=None):
        nlp = (loaded_pipeline(vocab) if vocab is not None else None) or pipeline_for(self.settings)
        if "parser" in nlp.component_names:
            return nlp
        return load_parser(model_of(nlp) or self.settings["model"])

    def __call__(self, sentences) -> list:
        if not sentences:
            return []
        parsed: list = [None] * len(sentences)
        by_vocab: dict[int, list[int]] = {}
        for index, sent in enumerate(sentences):
            if sent.doc.has_annotation("DEP"):
                parsed[index] = sent.as_doc()
            else:
                by_vocab.setdefault(id(sent.doc.vocab), []).append(index)
        for indices in by_vocab.values():
            group = [sentences[i] for i in indices]
            for index, doc in zip(indices, parse_sentences(self.pipeline(group[0].doc.vocab), group)):
                parsed[index] = doc
        return parsed


def load_parser(model: str):
    """A copy of `model` with only the parser and what it listens to, loaded once per process."""
    if model not in _parsers:
        import spacy

        _parsers[model] = spacy.load(model, exclude=[n for n in _pipe_names(model) if n not in PARSER_PIPES])
    return _parsers[model]


def _pipe_names(model: str) -> list[str]:
    from spacy.util import get_model_meta, get_package_path

    try:
        path = Path(model) if Path(model).is_dir() else get_package_path(model)
        if not (path / "meta.json").exists():
            path = next(p for p in path.iterdir() if (p / "meta.json").exists())
        meta = get_model_meta(path)
        return list(meta.get("components") or meta.get("pipeline") or [])
    except Exception:
        return ["tagger", "morphologizer", "attribute_ruler", "lemmatizer", "ner", "senter", "entity_ruler"]


def parse_sentences(nlp, sentences) -> list:
    """Dependency parses of `sentences` (spans of the shared parse), each a Doc of the same tokens.

    A sentence whose document is parsed already is taken as it is. Otherwise, when the parser reads
    the vectors of a `tok2vec` that the shared pass ran (spaCy's CNN pipelines), the sentence's slice
    of `Doc.tensor` is handed over and only the parser runs: the sentence is parsed from the vectors a
    full pipeline would give it, in document context, without being embedded a second time."""
    from spacy.tokens import Doc

    if not sentences:
        return []
    if all(sent.doc.has_annotation("DEP") for sent in sentences):
        return [sent.as_doc() for sent in sentences]
    docs = [Doc(nlp.vocab, words=[t.text for t in sent], spaces=[bool(t.whitespace_) for t in sent],
                sent_starts=[True] + [False] * (len(sent) - 1)) for sent in sentences]
    parser = nlp.get_pipe("parser")
    width = _shared_vector_width(nlp, parser)
    # Vectors of this pipeline's own tok2vec only: another model's would fit the shape and mislead.
    if width and all(sent.doc.vocab is nlp.vocab and sent.doc.tensor.shape[1:] == (width,) for sent in sentences):
        for doc, sent in zip(docs, sentences):
            doc.tensor = sent.doc.tensor[sent.start:sent.end]
        return list(parser.pipe(docs, batch_size=SENTENCES_PER_BATCH))
    for name in nlp.component_names:  # embed each sentence on its own, then parse it
        if name in PARSER_PIPES and name != "parser":
            docs = list(nlp.get_pipe(name).pipe(docs, batch_size=SENTENCES_PER_BATCH))
    return list(parser.pipe(docs, batch_size=SENTENCES_PER_BATCH))


def _shared_vector_width(nlp, parser) -> int | None:
    """The width of the vectors `parser` listens for, when they come from a `tok2vec` of `nlp` that
    the shared pass runs; None when the parser embeds tokens itself or listens to something else."""
    from spacy.pipeline.tok2vec import Tok2Vec, Tok2VecListener

    listener = next((node for node in parser.model.walk() if isinstance(node, Tok2VecListener)), None)
    if listener is None:
        return None
    upstream = listener.upstream_name
    if upstream == "*":
        upstream = next((name for name, pipe in nlp.pipeline if isinstance(pipe, Tok2Vec)), None)
    if upstream not in nlp.pipe_names or not isinstance(nlp.get_pipe(upstream), Tok2Vec):
        return None
    return listener.get_dim("nO")


