"""Model builders: single-op test models (:mod:`.ops`), architectures (:mod:`.zoo`)."""
from __future__ import annotations
