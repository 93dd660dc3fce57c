"""Board descriptions: Renode .repl files parsed (repl) and validated into a Platform (model)."""
from __future__ import annotations

from tandem.platform.model import Platform, list_boards, load_platform

__all__ = ["Platform", "list_boards", "load_platform"]
