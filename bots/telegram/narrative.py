"""The card's short narrative: on-chain facts in one or two sentences, never advice.

``NarrativeFacts`` are taken at the signal (``facts_for``): the token's age when it was scored,
its market cap then, the tracked wallets that bought and their SOL, the 5-minute move and volume
acceleration, and the risk checks that failed. ``template`` writes them deterministically in
English or French. A ``Narrator`` asks an OpenAI-compatible chat endpoint
(``POST {api_url}/chat/completions``) when one is configured, and falls back to the template
when the endpoint fails, is slow, or writes something ``screen`` rejects: advice (buy / sell
now, you should…), promises ("guaranteed", "risk-free"), hype ("moon", "x100") or predictions
and price targets ("will pump", "target"), links. Whatever the source, the text is at most
``NARRATIVE_MAX`` characters. Narratives are cached per (mint, signal sequence, language): a
signal's card says the same thing each time it is shown, and the endpoint is asked once.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import structlog

from bots.telegram.formatters.numbers import duration, percent, sol, usd
from bots.telegram.i18n import Translator, translator
from core.market import curve
from core.market.snapshot import TokenSnapshot
from core.programs import LAMPORTS_PER_SOL
from core.risk.report import Check, Verdict
from core.signals.risk import RiskBadge
from core.signals.signal import Signal

log = structlog.get_logger(__name__)

NARRATIVE_MAX = 400
CACHE_SIZE = 4096
LANGUAGE_NAMES = {"en": "English", "fr": "French"}

_BANNED = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        # advice and urgency
        r"\b(?:buy|sell|ape|grab|get in|load up)\b\s+(?:\w+\s+)?"
        r"(?:now|it|this|more|before|while|early|today|the dip|asap)\b",
        r"\b(?:should|must|need to|better|time to)\s+(?:buy|sell|ape|invest|get in|hold|take)",
        r"\b(?:don'?t|do not)\s+(?:miss|sell|fade|wait)\b",
        r"\brecommend",
        r"\b(?:not too late|last chance|act fast|hurry)\b",
        # promises and hype
        r"\bguarantee",
        r"\b(?:risk[- ]free|no[- ]risk|easy money|free money|can'?t lose|sure thing|safe bet)\b",
        r"\bprofits?\b",
        r"\bmoon",
        r"\b(?:lambo|gem|send it|wagmi|pump it)\b",
        r"\b\d{2,}\s?x\b|\bx\s?\d{2,}\b",  # 10x, 100 x, x100 (Strength 2.3x is allowed)
        # predictions and targets
        r"\b(?:will|going to|gonna|about to|set to|poised to|could|may|might|expected to)\s+"
        r"(?:\w+\s+)?(?:pump|explode|rise|rally|soar|skyrocket|double|triple|go up|reach|hit"
        r"|break out|run|climb|surge|fly|rocket)\b",
        r"\btarget",
        # links
        r"https?://|www\.|t\.me/|\.(?:com|io|xyz|fun)\b",
        # French
        r"\b(?:achetez|vendez|investissez)\b",
        r"\b(?:acheter|achète|vendre)\s+(?:maintenant|vite|avant|tout de suite)\b",
        r"\b(?:devriez|devez|faut)\s+(?:acheter|vendre|investir)\b",
        r"\bne\s+(?:ratez|manquez)\s+pas\b",
        r"\bgaranti",
        r"\b(?:sans risque|argent facile|pépite|bénéfices?)\b",
        r"\blune\b",
        r"\bobjectif",
        r"\brecommand",
        r"\b(?:va|vont|pourrait|pourraient|devrait|devraient)\s+(?:\w+\s+)?"
        r"(?:exploser|monter|grimper|doubler|tripler|atteindre|s'envoler|décoller)\b",
    )
)
_QUOTES = "\"'“”«»‘’ "
_MARKUP = re.compile(r"[*_`#]+")


@dataclass(frozen=True, slots=True)
class NarrativeFacts:
    """What a narrative may say, as of the signal."""

    symbol: str | None
    age_s: float | None  # the token's age when the signal was scored
    market_cap_usd: float | None
    market_cap_sol: float | None  # shown when the USD figure is unknown
    smart_buyers: int
    smart_sol: float
    smart_window_s: float
    return_5m_pct: float | None
    volume_accel: float | None
    risk_flags: tuple[RiskBadge, ...]  # checks that failed


def _number(inputs: Mapping[str, float], key: str) -> float | None:
    value = inputs.get(key)
    return float(value) if isinstance(value, int | float) else None


def facts_for(signal: Signal, snapshot: TokenSnapshot) -> NarrativeFacts:
    """The facts of ``signal``, with the token's launch time and supply from ``snapshot``."""
    inputs = signal.inputs
    age = None
    if snapshot.created_at is not None:
        age = max(0.0, signal.at - snapshot.created_at.timestamp())
    price = _number(inputs, "price_sol")
    supply_raw = snapshot.supply_raw
    if supply_raw is None and snapshot.on_curve is not False:
        supply_raw = curve.TOKEN_TOTAL_SUPPLY_RAW
    decimals = snapshot.decimals if snapshot.decimals is not None else curve.TOKEN_DECIMALS
    mc_sol: float | None = None
    if price is not None and price > 0 and supply_raw is not None:
        mc_sol = price * supply_raw / 10**decimals
    elif snapshot.market_cap_lamports is not None:
        mc_sol = snapshot.market_cap_lamports / LAMPORTS_PER_SOL
    sol_usd = _number(inputs, "sol_usd") or 0.0
    return_5m = _number(inputs, "return_5m")
    return NarrativeFacts(
        symbol=snapshot.symbol,
        age_s=age,
        market_cap_usd=mc_sol * sol_usd if mc_sol is not None and sol_usd > 0 else None,
        market_cap_sol=mc_sol,
        smart_buyers=int(_number(inputs, "smart_buyers") or 0),
        smart_sol=_number(inputs, "smart_sol") or 0.0,
        smart_window_s=_number(inputs, "smart_window_s") or 300.0,
        return_5m_pct=return_5m * 100 if return_5m is not None else None,
        volume_accel=_number(inputs, "volume_accel"),
        risk_flags=tuple(b for b in signal.risk_badges if b.verdict is Verdict.FAIL),
    )


