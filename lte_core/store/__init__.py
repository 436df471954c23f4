"""SQLite storage: the database, its migrations, repositories and the unit of work."""

from .conn import Connection, Row
from .db import LATEST, Database, SchemaTooNew
from .dialog_state import DialogState
from .outbox import OutboxMessage
from .uow import UnitOfWork

__all__ = [
    "LATEST",
    "Connection",
    "Database",
    "DialogState",
    "OutboxMessage",
    "Row",
    "SchemaTooNew",
    "UnitOfWork",
]
