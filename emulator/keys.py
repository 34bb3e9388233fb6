"""Typed application state: each part of the emulator under one `web.AppKey`."""

from __future__ import annotations

from aiohttp import web

from .agents.action import ActionRunner
from .agents.approvals import Approvals
from .api.activity import Activity
from .api.auth import Auth
from .clock import Clock
from .config import Config
from .folder.load import FolderLoader
from .folder.status import FolderStatus
from .invoke import Invoker
from .logstore import LogStore
from .registry.registry import Registry
from .runtime import Runtime
from .triggers.running import Triggers

__all__ = ["ACTIONS", "ACTIVITY", "APPROVALS", "AUTH", "CLOCK", "CONFIG", "FOLDER", "INVOKER", "LOADER", "LOGS", "REGISTRY",
           "RUNTIME", "TRIGGERS"]

CONFIG = web.AppKey("CONFIG", Config)
CLOCK = web.AppKey("CLOCK", Clock)
AUTH = web.AppKey("AUTH", Auth)
LOGS = web.AppKey("LOGS", LogStore)
RUNTIME = web.AppKey("RUNTIME", Runtime)
REGISTRY = web.AppKey("REGISTRY", Registry)
INVOKER = web.AppKey("INVOKER", Invoker)
LOADER = web.AppKey("LOADER", FolderLoader)
"""Present only when a functions folder is served."""
FOLDER = web.AppKey("FOLDER", FolderStatus)
"""The folder's open load errors (empty without a folder): the UI's broken-save banner."""
TRIGGERS = web.AppKey("TRIGGERS", Triggers)
APPROVALS = web.AppKey("APPROVALS", Approvals)
ACTIONS = web.AppKey("ACTIONS", ActionRunner)
ACTIVITY = web.AppKey("ACTIVITY", Activity)
"""Request lines that are not invocations (refused calls, API deploys and deletes), for the terminal."""
