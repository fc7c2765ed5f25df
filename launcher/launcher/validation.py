"""Every process's settings, built before any process starts: a bad value stops `make run`
with its one line on the console instead of a process that exits and is restarted forever."""

from __future__ import annotations

from pydantic_settings import BaseSettings

from auth.settings import AuthSettings
from collection.settings import EntitySettings
from download.settings import DownloadSettings
from gateway.settings import GatewaySettings
from kit.settings import ENTITY_SERVICES, load_settings
from launcher.programs import SERVICE_MODULES
from library.settings import LibrarySettings

# Each process's settings class, as its __main__ builds it (the entity services share the
# engine's, collection.process).
SETTINGS: dict[str, type[BaseSettings]] = {
    "auth": AuthSettings,
    "library": LibrarySettings,
    **dict.fromkeys(ENTITY_SERVICES, EntitySettings),
    "download": DownloadSettings,
    "gateway": GatewaySettings,
}


def validate_every_process() -> None:
    """Builds each process's settings from the environment it will inherit; the first bad
    value raises SystemExit with kit.settings' one line naming the variable."""
    checked: set[type[BaseSettings]] = set()
    for name in (*SERVICE_MODULES, "gateway"):
        cls = SETTINGS[name]
        if cls not in checked:
            load_settings(cls)
            checked.add(cls)
