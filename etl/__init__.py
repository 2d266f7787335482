"""etl: a plugin-based document ETL for news.

A plugin needs only ``from etl import hookimpl``. The rest of this namespace is the public API for
plugins and programs: the document model, the settings type, helpers for parse plugins and the error
types a plugin may raise.
"""

__version__ = "0.6.0"

from .catalog import CATALOG_NAME, QueryError, open_catalog, write_catalog  # noqa: E402
from .changes import Changes  # noqa: E402
from .config import Config, Setting, load_config  # noqa: E402
from .context import RunContext  # noqa: E402
from .contracts import Contract  # noqa: E402
from .errors import DocumentError, DocumentTooLarge, EtlError, UnreadableInput  # noqa: E402
from .hookspecs import hookimpl  # noqa: E402
from .languages import language_code  # noqa: E402
from .model import (  # noqa: E402
    DEMONYM_FORM,
    NAME_FORM,
    OPPOSITE_EVENT_CLASSES,
    PLACE_LABELS,
    Document,
    Segment,
    mention_id_for,
    names_a_place,
    place_name_sql,
)
from .published import read_published  # noqa: E402
from .sources import Source, decode_text, split_paragraphs  # noqa: E402

__all__ = [
    "__version__", "hookimpl", "CATALOG_NAME", "Changes", "Config", "Contract", "RunContext", "Setting", "load_config",
    "Document", "Segment", "Source",
    "DocumentError", "DocumentTooLarge", "EtlError", "UnreadableInput", "decode_text", "split_paragraphs",
    "write_catalog", "open_catalog", "QueryError", "mention_id_for", "read_published",
    "language_code", "NAME_FORM", "DEMONYM_FORM", "OPPOSITE_EVENT_CLASSES", "PLACE_LABELS", "names_a_place",
    "place_name_sql",
]
