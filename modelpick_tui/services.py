"""Builds the services from settings. `make_app(settings, services)` is the one seam used by the
CLI and the tests to get a TUI over real (or test-pointed) services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlite_utils

from .catalog import fit
from .catalog.hub import HubClient
from .catalog.service import CatalogService
from .catalog.store import CatalogStore
from .db import open_db
from .settings import Settings

if TYPE_CHECKING:
    from .ui.app import ModelpickApp


@dataclass
class Services:
    settings: Settings
    db: sqlite_utils.Database
    catalog: CatalogService

    def close(self) -> None:
        self.catalog.hub.close()
        self.db.close()


def build_services(settings: Settings, memory: fit.Memory | None = None) -> Services:
    """Open the database and wire the services; nothing touches the network here."""
    db = open_db(settings.db_path)
    hub = HubClient(
        endpoint=settings.hf_endpoint,
        token=settings.resolved_token(),
        offline=settings.hf_offline,
        timeout=settings.hub_timeout,
        deadline=settings.hub_deadline,
    )
    if memory is None and settings.memory_spec:
        memory = fit.memory_from_spec(settings.memory_spec)
    catalog = CatalogService(CatalogStore(db), hub, settings.sample_dir, memory=memory)
    return Services(settings=settings, db=db, catalog=catalog)


def make_app(settings: Settings, services: Services) -> ModelpickApp:
    from .ui.app import ModelpickApp

    return ModelpickApp(settings=settings, services=services)
