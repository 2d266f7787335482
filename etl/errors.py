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


class ContractError(PluginError):
    """The enabled plugins' declared needs and provisions do not fit together (see `etl.contracts`)."""


class PluginFailed(Exception):
    """A plugin raised while working on a document (or, in enrich and load, on the corpus).

    The stage runner wraps every plugin failure in this one type, so that each is charged the same way:
    `plugin` and `stage` say who failed where, `cause` is what the plugin raised.
    """

    def __init__(self, plugin: str | None, stage: str, cause: BaseException) -> None:
        self.plugin, self.stage, self.cause = plugin, stage, cause
        where = f"plugin {plugin!r}" if plugin else "the host"
        super().__init__(f"{where} failed during {stage}: {type(cause).__name__}: {cause}")

    @property
    def error_type(self) -> str:
        return type(self.cause).__name__


class NeedNotMet(DocumentError):
    """A plugin was skipped for a document because a plugin it needs failed on that document."""


class DocumentTimeout(BaseException):
    """A document took longer than `document_timeout` seconds in parse, clean and extract together.

    A `BaseException`, like `KeyboardInterrupt`, so that a plugin's own `except Exception` cannot swallow
    it: the stage runner catches it and charges the document.
    """
