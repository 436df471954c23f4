"""The Matrix channel: matrix-nio ↔ the dialogs, and the Matrix outbox sender."""

from __future__ import annotations

from .channel import MatrixChannel, MatrixLoginError
from .sender import MatrixSender

__all__ = ["MatrixChannel", "MatrixLoginError", "MatrixSender"]
