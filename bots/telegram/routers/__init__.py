"""One Router per feature; ``all_routers()`` lists them in the order the dispatcher tries them.

Each feature module has ``build_router()`` returning a fresh Router (a Router can be attached
to one Dispatcher only, and tests build several)."""

from __future__ import annotations

from aiogram import Router


def all_routers() -> list[Router]:
    from bots.telegram.routers import fallback, start

    return [start.build_router(), fallback.build_router()]
