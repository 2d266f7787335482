"""Domain errors. The CLI turns `EtlError` into a click error; nothing else here knows about click."""

from __future__ import annotations


class EtlError(Exception):
    """Base of every error the host raises on purpose; its message says what happened and how to fix it."""


class ConfigError(EtlError):
    """The configuration (file or command line) asks for something that does not exist or does not fit."""


class PluginError(EtlError):
    """A plugin could not be loaded, failed validation, or broke the hook contract."""


class SchemaError(EtlError):
    """Rows do not fit the declared schema of their table."""


class StoreError(EtlError):
    """The output folder is not usable (locked by another run, or not an etl output folder)."""


class DocumentError(EtlError):
    """One input document cannot be processed; it becomes an `errors` row and the run goes on."""


class UnreadableInput(DocumentError):
    """The bytes are empty, binary or in no encoding that can be detected."""


class DocumentTooLarge(DocumentError):
    """The document is larger than the configured `max_document_bytes`."""


class NoParser(DocumentError):
    """No installed parse plugin recognised the source."""
