"""Handler styles: one entry per style in `STYLES`, on the emulator's side of the pipe.

Adding a style is one module here (a class that implements `base.Style`), one line in `STYLES`,
one entry in the table of the bootstrap its process runs, and its test module.
"""

from __future__ import annotations

from collections.abc import Mapping

from .azure import AzureStyle
from .base import Call, Launch, MalformedResponse, Response, Style
from .cgi import CgiStyle
from .gcf import GcfStyle
from .lambda_ import LambdaStyle
from .web import WebStyle

__all__ = ["STYLES", "Call", "Launch", "MalformedResponse", "Response", "Style"]

STYLES: Mapping[str, Style] = {style.name: style for style in (
    WebStyle(),
    LambdaStyle(),
    GcfStyle(),
    AzureStyle(),
    CgiStyle(),
)}
