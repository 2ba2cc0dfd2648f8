"""/limits: show and set the user's own trading limits (per trade, per day, default slippage).

``/limits`` shows the user's values next to the operator's ceilings; ``/limits trade 0.2``,
``/limits daily 1`` (SOL), ``/limits slippage 150`` (bps) set one; ``/limits reset`` goes back
to the operator's. A value above the operator's ceiling is refused, naming the ceiling. The
values are stored by ``UserWallets`` and applied by ``TradePolicy`` to every trade (manual,
TP/SL, auto-trade)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bots.telegram.formatters import limits as fmt
from bots.telegram.formatters.errors import not_a_number, out_of_range
from bots.telegram.formatters.trading import trading_unavailable
from bots.telegram.services import BotServices
from core.programs import LAMPORTS_PER_SOL
from core.trading.own_limits import AboveCeiling, Ceilings, OwnLimit, OwnLimits
from core.users.service import UserProfile

NAMES = {"trade": OwnLimit.MAX_TRADE, "daily": OwnLimit.DAILY, "slippage": OwnLimit.SLIPPAGE}


def _amount(limit: OwnLimit, text: str) -> int | None:
    """Lamports for SOL limits, bps for slippage; None unless a positive whole amount."""
    try:
        value = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        return None
    if not value.is_finite() or value <= 0:
        return None
    if limit is not OwnLimit.SLIPPAGE:
        value *= LAMPORTS_PER_SOL
    return int(value) if value == value.to_integral_value() else None


async def limits_command(
    message: Message,
    command: CommandObject,
    services: BotServices,
    profile: UserProfile | None,
    lang: str,
) -> None:
    trading = services.trading
    if trading is None:
        await message.answer(trading_unavailable(lang))
        return
    if profile is None:
        return
    ceilings = Ceilings.from_settings(trading.settings)
    words = (command.args or "").split()
    if not words:
        own = OwnLimits.of(await trading.wallets.settings_of(profile.id))
        await message.answer(fmt.limits_view(own, ceilings, lang))
        return
    name = words[0].lower()
    if name == "reset" and len(words) == 1:
        await trading.wallets.reset_own_limits(profile.id)
        await message.answer(fmt.limits_reset(lang))
        return
    limit = NAMES.get(name)
    if limit is None or len(words) != 2:
        await message.answer(out_of_range("/limits", " ".join(words), fmt.USAGE, lang))
        return
    amount = _amount(limit, words[1])
    if amount is None:
        example = "/limits slippage 150" if limit is OwnLimit.SLIPPAGE else f"/limits {name} 0.2"
        await message.answer(not_a_number(words[1], f"/limits {name}", lang, example=example))
        return
    try:
        own = await trading.wallets.set_own_limit(profile.id, limit, amount, ceilings=ceilings)
    except AboveCeiling as exc:
        await message.answer(fmt.above_ceiling(limit, exc.value, exc.ceiling, lang))
        return
    await message.answer(fmt.limit_set(limit, own, lang))


def build_router() -> Router:
    router = Router(name="limits")
    router.message.register(limits_command, Command("limits"))
    return router
