"""The bot's commands, one line each, in sections: /help prints them and setMyCommands
publishes them.

Who sees what (``visible``): the admin commands only admins; the trading commands only on a
deployment that offers trading (``TRADING_ENABLED``), where /trading alone stays listed
elsewhere, to explain that trading is not offered."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bots.telegram.i18n import Translator


class Section(StrEnum):
    """The /help sections, in the order they are shown."""

    GENERAL = "general"
    SIGNALS = "signals"
    WALLETS = "wallets"
    ALERTS = "alerts"
    TRADING = "trading"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    args: str
    section: Section

    @property
    def admin(self) -> bool:
        return self.section is Section.ADMIN


TRADING_SETUP = "trading"  # listed even where trading is not offered: it says why

COMMANDS: tuple[Command, ...] = (
    Command("start", "", Section.GENERAL),
    Command("help", "", Section.GENERAL),
    Command("signal", "<mint>", Section.SIGNALS),
    Command("signals", "", Section.SIGNALS),
    Command("activity", "[tag] [window]", Section.SIGNALS),
    Command("watch", "<address> [alias] [tags]", Section.WALLETS),
    Command("unwatch", "<address>", Section.WALLETS),
    Command("list", "", Section.WALLETS),
    Command("import", "", Section.WALLETS),
    Command("export", "[csv|json]", Section.WALLETS),
    Command("rules", "", Section.ALERTS),
    Command("settings", "", Section.ALERTS),
    Command("lang", "[en|fr]", Section.ALERTS),
    Command("trading", "[on|off|import]", Section.TRADING),
    Command("wallet", "", Section.TRADING),
    Command("limits", "[trade|daily|slippage <value>|reset]", Section.TRADING),
    Command("buy", "<mint> <SOL>", Section.TRADING),
    Command("sell", "<mint> <percent>", Section.TRADING),
    Command("positions", "", Section.TRADING),
    Command("tpsl", "<mint|#n> [template|preset|off]", Section.TRADING),
    Command("autotrade", "[add <name> <conditions> | remove <id>]", Section.TRADING),
    Command("feature", "<address> [alias] [tags]", Section.ADMIN),
    Command("unfeature", "<address>", Section.ADMIN),
)


def visible(*, admin: bool, trading: bool) -> tuple[Command, ...]:
    """The commands shown to a user: admin ones to admins only; trading ones only when the
    deployment offers trading (/trading always, to explain)."""
    return tuple(
        c
        for c in COMMANDS
        if (admin or not c.admin)
        and (trading or c.section is not Section.TRADING or c.name == TRADING_SETUP)
    )


def section_title(section: Section, _: Translator) -> str:
    """The translated heading of a /help section (literal msgids, for the catalog check)."""
    titles = {
        Section.GENERAL: _("General"),
        Section.SIGNALS: _("Signals"),
        Section.WALLETS: _("Wallets"),
        Section.ALERTS: _("Alerts & settings"),
        Section.TRADING: _("Trading"),
        Section.ADMIN: _("Admin"),
    }
    return titles[section]


def usage(command: Command, *, trading: bool = True) -> str:
    """``/name args`` as a user types it (plain text: escape it for HTML). /trading takes no
    argument where trading is not offered."""
    args = command.args if trading or command.name != TRADING_SETUP else ""
    return f"/{command.name} {args}" if args else f"/{command.name}"


def describe(name: str, _: Translator, *, trading: bool = True) -> str:
    """One translated line of what a command does (literal msgids, for the catalog check);
    ``trading``: whether the deployment offers trading (else /trading says it is not)."""
    if name == TRADING_SETUP and not trading:
        return _("Not offered on this bot: the operator has not turned trading on")
    texts = {
        "start": _("Register and show what the bot does"),
        "help": _("The commands you can use, by section"),
        "signal": _("The current card of a token"),
        "signals": _("Top tokens now by Strength"),
        "activity": _("Latest fills of tracked wallets (tag: kol, smart…; window: 10m, 1h, 24h)"),
        "watch": _("Track a wallet (alias and tags optional, tags separated by |)"),
        "unwatch": _("Stop tracking a wallet"),
        "list": _("My, featured and community wallets, sortable"),
        "import": _("Upload a CSV or JSON wallet list"),
        "export": _("Download my wallets as CSV or JSON"),
        "feature": _("Put a wallet on the featured list"),
        "unfeature": _("Take a wallet off the featured list"),
        "rules": _("Signal rules: list, add, enable, disable"),
        "settings": _(
            "Alert filters: min Strength, no mint, no freeze, top10, liquidity, tags, quiet hours"
        ),
        "lang": _("Language: English or French"),
        "trading": _("Trading: status, turn on (creates a wallet), import a key, turn off"),
        "wallet": _("Your trading wallet: address, SOL balance, key export"),
        "limits": _("Your own trading limits: per trade, per day, slippage (lower only)"),
        "buy": _("Buy a token for an amount of SOL"),
        "sell": _("Sell a share (1-100 %) of a token you hold"),
        "positions": _("Open positions with PnL, and Sell buttons"),
        "tpsl": _(
            "Take profit / stop loss orders of a position: show, set (safe, moon, scalp…), off"
        ),
        "autotrade": _("Auto-trade rules: buy when a signal matches (confirm or direct)"),
    }
    return texts[name]
