"""Running a service: uvicorn with one-line JSON logs.

:func:`configure_logging` sends every log record (ours, uvicorn's, libraries') to one handler
that writes a JSON object per line, so logs can be shipped and queried without parsing prose.
Library loggers that would print credentials at DEBUG (authlib logs issued tokens) are held at
WARNING. :func:`run` serves an app built by a service's ``create_app`` on a loopback address
unless told otherwise.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from typing import Any, Protocol, TextIO

__all__ = ["JsonFormatter", "closing_lifespan", "configure_logging", "run"]

# Attributes every LogRecord has; anything else on a record came from ``extra=`` and is logged.
_RECORD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "color_message",  # uvicorn's ANSI-coloured duplicate of the message
}
# Loggers that print secrets (tokens, client credentials) at DEBUG/INFO.
_QUIET_LOGGERS = ("authlib",)
_HANDLER_MARK = "_lintas_json_handler"


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object: ``time``, ``level``, ``logger``, ``message``, extras, ``exc``."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as a single line of JSON."""
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in vars(record).items():
            if name not in _RECORD_ATTRS and not name.startswith("_"):
                entry[name] = value
        if record.exc_info and record.exc_info[0] is not None:
            entry["exc_type"] = record.exc_info[0].__name__
            entry["exc"] = "".join(traceback.format_exception(*record.exc_info))
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(level: str | int = "INFO", stream: TextIO | None = None) -> logging.Handler:
    """Send all logging to one JSON-lines handler on ``stream`` (stderr); safe to call again."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _HANDLER_MARK, False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    setattr(handler, _HANDLER_MARK, True)
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        # uvicorn's loggers propagate to the root handler instead of printing their own format.
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    return handler


def run(app: Any, host: str = "127.0.0.1", port: int = 8000, log_level: str = "info", **options: Any) -> None:
    """Serve ``app`` with uvicorn until interrupted; ``options`` go to ``uvicorn.run``.

    The ``Server`` header is off (no version banner) and logs are JSON lines.
    """
    import uvicorn

    configure_logging(log_level)
    settings: dict[str, Any] = {"server_header": False, "log_config": None, "log_level": log_level, **options}
    uvicorn.run(app, host=host, port=port, **settings)


class _Closable(Protocol):
    def close(self) -> None: ...


def closing_lifespan(resources: Sequence[_Closable]) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """A FastAPI ``lifespan`` that closes ``resources`` (stores, HTTP clients the app owns) at shutdown."""

    @asynccontextmanager
    async def lifespan(_: Any) -> AsyncIterator[None]:
        yield
        for resource in resources:
            resource.close()

    return lifespan
