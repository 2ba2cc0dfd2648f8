"""One Router per feature; ``all_routers()`` lists them in the order the dispatcher tries them.

Each feature module has ``build_router()`` returning a fresh Router (a Router can be attached
to one Dispatcher only, and tests build several)."""

from __future__ import annotations

from aiogram import Router


def all_routers() -> list[Router]:
    from bots.telegram.routers import (
        activity,
        autotrade,
        fallback,
        intents,
        limits,
        rules,
        settings,
        signals,
        start,
        tpsl,
        trade,
        wallet_files,
        wallets,
    )

    return [
        start.build_router(),
        trade.build_router(),  # before signals: it answers the cards' Buy buttons
        limits.build_router(),
        intents.build_router(),  # auto-trade Confirm / Cancel
        signals.build_router(),
        activity.build_router(),
        wallets.build_router(),
        wallet_files.build_router(),
        rules.build_router(),
        settings.build_router(),
        tpsl.build_router(),
        autotrade.build_router(),
        fallback.build_router(),  # last: unknown commands
    ]
