"""A user's alert settings (/settings) as Telegram HTML::

    ⚙️ Alert settings
    Alerts: on
    Min Strength: 1.5
    No mint only: off
    No freeze only: off
    Top10 max: 30%
    Min liquidity: 10k USD
    Tags: kol, smart
    Quiet hours: 23:00–07:00 UTC
    Trading: off (turn it on with /trading)

    Buttons change the common values; type any value:
    /settings min_strength 2.1 · top10 30|off · liquidity 10000|off
    /settings tags kol,smart|off · quiet 23-7|off
    /settings alerts|no_mint|no_freeze on|off

Setting names (``ALERTS``, ``MIN_STRENGTH``…) are the words of the text commands and of the
buttons' ``SettingsAction.name``. Fields of ``UserSettings`` not listed here are not shown.
"""

from __future__ import annotations

from bots.telegram.formatters.numbers import clip, esc, usd
from bots.telegram.i18n import Translator, translator
from core.users.settings import QuietHours, UserSettings

ALERTS = "alerts"
MIN_STRENGTH = "min_strength"
NO_MINT = "no_mint"
NO_FREEZE = "no_freeze"
TOP10 = "top10"
LIQUIDITY = "liquidity"
TAGS = "tags"
QUIET = "quiet"
TRADING = "trading"
SHOWN = (ALERTS, MIN_STRENGTH, NO_MINT, NO_FREEZE, TOP10, LIQUIDITY, TAGS, QUIET, TRADING)


def on_off(value: bool, _: Translator) -> str:
    return _("on") if value else _("off")


def strength_text(value: float) -> str:
    return f"{value:g}"


def top10_text(max_pct: float | None, _: Translator) -> str:
    return _("off") if max_pct is None else f"{max_pct:g}%"


def liquidity_text(min_usd: float, _: Translator) -> str:
    return _("off") if min_usd <= 0 else usd(min_usd)


def tags_text(tags: tuple[str, ...], _: Translator) -> str:
    return _("any") if not tags else ", ".join(tags)


def quiet_text(quiet: QuietHours | None, _: Translator) -> str:
    if quiet is None:
        return _("off")
    return f"{quiet.start_hour:02d}:00–{quiet.end_hour:02d}:00 UTC"


def setting_label(name: str, _: Translator) -> str:
    labels = {
        ALERTS: _("Alerts"),
        MIN_STRENGTH: _("Min Strength"),
        NO_MINT: _("No mint only"),
        NO_FREEZE: _("No freeze only"),
        TOP10: _("Top10 max"),
        LIQUIDITY: _("Min liquidity"),
        TAGS: _("Tags"),
        QUIET: _("Quiet hours"),
        TRADING: _("Trading"),
    }
    return labels[name]


def setting_value(settings: UserSettings, name: str, _: Translator) -> str:
    """The value as shown (plain text; tags are user text: escape before HTML)."""
    if name == ALERTS:
        return on_off(settings.alerts, _)
    if name == MIN_STRENGTH:
        return strength_text(settings.min_strength)
    if name == NO_MINT:
        return on_off(settings.no_mint, _)
    if name == NO_FREEZE:
        return on_off(settings.no_freeze, _)
    if name == TOP10:
        return top10_text(settings.top10_max_pct, _)
    if name == LIQUIDITY:
        return liquidity_text(settings.min_liquidity_usd, _)
    if name == TAGS:
        return tags_text(settings.tags, _)
    if name == QUIET:
        return quiet_text(settings.quiet_hours, _)
    if name == TRADING:
        return on_off(settings.trading_enabled, _)
    raise KeyError(name)


def _line(settings: UserSettings, name: str, _: Translator) -> str:
    value = esc(clip(setting_value(settings, name, _), 200))
    if name == TRADING and not settings.trading_enabled:
        value = _("{value} (turn it on with /trading)").format(value=value)
    return shown_setting(name, f"<b>{value}</b>", _)


def shown_setting(name: str, value: str, _: Translator) -> str:
    """ "Min Strength: 1.5" ("Strength min : 1.5" in French)."""
    return _("{setting}: {value}").format(setting=setting_label(name, _), value=value)


def setting_changed(settings: UserSettings, name: str, lang: str) -> str:
    """ "✅ Min Strength set to 2." (HTML)."""
    _ = translator(lang)
    value = esc(clip(setting_value(settings, name, _), 200))
    return _("✅ {setting} set to {value}.").format(setting=setting_label(name, _), value=value)


def picker_question(name: str, _: Translator) -> str:
    questions = {
        MIN_STRENGTH: _("Pick the min Strength: alerts of weaker signals are not sent."),
        TOP10: _("Pick the top10 max: only tokens whose 10 largest holders hold less."),
        LIQUIDITY: _("Pick the min liquidity: only tokens with at least this much."),
    }
    return questions[name]


def settings_help(_: Translator) -> str:
    return "\n".join(
        (
            _("Buttons change the common values; type any value:"),
            "/settings min_strength 2.1 · top10 30|off · liquidity 10000|off",
            "/settings tags kol,smart|off · quiet 23-7|off",
            "/settings alerts|no_mint|no_freeze on|off",
        )
    )


def settings_text(
    settings: UserSettings, lang: str, *, note: str | None = None, picking: str | None = None
) -> str:
    """Every shown setting, one per line; ``note`` (HTML) first, e.g. what just changed;
    with ``picking`` the question of that setting's value picker last."""
    _ = translator(lang)
    lines = [note] if note else []
    lines.append(f"<b>⚙️ {_('Alert settings')}</b>")
    lines += [_line(settings, name, _) for name in SHOWN]
    lines += ["", settings_help(_)]
    if picking is not None:
        lines += ["", f"<b>{picker_question(picking, _)}</b>"]
    return "\n".join(lines)
