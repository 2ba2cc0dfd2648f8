"""Who receives an alert: each registered user whose settings pass (private mode), or the
channel (channel mode: every signal and every Smart Activity alert, no per-user filter).

Users with alerts on and the tracked wallets (featured and community lists: alias and tags) are
loaded from the database and kept ``ttl_s``; after that the next alert starts a reload in the
background and is filtered with the previous list meanwhile (a failed reload keeps it, logs and
counts). A user's wallet tags are the featured and community lists' tags plus, for users who
filter by tag, their own watches' tags (as ``SmartActivity.tracked_wallets`` merges them).

A token the user watches (``UserSettings.watched_mints``, the card's Watch button) reaches them
even when their minimum Strength, risk, liquidity or tag filters would hold it back (the contract
written in ``core.users.settings``): its signals are filtered with those relaxed; alerts off and
quiet hours still apply. ``should_alert`` itself is unchanged.

Smart Activity alerts (``activity_decision``) have no Strength, risk or liquidity, so those
settings do not apply; alerts off and quiet hours do. A per-mint alert passes a user's tag
filter when a wallet of the window carries one of the user's tags (the alert's tags, plus the
user's own tags for those wallets), or when the user watches the mint. A *global* alert (every
mint) goes only to users without a tag filter: its figures add up every tracked wallet, not the
ones a tag filter follows (in channel mode it is posted like any alert).
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog

from bots.telegram.fanout import metrics
from bots.telegram.formatters.activity_alert import WalletLabel
from bots.telegram.i18n import DEFAULT_LANG
from bots.telegram.services import BotServices
from core.alerts.filters import Decision, should_alert
from core.signals.activity_alerts import ActivityAlert
from core.signals.signal import Signal
from core.storage.models import ListKind
from core.users.settings import UserSettings

log = structlog.get_logger(__name__)

Tags = Mapping[str, frozenset[str]]


@dataclass(frozen=True, slots=True)
class Recipient:
    chat_id: int
    lang: str


@dataclass(frozen=True, slots=True)
class _User:
    chat_id: int
    lang: str
    settings: UserSettings
    wallet_tags: Tags
    watched: frozenset[str]
    watched_settings: UserSettings  # ``settings`` with the filters a watched mint skips


def activity_decision(
    alert: ActivityAlert,
    settings: UserSettings,
    *,
    wallet_tags: Tags,
    watched: frozenset[str] = frozenset(),
    now_s: int,
) -> Decision:
    """Whether a Smart Activity alert goes to a user (see the module docstring)."""
    if not settings.alerts:
        return Decision(False, "alerts are off")
    if settings.tags:
        wanted = set(settings.tags)
        if alert.mint is None:
            return Decision(False, "global activity goes to users without a tag filter")
        if alert.mint not in watched:
            tags = set(alert.tags)
            for wallet in alert.wallets:
                tags |= wallet_tags.get(wallet, frozenset())
            if not tags & wanted:
                return Decision(False, f"no wallet tagged {', '.join(sorted(wanted))}")
    if settings.quiet_hours is not None:
        hour = datetime.fromtimestamp(now_s, UTC).hour
        if settings.quiet_hours.covers(hour):
            return Decision(False, "quiet hours")
    return Decision(True, "ok")


def for_watched(settings: UserSettings) -> UserSettings:
    """The settings a watched mint's signals are filtered with: only alerts on / quiet hours."""
    return dataclasses.replace(
        settings,
        min_strength=0.0,
        no_mint=False,
        no_freeze=False,
        top10_max_pct=None,
        min_liquidity_usd=0.0,
        tags=(),
    )


