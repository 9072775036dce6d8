"""The desk as an HTTP service (the ``service`` extra): :func:`create_app` and :func:`serve`."""

from ticketlog.service.app import create_app
from ticketlog.service.serve import serve

__all__ = ["create_app", "serve"]
