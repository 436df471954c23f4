"""The tableau de pilotage (DESIGN §11): a web page for the noyau and the referents, served by the
same process on the same database (aiohttp, Jinja2 templates, SVG charts drawn on the server)."""

from .server import Tableau, WebChannel

__all__ = ["Tableau", "WebChannel"]
