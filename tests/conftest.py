"""Shared test configuration: a private perovx home for every test session."""

from __future__ import annotations

import os
import tempfile

import matplotlib

matplotlib.use("Agg")

# A user's own materials database must never be touched by the tests.
os.environ.setdefault("PEROVX_HOME", tempfile.mkdtemp(prefix="perovx-test-home-"))
