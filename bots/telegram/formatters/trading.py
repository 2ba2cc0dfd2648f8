"""Trading messages: the trade message edited as the trade moves, refusals and failures in plain
words with their figures, /trading, /wallet and /positions. Pure functions of core data.

The trade message (UX.md), one line added per step::

    Buying 0.5 SOL of PEPE2 …
    quoted: ≈ 12.1M PEPE2 · impact 1.9% · fee 0.0006 SOL
    simulated ✅
    sent <code>5hQx…9aBc</code>
    ✅ confirmed in 1.4 s · got 12.08M PEPE2 · Solscan

or, instead of the later lines, ``❌ not sent: price impact 7.2% > your limit 5%``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bots.telegram.formatters.numbers import (
    clip,
    code_address,
    compact,
    esc,
    esc_attr,
    price,
    short_address,
    sol_from_lamports,
)
from bots.telegram.i18n import Translator, translator
from core.programs import LAMPORTS_PER_SOL
from core.trading.policy import TradePolicy
from core.trading.service import PositionValue, TokenInfo, TradingStatus, WalletView
from core.trading.trade_types import (
    FailureReason,
    RefusalReason,
    Side,
    TradeOutcome,
    TradeState,
    TradeUpdate,
    UpdateKind,
)
from core.trading.user_wallets import UserWallet

SYMBOL_MAX = 12
SOLSCAN_TX = "https://solscan.io/tx/{signature}"


def token_label(token: TokenInfo) -> str:
    return esc(clip(token.symbol, SYMBOL_MAX)) if token.symbol else esc(short_address(token.mint))


def token_amount(raw: int, token: TokenInfo) -> str:
    """Raw units as whole tokens, compact: 12_080_000_000_000 (6 decimals) -> "12.1M"."""
    if token.decimals is None:
        return f"{compact(raw)} raw"
    return compact(raw / 10**token.decimals)


def sol_amount(lamports: int, *, signed: bool = False) -> str:
    """SOL with 3 significant digits (a receipt, not a summary): "0.488 SOL", "-0.0021 SOL"."""
    sign = "-" if lamports < 0 else "+" if signed and lamports > 0 else ""
    return f"{sign}{price(abs(lamports) / LAMPORTS_PER_SOL)} SOL"


def _pct(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") + "%"


# ---- the trade message ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TradeProgress:
    """What the trade message shows so far; ``apply`` folds in each update from the executor."""

    side: Side
    token: TokenInfo
    amount_lamports: int | None = None  # buys: what is spent
    percent: int | None = None  # sells: the share of the wallet's tokens
    quote: TradeUpdate | None = None
    simulated: bool = False
    signature: str | None = None
    requotes: int = 0
    end: TradeUpdate | None = None  # confirmed, refused or failed
    running_elsewhere: bool = False  # the same key is being executed by another tap

    def apply(self, update: TradeUpdate) -> TradeProgress:
        kind = update.kind
        if kind is UpdateKind.QUOTED:
            return dataclasses.replace(self, quote=update)
        if kind is UpdateKind.SIMULATED:
            return dataclasses.replace(self, simulated=True)
        if kind is UpdateKind.SENT:
            return dataclasses.replace(self, signature=update.signature)
        if kind is UpdateKind.REQUOTED:
            return dataclasses.replace(self, requotes=self.requotes + 1, simulated=False)
        return dataclasses.replace(self, end=update)

    def finish(self, outcome: TradeOutcome) -> TradeProgress:
        """The outcome, when the executor ended without a final update (still running)."""
        if self.end is not None:
            return self
        if outcome.in_progress:
            return dataclasses.replace(self, running_elsewhere=True)
        kinds = {
            TradeState.CONFIRMED: UpdateKind.CONFIRMED,
            TradeState.REFUSED: UpdateKind.REFUSED,
            TradeState.FAILED: UpdateKind.FAILED,
        }
        kind = kinds.get(outcome.state)
        if kind is None:
            return dataclasses.replace(self, running_elsewhere=True)
        return self.apply(
            TradeUpdate(
                kind,
                outcome.idempotency_key,
                outcome.side,
                outcome.mint,
                signature=outcome.signature,
                token_delta_raw=outcome.token_delta_raw,
                sol_delta_lamports=outcome.sol_delta_lamports,
                reason=outcome.reason,
                message=outcome.message,
                detail=outcome.detail,
            )
        )

    @property
    def finished(self) -> bool:
        return self.end is not None


def render_trade(progress: TradeProgress, lang: str) -> str:
    _ = translator(lang)
    token = token_label(progress.token)
    if progress.side is Side.BUY:
        head = _("Buying {amount} of {token} …").format(
            amount=sol_amount(progress.amount_lamports or 0), token=token
        )
    else:
        head = _("Selling {percent}% of {token} …").format(
            percent=progress.percent or 0, token=token
        )
    lines = [head]
    quote = progress.quote
    if quote is not None:
        lines.append(_quote_line(progress, quote, _))
    if progress.requotes:
        lines.append(_("↻ the network was slow: quoted again"))
    if progress.simulated:
        lines.append(_("simulated ✅"))
    if progress.signature:
        lines.append(_("sent {signature}").format(signature=code_address(progress.signature)))
    end = progress.end
    if end is not None:
        lines.append(_end_line(progress, end, _))
    elif progress.running_elsewhere:
        lines.append(
            _("⏳ not finished yet: this trade is still running; it is never sent twice.")
        )
    return "\n".join(lines)


def _quote_line(progress: TradeProgress, quote: TradeUpdate, _: Translator) -> str:
    token = token_label(progress.token)
    impact = _pct(quote.price_impact_pct or 0.0)
    fee = sol_amount(quote.network_fee_lamports or 0)
    out = quote.out_amount_raw or 0
    if progress.side is Side.BUY:
        return _("quoted: ≈ {amount} {token} · impact {impact} · fee {fee}").format(
            amount=token_amount(out, progress.token), token=token, impact=impact, fee=fee
        )
    return _("quoted: ≈ {sol} for {amount} {token} · impact {impact} · fee {fee}").format(
        sol=sol_amount(out),
        amount=token_amount(quote.in_amount_raw or 0, progress.token),
        token=token,
        impact=impact,
        fee=fee,
    )


def _end_line(progress: TradeProgress, end: TradeUpdate, _: Translator) -> str:
    if end.kind is UpdateKind.CONFIRMED:
        if progress.side is Side.BUY:
            got = f"{token_amount(abs(end.token_delta_raw or 0), progress.token)} " + token_label(
                progress.token
            )
        else:
            got = sol_amount(end.sol_delta_lamports or 0)
        link = SOLSCAN_TX.format(signature=end.signature or "")
        solscan = f'<a href="{esc_attr(link)}">Solscan</a>'
        if end.seconds is not None:
            return _("✅ confirmed in {seconds} s · got {got} · {solscan}").format(
                seconds=f"{end.seconds:.1f}", got=got, solscan=solscan
            )
        return _("✅ confirmed · got {got} · {solscan}").format(got=got, solscan=solscan)
    why = reason_text(end.reason, end.detail, progress.side, progress.token, _, end.message)
    extra = len(end.detail.get("refusals") or ()) - 1
    if end.kind is UpdateKind.REFUSED:
        line = _("❌ not sent: {reason}").format(reason=why)
        if extra > 0:
            line += " " + _.ngettext(
                "(and {n} more check)", "(and {n} more checks)", extra
            ).format(n=extra)
        return line
    return _("❌ failed: {reason}").format(reason=why)


def reason_text(
    reason: str | None,
    detail: Mapping[str, Any],
    side: Side,
    token: TokenInfo,
    _: Translator,
    fallback: str | None = None,
) -> str:
    """A refusal or failure reason in plain words, with its figures."""

    def lam(key: str) -> str:
        return sol_from_lamports(int(detail.get(key) or 0))

    match reason:
        case RefusalReason.TRADING_DISABLED:
            return _("trading is off for your account (/trading turns it on)")
        case RefusalReason.TRADE_LIMIT:
            return _("{amount} is over your per-trade limit {limit}").format(
                amount=lam("amount_lamports"), limit=lam("limit_lamports")
            )
        case RefusalReason.DAILY_LIMIT:
            left = int(detail.get("limit_lamports") or 0) - int(detail.get("spent_lamports") or 0)
            return _("{amount} would pass your daily limit {limit} ({left} left today)").format(
                amount=lam("amount_lamports"),
                limit=lam("limit_lamports"),
                left=sol_from_lamports(max(0, left)),
            )
        case RefusalReason.NO_GO_MINT:
            return _("this token is on the bot's no-go list")
        case RefusalReason.LIQUIDITY_TOO_LOW:
            return _("liquidity {liquidity} is under the minimum {limit}").format(
                liquidity=lam("liquidity_lamports"), limit=lam("limit_lamports")
            )
        case RefusalReason.LIQUIDITY_UNKNOWN:
            return _("the token's liquidity is unknown (no pool or curve seen yet)")
        case RefusalReason.PRICE_IMPACT_TOO_HIGH:
            return _("price impact {impact} > your limit {limit}").format(
                impact=_pct(float(detail.get("impact_pct") or 0)),
                limit=_pct(float(detail.get("limit_pct") or 0)),
            )
        case RefusalReason.SLIPPAGE_TOO_HIGH:
            return _("slippage {slippage} > the limit {limit}").format(
                slippage=_pct(int(detail.get("slippage_bps") or 0) / 100),
                limit=_pct(int(detail.get("limit_bps") or 0) / 100),
            )
        case RefusalReason.MINT_AUTHORITY_ACTIVE:
            return _("the mint authority is active: more tokens can be minted")
        case RefusalReason.FREEZE_AUTHORITY_ACTIVE:
            return _("the freeze authority is active: your tokens could be frozen")
        case RefusalReason.HONEYPOT_FAILED:
            return _("the sell test failed: you might not be able to sell this token")
        case RefusalReason.HONEYPOT_UNKNOWN:
            return _("the sell test could not run, so a sale is not proven possible")
        case RefusalReason.RISK_UNKNOWN:
            return _("the token's risk checks could not be run")
        case RefusalReason.PRIORITY_FEE_TOO_HIGH:
            return _("priority fee {fee} > the cap {limit}").format(
                fee=sol_amount(int(detail.get("fee_lamports") or 0)),
                limit=sol_amount(int(detail.get("limit_lamports") or 0)),
            )
        case RefusalReason.INSUFFICIENT_BALANCE if side is Side.BUY:
            return _(
                "the wallet holds {balance}, the buy needs {needed} with fees and rent (/wallet)"
            ).format(
                balance=sol_amount(int(detail.get("balance_raw") or 0)),
                needed=sol_amount(int(detail.get("needed_raw") or 0)),
            )
        case RefusalReason.INSUFFICIENT_BALANCE:
            return _("the wallet holds {balance} {token}, the sell needs {needed}").format(
                balance=token_amount(int(detail.get("balance_raw") or 0), token),
                token=token_label(token),
                needed=token_amount(int(detail.get("needed_raw") or 0), token),
            )
        case FailureReason.NO_ROUTE:
            return _("no route for this trade: nothing was sent")
        case FailureReason.NOT_TRADABLE:
            return _("this token cannot be traded: nothing was sent")
        case FailureReason.SIMULATION_FAILED:
            return _("the simulation failed: nothing was sent")
        case FailureReason.SLIPPAGE_EXCEEDED:
            return _("the price moved past your slippage limit: nothing was traded")
        case FailureReason.BLOCKHASH_EXPIRED:
            return _("the transaction did not land in time: nothing was traded")
        case FailureReason.TRANSACTION_FAILED:
            return _("the transaction landed with an error: the network fee was paid, no swap")
        case FailureReason.SEND_REJECTED:
            return _("the RPC node refused the transaction: nothing was sent")
        case FailureReason.UPSTREAM_UNAVAILABLE:
            return _("the RPC node or Jupiter did not answer: nothing was sent, try again")
        case FailureReason.SIGNER_FAILED:
            return _("signing failed: nothing was sent")
        case FailureReason.UNEXPECTED_TRANSACTION:
            return _("the route built an unexpected transaction: nothing was sent")
    return esc(clip(fallback or reason or "?", 200))


# ---- /trading ---------------------------------------------------------------------------------


def limits_line(policy: TradePolicy, spent_today_lamports: int, lang: str) -> str:
    _ = translator(lang)
    left = max(0, policy.daily_limit_lamports - spent_today_lamports)
    return _(
        "Limits: {trade} per trade · {day} a day ({left} left) · price impact ≤ {impact}"
        " · slippage {slippage} · liquidity ≥ {liquidity}"
    ).format(
        trade=sol_from_lamports(policy.max_trade_lamports),
        day=sol_from_lamports(policy.daily_limit_lamports),
        left=sol_from_lamports(left),
        impact=_pct(policy.max_price_impact_pct),
        slippage=_pct(policy.default_slippage_bps / 100),
        liquidity=sol_from_lamports(policy.min_liquidity_lamports),
    )


def _wallet_line(wallet: UserWallet, _: Translator) -> str:
    return _("Wallet: {address} · key in {backend}").format(
        address=code_address(wallet.address, short=False), backend=esc(wallet.backend.value)
    )


def trading_status(status: TradingStatus, lang: str) -> str:
    _ = translator(lang)
    state = _("on") if status.enabled else _("off")
    lines = [_("<b>Trading</b>: {state}").format(state=state)]
    if status.wallet is not None:
        lines.append(_wallet_line(status.wallet, _))
    else:
        lines.append(_("No trading wallet yet."))
    lines.append(limits_line(status.policy, status.spent_today_lamports, lang))
    lines.append(_("/trading on — create a wallet (or keep yours) and turn trading on"))
    lines.append(_("/trading import — use a key you already have"))
    lines.append(_("/trading off — stop trading"))
    return "\n".join(lines)


def trading_setup(status: TradingStatus, lang: str, *, imported: bool = False) -> str:
    """The wallet and the limits, before the user confirms."""
    _ = translator(lang)
    assert status.wallet is not None
    title = _("Your imported trading wallet") if imported else _("Your trading wallet")
    return "\n".join(
        [
            f"<b>{esc(title)}</b>",
            code_address(status.wallet.address, short=False),
            limits_line(status.policy, status.spent_today_lamports, lang),
            _(
                "Trading stays off until you confirm. Every trade is checked against these "
                "limits and simulated before it is sent."
            ),
        ]
    )


def trading_enabled(wallet: UserWallet, lang: str) -> str:
    _ = translator(lang)
    return esc(
        _(
            "✅ Trading is on for {address}. Buy from a signal card or with /buy <mint> <SOL>; "
            "fund the wallet first (/wallet). /trading off stops it."
        )
    ).format(address=code_address(wallet.address))


def trading_disabled(lang: str) -> str:
    _ = translator(lang)
    return _("Trading is off for your account. Your wallet and positions stay as they are.")


def trading_unavailable(lang: str) -> str:
    _ = translator(lang)
    return _("This bot does not offer trading: the operator has not turned it on.")


def import_prompt(lang: str) -> str:
    _ = translator(lang)
    return _(
        "Send the secret key in your next message: base58 (Phantom, Solflare) or the JSON "
        "array of a Solana CLI id.json. I delete your message right after reading it."
    )


def key_deleted_notice(deleted: bool, lang: str) -> str:
    _ = translator(lang)
    if deleted:
        return _("Your message with the key was deleted from this chat.")
    return _("I could not delete your message with the key: delete it yourself now.")


# ---- /wallet ---------------------------------------------------------------------------------


def wallet_view(view: WalletView, trading_on: bool, lang: str) -> str:
    _ = translator(lang)
    balance = (
        sol_amount(view.balance_lamports)
        if view.balance_lamports is not None
        else _("unknown (the RPC node did not answer)")
    )
    return "\n".join(
        [
            f"<b>{esc(_('Your trading wallet'))}</b>",
            code_address(view.wallet.address, short=False),
            _("Balance: {balance} · key in {backend}").format(
                balance=balance, backend=esc(view.wallet.backend.value)
            ),
            _("Trading: {state} (/trading)").format(state=_("on") if trading_on else _("off")),
            _("Send SOL to this address to fund it."),
        ]
    )


def no_wallet(lang: str) -> str:
    _ = translator(lang)
    return _("No trading wallet yet: /trading on creates one.")


def export_warning(wallet: UserWallet, lang: str) -> str:
    _ = translator(lang)
    return _(
        "⚠️ Exporting shows the secret key of {address}. Anyone who sees it can take "
        "everything in the wallet, and Telegram keeps messages on its servers. Continue?"
    ).format(address=code_address(wallet.address))


def export_type_prompt(phrase: str, lang: str) -> str:
    _ = translator(lang)
    return _("To confirm, type exactly: {phrase}").format(phrase=f"<code>{esc(phrase)}</code>")


def exported_key(wallet: UserWallet, secret: str, lang: str) -> str:
    _ = translator(lang)
    return "\n".join(
        [
            _("Secret key of {address} (tap to reveal):").format(
                address=code_address(wallet.address)
            ),
            f"<tg-spoiler><code>{esc(secret)}</code></tg-spoiler>",
            _("Save it somewhere safe, then delete this message."),
        ]
    )


def export_refused(phrase: str, lang: str) -> str:
    _ = translator(lang)
    return _(
        "Not exported: the confirmation must be exactly {phrase}. /wallet starts over."
    ).format(phrase=f"<code>{esc(phrase)}</code>")


# ---- /positions -------------------------------------------------------------------------------


def positions_list(values: Sequence[PositionValue], lang: str) -> str:
    _ = translator(lang)
    if not values:
        return esc(_("No open positions. Buy from a signal card or with /buy <mint> <SOL>."))
    lines = [
        "<b>"
        + esc(_.ngettext("{n} open position", "{n} open positions", len(values))).format(
            n=len(values)
        )
        + "</b>"
    ]
    for n, value in enumerate(values, start=1):
        lines.append(f"{n}. " + position_line(value, _))
    return "\n".join(lines)


def position_line(value: PositionValue, _: Translator) -> str:
    holding = value.position.holding
    entry = (
        price(value.position.avg_price_sol) if value.position.avg_price_sol is not None else "?"
    )
    if value.pnl_lamports is not None and value.pnl_pct is not None:
        pnl = _("PnL {sol} ({pct})").format(
            sol=sol_amount(value.pnl_lamports, signed=True),
            pct=("+" if value.pnl_pct > 0 else "") + _pct(value.pnl_pct),
        )
    else:
        pnl = _("PnL unknown (no quote)")
    return _("{token} {mint} · {size} · entry {entry} · {pnl}").format(
        token=token_label(value.token),
        mint=code_address(value.position.mint),
        size=token_amount(holding.token_amount_raw, value.token),
        entry=entry,
        pnl=pnl,
    )


# ---- prompts and short answers ----------------------------------------------------------------


def custom_amount_prompt(token: TokenInfo, policy: TradePolicy, lang: str) -> str:
    _ = translator(lang)
    return _("How much SOL for {token}? Send a number, e.g. 0.25 (your limit: {limit}).").format(
        token=token_label(token), limit=sol_from_lamports(policy.max_trade_lamports)
    )


def already_pressed(lang: str) -> str:
    _ = translator(lang)
    return _("This button already traded once; its message above shows how it went.")


def nothing_to_sell(token: TokenInfo, lang: str) -> str:
    _ = translator(lang)
    return _("Your wallet holds no {token}: nothing to sell.").format(token=token_label(token))


def lost_track(lang: str) -> str:
    _ = translator(lang)
    return _("⚠️ The bot lost track of this trade; /positions and /wallet show what happened.")
