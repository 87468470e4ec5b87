"""Web: a page and JSON API over the perovx foundation (``perovx serve``)."""

from perovx.web.app import create_app

__all__ = ["create_app"]
