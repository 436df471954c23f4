"""SQLite storage: the database, its migrations, repositories and the unit of work."""

from .db import LATEST, Database, SchemaTooNew
from .misc import DialogState, OutboxMessage
from .uow import UnitOfWork

__all__ = ["LATEST", "Database", "DialogState", "OutboxMessage", "SchemaTooNew", "UnitOfWork"]
