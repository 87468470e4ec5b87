"""The record store: saved analyses, device fits and simulations with their provenance.

Every run the web page (or a script) saves becomes one row: when, what kind, which
device, the perovx version, every parameter as given, the SHA-256 of each input file,
the flat figures of merit and the full JSON result. SQLite under ``$PEROVX_HOME`` by
default (:func:`default_url`), or any SQLAlchemy URL — PostgreSQL for a group
(``postgresql://user@host/db``, driven by psycopg 3). The schema is created and kept
up to date by the Alembic migrations shipped in ``perovx/store/migrations``.

>>> store = open_store("sqlite://")                                     # doctest: +SKIP
>>> rid = store.save(kind="analysis", analysis="iv", device="pellet-3",
...                  parameters={"area": "4 mm2"}, inputs=[], figures={"rho": 1e9},
...                  results={})                                        # doctest: +SKIP
"""

from __future__ import annotations

from perovx.store.records import (
    KINDS,
    RecordStore,
    default_url,
    device_fit_figures,
    file_sha256,
    flat_figures,
    open_store,
)

__all__ = ["KINDS", "RecordStore", "default_url", "device_fit_figures", "file_sha256",
           "flat_figures", "open_store"]