def _pct(value: object) -> str | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return percent(float(value), signed=False)
    return None


def _flag(badge: RiskBadge, _: Translator) -> str:
    """A failed check, worded as on the card's Risk line."""
    check, pct = badge.check, _pct(badge.value)
    if check is Check.MINT_AUTHORITY:
        return _("mint on")
    if check is Check.FREEZE_AUTHORITY:
        return _("freeze on")
    if check is Check.TOP10:
        return _("top10 {pct}").format(pct=pct) if pct else _("top10")
    if check is Check.TOP_HOLDER:
        return _("top holder {pct}").format(pct=pct) if pct else _("top holder")
    if check is Check.TRANSFER_TAX:
        return _("tax {pct}").format(pct=pct) if pct else _("transfer tax")
    if check is Check.DEV_SELLING:
        return _("dev sold")
    if check is Check.LP_BURNT:
        return _("LP not burnt")
    if check is Check.HONEYPOT:
        return _("not sellable")
    return _("blocklisted")


def _market_cap(facts: NarrativeFacts) -> str | None:
    if facts.market_cap_usd is not None:
        return usd(facts.market_cap_usd)
    if facts.market_cap_sol is not None:
        return sol(facts.market_cap_sol)
    return None


def template(facts: NarrativeFacts, lang: str) -> str:
    """The narrative written from the facts alone (deterministic), within NARRATIVE_MAX."""
    _ = translator(lang)
    sentences: list[str] = []
    mc = _market_cap(facts)
    age = duration(facts.age_s, _) if facts.age_s is not None else None
    if age and mc:
        sentences.append(_("Scored {age} after launch, at MC {mc}.").format(age=age, mc=mc))
    elif age:
        sentences.append(_("Scored {age} after launch.").format(age=age))
    elif mc:
        sentences.append(_("Scored at MC {mc}.").format(mc=mc))
    window = duration(facts.smart_window_s, _)
    if facts.smart_buyers > 0:
        sentences.append(
            _.ngettext(
                "{n} tracked wallet bought {sol} within {window}.",
                "{n} tracked wallets bought {sol} within {window}.",
                facts.smart_buyers,
            ).format(n=facts.smart_buyers, sol=sol(facts.smart_sol), window=window)
        )
    else:
        sentences.append(_("No tracked wallet bought within {window}.").format(window=window))
    if facts.return_5m_pct is not None:
        change = percent(facts.return_5m_pct)
        if facts.volume_accel is not None:
            sentences.append(
                _("Price {change} over 5m, volume ×{accel}.").format(
                    change=change, accel=f"{facts.volume_accel:.1f}"
                )
            )
        else:
            sentences.append(_("Price {change} over 5m.").format(change=change))
    if facts.risk_flags:
        flags = ", ".join(_flag(b, _) for b in facts.risk_flags)
        sentences.append(_("Risk flags: {flags}.").format(flags=flags))
    else:
        sentences.append(_("No risk check failed."))
    return _fit(" ".join(sentences))


