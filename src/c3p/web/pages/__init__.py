"""Portal pages (server-rendered, bilingual)."""

from c3p.web.pages.registry import router

__all__ = ["router"]
