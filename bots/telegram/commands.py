"""The bot's commands, one line each: /help prints them and setMyCommands publishes them."""

from __future__ import annotations

from dataclasses import dataclass

from bots.telegram.i18n import Translator


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    args: str
    admin: bool = False


COMMANDS: tuple[Command, ...] = (
    Command("start", ""),
    Command("help", ""),
    Command("signal", "<mint>"),
    Command("signals", ""),
    Command("activity", "[tag] [window]"),
    Command("watch", "<address> [alias] [tags]"),
    Command("unwatch", "<address>"),
    Command("list", ""),
    Command("import", ""),
    Command("export", "[csv|json]"),
    Command("feature", "<address> [alias] [tags]", admin=True),
    Command("unfeature", "<address>", admin=True),
    Command("rules", ""),
    Command("settings", ""),
    Command("trading", "[on|off|import]"),
    Command("wallet", ""),
    Command("limits", "[trade|daily|slippage <value>|reset]"),
    Command("buy", "<mint> <SOL>"),
    Command("sell", "<mint> <percent>"),
    Command("positions", ""),
    Command("tpsl", "<mint> [template|preset|off]"),
    Command("autotrade", "[add <name> <conditions>]"),
    Command("lang", "[en|fr]"),
)


def describe(name: str, _: Translator) -> str:
    """One translated line of what a command does (literal msgids, for the catalog check)."""
    texts = {
        "start": _("Register and show what the bot does"),
        "help": _("Every command, one line each"),
        "signal": _("The current card of a token"),
        "signals": _("Top tokens now by Strength"),
        "activity": _("Latest fills of tracked wallets (tag: kol, smart…; window: 10m, 1h, 24h)"),
        "watch": _("Track a wallet (alias and tags optional, tags separated by |)"),
        "unwatch": _("Stop tracking a wallet"),
        "list": _("My, featured and community wallets, sortable"),
        "import": _("Upload a CSV or JSON wallet list"),
        "export": _("Download my wallets as CSV or JSON"),
        "feature": _("Admins: put a wallet on the featured list"),
        "unfeature": _("Admins: take a wallet off the featured list"),
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
