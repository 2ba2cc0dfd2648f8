"""/limits: the user's own trading limits next to the operator's ceilings."""

from __future__ import annotations

from bots.telegram.formatters.numbers import esc, sol_from_lamports
from bots.telegram.i18n import Translator, translator
from core.trading.own_limits import Ceilings, OwnLimit, OwnLimits

USAGE = "/limits trade 0.2 · /limits daily 1 · /limits slippage 150 · /limits reset"


def _bps(bps: int) -> str:
    return f"{bps / 100:g}%"


def _value(limit: OwnLimit, value: int) -> str:
    return _bps(value) if limit is OwnLimit.SLIPPAGE else sol_from_lamports(value)


def _label(limit: OwnLimit, _: Translator) -> str:
    return {
        OwnLimit.MAX_TRADE: _("Per trade"),
        OwnLimit.DAILY: _("Per day (UTC)"),
        OwnLimit.SLIPPAGE: _("Default slippage"),
    }[limit]


def _line(limit: OwnLimit, own: OwnLimits, ceilings: Ceilings, _: Translator) -> str:
    ceiling = _value(limit, ceilings.of(limit))
    value = own.value(limit)
    if value is None:
        shown = _("{ceiling} (the operator's)").format(ceiling=ceiling)
        if limit is OwnLimit.SLIPPAGE:
            shown = _("{default} (the operator's; at most {ceiling})").format(
                default=_bps(ceilings.default_slippage_bps), ceiling=ceiling
            )
        return f"{esc(_label(limit, _))}: {shown}"
    return _("{label}: {value} (yours; the operator allows up to {ceiling})").format(
        label=esc(_label(limit, _)), value=_value(limit, value), ceiling=ceiling
    )


def limits_view(own: OwnLimits, ceilings: Ceilings, lang: str) -> str:
    _ = translator(lang)
    return "\n".join(
        [
            f"<b>{esc(_('Your trading limits'))}</b>",
            *(_line(limit, own, ceilings, _) for limit in OwnLimit),
            _("Yours can only be lower than the operator's. Change: {usage}").format(
                usage=esc(USAGE)
            ),
        ]
    )


def limit_set(limit: OwnLimit, own: OwnLimits, lang: str) -> str:
    _ = translator(lang)
    value = own.value(limit)
    assert value is not None
    return _("✅ {label} is now {value}. Every trade is checked against it.").format(
        label=esc(_label(limit, _)), value=_value(limit, value)
    )


def limits_reset(lang: str) -> str:
    _ = translator(lang)
    return _("✅ Your limits are the operator's again. /limits shows them.")


def above_ceiling(limit: OwnLimit, value: int, ceiling: int, lang: str) -> str:
    _ = translator(lang)
    return _(
        "❌ {label} {value} is above the operator's limit {ceiling}. "
        "Yours can only be lower: e.g. /limits {name} {example}"
    ).format(
        label=esc(_label(limit, _)),
        value=_value(limit, value),
        ceiling=_value(limit, ceiling),
        name=_NAMES[limit],
        example=_example(limit, ceiling),
    )


def _example(limit: OwnLimit, ceiling: int) -> str:
    if limit is OwnLimit.SLIPPAGE:
        return str(max(1, ceiling // 2))
    return f"{ceiling / 2 / 10**9:g}"


_NAMES = {OwnLimit.MAX_TRADE: "trade", OwnLimit.DAILY: "daily", OwnLimit.SLIPPAGE: "slippage"}
