"""The monthly credit report: built once from the store (:mod:`.model`), rendered as JSON,
Markdown, CSV or a self-contained HTML page by pure functions."""

from __future__ import annotations

from .model import Report, ServiceReport, build_report

__all__ = ["Report", "ServiceReport", "build_report"]