def _fit(text: str) -> str:
    """At most NARRATIVE_MAX characters: cut after the last whole sentence that fits, else at a
    word with "…"."""
    text = " ".join(text.split())
    if len(text) <= NARRATIVE_MAX:
        return text
    head = text[:NARRATIVE_MAX]
    end = max(head.rfind(". "), head.rfind("! "), head.rfind("? "))
    if end >= NARRATIVE_MAX // 2:
        return head[: end + 1]
    return head[: NARRATIVE_MAX - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def screen(text: str) -> str | None:
    """The endpoint's text tidied (quotes, markdown, spaces) and cut to NARRATIVE_MAX, or None
    when it is empty or says anything beyond facts (advice, promises, hype, targets, links)."""
    cleaned = _MARKUP.sub("", " ".join(text.split())).strip(_QUOTES)
    if len(cleaned) < 10:
        return None
    for pattern in _BANNED:
        if pattern.search(cleaned):
            return None
    return _fit(cleaned)


def _facts_lines(facts: NarrativeFacts) -> str:
    en = translator("en")
    lines = [f"Token: {facts.symbol or 'unknown symbol'}"]
    if facts.age_s is not None:
        lines.append(f"Age when scored: {duration(facts.age_s, en)}")
    mc = _market_cap(facts)
    if mc:
        lines.append(f"Market cap when scored: {mc}")
    lines.append(
        f"Tracked (smart-money) wallets that bought within {duration(facts.smart_window_s, en)}: "
        f"{facts.smart_buyers}, together {sol(facts.smart_sol)}"
    )
    if facts.return_5m_pct is not None:
        lines.append(f"Price change over 5 minutes: {percent(facts.return_5m_pct)}")
    if facts.volume_accel is not None:
        lines.append(f"Volume versus the usual pace: ×{facts.volume_accel:.1f}")
    flags = ", ".join(_flag(b, en) for b in facts.risk_flags) or "none"
    lines.append(f"Failed risk checks: {flags}")
    return "\n".join(lines)


def chat_request(facts: NarrativeFacts, lang: str, model: str) -> dict[str, Any]:
    """The chat-completions body asking for the narrative in ``lang`` (built, not sent)."""
    language = LANGUAGE_NAMES.get(lang, "English")
    system = (
        "You describe a Solana token's on-chain facts for an alert card, in one or two plain "
        f"sentences of at most 300 characters, in {language}. State only the facts given. "
        "No advice, no recommendation to buy or sell, no predictions, no price targets, no "
        "promises, no hype words, no emojis, no links."
    )
    return {
        "model": model,
        "messages": [
            {"role": "system", "content": system},
            {"role": "user", "content": _facts_lines(facts)},
        ],
        "max_tokens": 160,
        "temperature": 0.2,
    }


def chat_answer(body: Any) -> str:
    """The text of a chat-completions answer; ValueError when the JSON has another shape."""
    try:
        content = body["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError) as exc:
        raise ValueError("not a chat-completions answer") from exc
    if not isinstance(content, str):
        raise ValueError("chat-completions content is not text")
    return content


class Narrator:
    """Narratives for cards, cached; the endpoint is used when ``api_url`` is set.

    ``transport`` lets a test plug an httpx transport; normally None (the network)."""

    def __init__(
        self,
        *,
        api_url: str | None = None,
        api_key: str | None = None,
        model: str = "gpt-4o-mini",
        timeout_s: float = 3.0,
        transport: httpx.AsyncBaseTransport | None = None,
        cache_size: int = CACHE_SIZE,
    ) -> None:
        self._url = f"{api_url.rstrip('/')}/chat/completions" if api_url else None
        self._key = api_key
        self._model = model
        self._timeout_s = timeout_s
        self._transport = transport
        self._cache_size = cache_size
        self._cache: OrderedDict[tuple[str, int, str], str] = OrderedDict()
        self._locks: dict[tuple[str, int, str], asyncio.Lock] = {}

    async def narrative(self, mint: str, sequence: int, facts: NarrativeFacts, lang: str) -> str:
        """The narrative of signal ``sequence`` of ``mint`` in ``lang`` (computed once)."""
        key = (mint, sequence, lang)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            cached = self._cache.get(key)
            if cached is None:
                cached = await self._write(mint, facts, lang)
                self._cache[key] = cached
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        self._locks.pop(key, None)
        return cached

    async def _write(self, mint: str, facts: NarrativeFacts, lang: str) -> str:
        if self._url is None:
            return template(facts, lang)
        try:
            async with asyncio.timeout(self._timeout_s):
                text = await self._ask(facts, lang)
        except (httpx.HTTPError, TimeoutError, ValueError) as exc:
            log.warning("narrative.endpoint_failed", mint=mint, error=type(exc).__name__)
            return template(facts, lang)
        accepted = screen(text)
        if accepted is None:
            log.info("narrative.rejected", mint=mint, text=text[:200])
            return template(facts, lang)
        return accepted

    async def _ask(self, facts: NarrativeFacts, lang: str) -> str:
        assert self._url is not None
        headers = {"Authorization": f"Bearer {self._key}"} if self._key else {}
        async with httpx.AsyncClient(timeout=self._timeout_s, transport=self._transport) as client:
            response = await client.post(
                self._url, json=chat_request(facts, lang, self._model), headers=headers
            )
            response.raise_for_status()
            try:
                body = response.json()
            except json.JSONDecodeError as exc:
                raise ValueError("the answer is not JSON") from exc
        return chat_answer(body)
