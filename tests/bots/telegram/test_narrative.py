"""Card narratives: the template from facts (EN, FR), the no-advice screen, and the
OpenAI-compatible endpoint against a local chat-completions server (accepted, rejected, broken)."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import web

from bots.telegram.narrative import (
    NARRATIVE_MAX,
    NarrativeFacts,
    Narrator,
    facts_for,
    screen,
    template,
)
from core.market.snapshot import TokenSnapshot
from core.risk.report import Check, Verdict
from core.signals.risk import RiskBadge
from tests.bots.telegram.data import MINT, NOW, ux_signal

FACTS = NarrativeFacts(
    symbol="PEPE2",
    age_s=250,
    market_cap_usd=41_200,
    market_cap_sol=41.2,
    smart_buyers=4,
    smart_sol=9.8,
    smart_window_s=300,
    return_5m_pct=41.0,
    volume_accel=3.2,
    risk_flags=(RiskBadge(Check.TOP10, Verdict.FAIL, 38.0),),
)
EN = (
    "Scored 4m after launch, at MC 41.2k USD. 4 tracked wallets bought 9.8 SOL within 5m. "
    "Price +41% over 5m, volume ×3.2. Risk flags: top10 38%."
)
FR = (
    "Signalé 4 min après le lancement, à une cap de 41.2k USD. 4 portefeuilles suivis ont "
    "acheté 9.8 SOL en 5 min. Prix +41% sur 5 min, volume ×3.2. Alertes de risque : top10 38%."
)


def test_the_template_states_the_facts_in_english_and_french() -> None:
    assert template(FACTS, "en") == EN
    assert template(FACTS, "fr") == FR


def test_the_template_leaves_out_unknown_facts_and_says_when_nothing_failed() -> None:
    bare = dataclasses.replace(
        FACTS,
        age_s=None,
        market_cap_usd=None,
        market_cap_sol=None,
        smart_buyers=1,
        smart_sol=2.5,
        return_5m_pct=None,
        risk_flags=(),
    )
    assert template(bare, "en") == (
        "1 tracked wallet bought 2.5 SOL within 5m. No risk check failed."
    )
    assert template(bare, "fr") == (
        "1 portefeuille suivi a acheté 2.5 SOL en 5 min. Aucun contrôle de risque en échec."
    )
    sol_only = dataclasses.replace(bare, market_cap_sol=12.0, smart_buyers=0, age_s=None)
    assert template(sol_only, "en") == (
        "Scored at MC 12.0 SOL. No tracked wallet bought within 5m. No risk check failed."
    )


def test_templates_pass_the_screen() -> None:
    for lang in ("en", "fr"):
        assert screen(template(FACTS, lang)) == template(FACTS, lang)


def test_facts_are_taken_at_the_signal_with_launch_time_and_supply_from_the_snapshot() -> None:
    signal = ux_signal(
        inputs={**ux_signal().inputs, "price_sol": 2e-7, "sol_usd": 206.0, "smart_window_s": 300}
    )
    snapshot = TokenSnapshot(
        mint=MINT,
        at=NOW + timedelta(hours=1),  # viewed an hour later: the facts do not move
        symbol="PEPE2",
        created_at=NOW - timedelta(minutes=4, seconds=10),
        on_curve=True,
    )
    facts = facts_for(signal, snapshot)
    assert facts.age_s == 250
    assert facts.market_cap_sol == pytest.approx(200)  # 2e-7 SOL x 1e9 tokens (Pump.fun)
    assert facts.market_cap_usd == pytest.approx(41_200)  # x 206 USD
    assert (facts.smart_buyers, facts.smart_sol) == (4, 9.8)
    assert facts.return_5m_pct == pytest.approx(41.0)
    assert facts.risk_flags == (RiskBadge(Check.TOP10, Verdict.FAIL, 38.0),)
    assert template(facts, "en") == EN


@pytest.mark.parametrize(
    "text",
    [
        "Guaranteed 100x, buy now!",
        "Smart wallets are in, you should buy before it runs.",
        "This one is going to the moon.",
        "Price could double by tonight.",
        "Early gem with x100 potential.",
        "Next price target 0.0001 SOL.",
        "Risk-free entry after the dip.",
        "Don't miss this launch, 4 wallets bought.",
        "See https://pump.fun/coin/abc for more.",
        "Achetez maintenant, 4 portefeuilles sont entrés.",
        "Le prix va exploser selon les portefeuilles suivis.",
        "Rendement garanti.",
    ],
)
def test_the_screen_rejects_advice_promises_hype_targets_and_links(text: str) -> None:
    assert screen(text) is None


def test_the_screen_tidies_and_keeps_facts_within_400_characters() -> None:
    assert screen('  "**Launched 4m ago**; buying accelerated after 3 tracked wallets."\n') == (
        "Launched 4m ago; buying accelerated after 3 tracked wallets."
    )
    assert screen("ok") is None
    long = " ".join(f"Fact number {i} is plain." for i in range(40))
    cut = screen(long)
    assert cut is not None and len(cut) <= NARRATIVE_MAX and cut.endswith("is plain.")


@dataclass
class ChatServer:
    """A local OpenAI-compatible /v1/chat/completions endpoint."""

    url: str = ""
    answer: Any = None  # JSON body to send, or an int HTTP status, or "hang"
    requests: list[dict[str, Any]] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    def reply(self, content: str) -> None:
        self.answer = {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}],
        }


@pytest.fixture
async def chat_server() -> AsyncIterator[ChatServer]:
    server = ChatServer()

    async def completions(request: web.Request) -> web.StreamResponse:
        server.requests.append(
            {"auth": request.headers.get("Authorization"), "body": await request.json()}
        )
        if server.answer == "hang":
            await server.release.wait()
        if isinstance(server.answer, int):
            return web.Response(status=server.answer, text="upstream broke")
        if server.answer == "not json":
            return web.Response(text="<html>gateway</html>")
        return web.json_response(server.answer)

    app = web.Application()
    app.router.add_post("/v1/chat/completions", completions)
    runner = web.AppRunner(app)
    await runner.setup()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    server.url = f"http://127.0.0.1:{port}/v1"
    try:
        yield server
    finally:
        server.release.set()
        await runner.cleanup()


def narrator(server: ChatServer, **kw: Any) -> Narrator:
    return Narrator(api_url=server.url, api_key="sk-test", model="tiny-model", **kw)


async def test_an_accepted_endpoint_answer_is_the_narrative(chat_server: ChatServer) -> None:
    chat_server.reply("Four tracked wallets bought 9.8 SOL within five minutes of launch.")
    text = await narrator(chat_server).narrative(MINT, 1, FACTS, "fr")
    assert text == "Four tracked wallets bought 9.8 SOL within five minutes of launch."
    (call,) = chat_server.requests
    assert call["auth"] == "Bearer sk-test"
    body = call["body"]
    assert body["model"] == "tiny-model"
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert "in French" in body["messages"][0]["content"]
    assert "9.8 SOL" in body["messages"][1]["content"]
    assert "top10 38%" in body["messages"][1]["content"]


async def test_a_rejected_answer_falls_back_to_the_template(chat_server: ChatServer) -> None:
    chat_server.reply("guaranteed 100x, buy now")
    assert await narrator(chat_server).narrative(MINT, 1, FACTS, "en") == EN
    assert len(chat_server.requests) == 1


@pytest.mark.parametrize("answer", [500, "not json", {"choices": []}])
async def test_a_broken_endpoint_falls_back_to_the_template(
    chat_server: ChatServer, answer: Any
) -> None:
    chat_server.answer = answer
    assert await narrator(chat_server).narrative(MINT, 1, FACTS, "fr") == FR


async def test_a_silent_endpoint_falls_back_to_the_template(chat_server: ChatServer) -> None:
    chat_server.answer = "hang"
    assert await narrator(chat_server, timeout_s=0.2).narrative(MINT, 1, FACTS, "en") == EN


async def test_an_unreachable_endpoint_falls_back_to_the_template() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dead = Narrator(api_url=f"http://127.0.0.1:{port}/v1", api_key=None)
    assert await dead.narrative(MINT, 1, FACTS, "en") == EN


async def test_narratives_are_asked_once_per_mint_signal_and_language(
    chat_server: ChatServer,
) -> None:
    chat_server.reply("Four tracked wallets bought 9.8 SOL.")
    n = narrator(chat_server)
    first = await asyncio.gather(*(n.narrative(MINT, 1, FACTS, "en") for _ in range(5)))
    assert set(first) == {"Four tracked wallets bought 9.8 SOL."}
    assert len(chat_server.requests) == 1
    chat_server.reply("Quatre portefeuilles suivis ont acheté 9.8 SOL.")
    assert await n.narrative(MINT, 1, FACTS, "fr") == (
        "Quatre portefeuilles suivis ont acheté 9.8 SOL."
    )
    assert await n.narrative(MINT, 2, FACTS, "en") == (
        "Quatre portefeuilles suivis ont acheté 9.8 SOL."
    )
    assert await n.narrative(MINT, 1, FACTS, "en") == "Four tracked wallets bought 9.8 SOL."
    assert len(chat_server.requests) == 3


async def test_without_an_endpoint_the_template_is_used() -> None:
    assert await Narrator().narrative(MINT, 1, FACTS, "fr") == FR
