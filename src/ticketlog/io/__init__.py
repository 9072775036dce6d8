"""Getting data out of ticketlog: DataFrames for analysts (the ``analysis`` extra)."""

from __future__ import annotations
