"""``python -m ticketlog``: the same as the ``ticketlog`` command."""

from __future__ import annotations

from ticketlog.cli import run

run()