class Audience:
    def __init__(
        self,
        services: BotServices,
        *,
        ttl_s: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._services = services
        self._ttl_s = ttl_s
        self._monotonic = monotonic
        self._users: list[_User] = []
        self.wallets: Mapping[str, WalletLabel] = {}  # tracked address -> alias and tags
        self._loaded_s: float | None = None
        self._refresh: asyncio.Task[None] | None = None
        settings = services.settings
        self.channel_id: int | None = (
            settings.telegram_channel_id if settings.telegram_mode == "channel" else None
        )

    @property
    def channel_mode(self) -> bool:
        return self.channel_id is not None

    async def load(self) -> None:
        """(Re)load tracked wallets and users now; raises when the database fails."""
        services = self._services
        shared: dict[str, frozenset[str]] = {}
        labels: dict[str, WalletLabel] = {}
        for entry in await services.wallets.entries():
            if entry.list_kind is not ListKind.MINE:
                shared[entry.address] = frozenset(entry.tags)
                labels[entry.address] = WalletLabel(entry.alias, tuple(sorted(entry.tags)))
        if self.channel_mode:
            self.wallets = labels
            self._loaded_s = self._monotonic()
            return
        users: list[_User] = []
        for profile in await services.users.alert_recipients():
            if profile.telegram_id is None:
                continue
            tags: Tags = shared
            if profile.settings.tags:
                own = {
                    w.address: frozenset(w.tags)
                    for w in await services.wallets.entries(user_id=profile.id)
                }
                if own:
                    tags = {
                        **shared,
                        **{a: t | shared.get(a, frozenset()) for a, t in own.items()},
                    }
            settings = profile.settings
            watched = frozenset(settings.watched_mints)
            users.append(
                _User(
                    profile.telegram_id,
                    profile.language or DEFAULT_LANG,
                    settings,
                    tags,
                    watched,
                    for_watched(settings) if watched else settings,
                )
            )
        self._users = users
        self.wallets = labels
        self._loaded_s = self._monotonic()
        metrics.RECIPIENTS_LOADED.set(len(users))
        log.info("telegram.recipients_loaded", users=len(users), tracked_wallets=len(shared))

    async def fresh(self) -> None:
        """Load on first use; past the TTL, start a reload (this alert uses the current list)."""
        if self._loaded_s is None:
            await self.load()
        elif self._monotonic() - self._loaded_s >= self._ttl_s:
            self._start_refresh()

    async def recipients(self, signal: Signal) -> list[Recipient]:
        """The chats ``signal`` goes to, each with the language to render it in."""
        if self.channel_id is not None:
            return [Recipient(self.channel_id, DEFAULT_LANG)]
        await self.fresh()
        now_s = int(self._services.clock().timestamp())
        out: list[Recipient] = []
        filtered = 0
        for user in self._users:
            settings = user.watched_settings if signal.mint in user.watched else user.settings
            if should_alert(signal, settings, wallet_tags=user.wallet_tags, now_s=now_s).send:
                out.append(Recipient(user.chat_id, user.lang))
            else:
                filtered += 1
        metrics.RECIPIENTS.labels("pass").inc(len(out))
        metrics.RECIPIENTS.labels("filtered").inc(filtered)
        return out

    async def activity_recipients(self, alert: ActivityAlert) -> list[Recipient]:
        """The chats a Smart Activity alert goes to (``activity_decision``)."""
        await self.fresh()
        if self.channel_id is not None:
            return [Recipient(self.channel_id, DEFAULT_LANG)]
        now_s = int(self._services.clock().timestamp())
        out: list[Recipient] = []
        for user in self._users:
            decision = activity_decision(
                alert,
                user.settings,
                wallet_tags=user.wallet_tags,
                watched=user.watched,
                now_s=now_s,
            )
            if decision.send:
                out.append(Recipient(user.chat_id, user.lang))
        metrics.RECIPIENTS.labels("pass").inc(len(out))
        metrics.RECIPIENTS.labels("filtered").inc(len(self._users) - len(out))
        return out

    def _start_refresh(self) -> None:
        if self._refresh is not None and not self._refresh.done():
            return
        self._refresh = asyncio.create_task(self._reload(), name="telegram-recipients-refresh")

    async def _reload(self) -> None:
        metrics.LOOP_ITERATIONS.labels("recipients").inc()
        try:
            await self.load()
            metrics.RECIPIENT_REFRESHES.labels("ok").inc()
        except Exception as exc:  # keep the previous list; try again after the TTL
            self._loaded_s = self._monotonic()
            metrics.RECIPIENT_REFRESHES.labels("error").inc()
            metrics.LOOP_ERRORS.labels("recipients").inc()
            log.warning("telegram.recipients_refresh_failed", error=str(exc))

    async def aclose(self) -> None:
        if self._refresh is not None and not self._refresh.done():
            self._refresh.cancel()
            await asyncio.gather(self._refresh, return_exceptions=True)
