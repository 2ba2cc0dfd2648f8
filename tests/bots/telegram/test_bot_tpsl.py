"""TP/SL from the chat, through the real bot on the LiteSVM chain: /tpsl arms the template's
orders on the open position (rows in PostgreSQL), replacing the armed ones; the [TP/SL] button of
/positions, the presets, Custom… and Remove all; plain errors; and a mint held in two wallets,
where nothing changes until the user picks the position."""

from __future__ import annotations

from solders.keypair import Keypair

from core.trading.order_rows import OrderView
from core.trading.order_store import OrderStore
from core.trading.orders import BPS, AmountBasis, LegKind, OrderState, Price
from core.trading.positions import PositionView
from tests.bots.telegram.conftest import buttons
from tests.bots.telegram.test_bot_trade import finished
from tests.bots.telegram.trade_harness import WALLET_SOL, TradeBot

OTHER_MINT = "So11111111111111111111111111111111111111112"


async def open_position(desk: TradeBot) -> PositionView:
    await desk.enable_trading()
    (bought,) = await desk.say(f"/buy {desk.mint} 0.5")
    await finished(desk, bought, "✅ confirmed")
    (position,) = await desk.trading.book.of_user(await desk.user_id())
    return position


async def orders(desk: TradeBot, position: PositionView) -> list[OrderView]:
    return await OrderStore(engine=desk.harness.services.engine).of_position(position.id)


def legs(views: list[OrderView], state: OrderState = OrderState.ARMED) -> list[tuple[object, ...]]:
    return [
        (v.kind, v.threshold_bps, v.amount_basis, v.amount, v.activation_bps)
        for v in views
        if v.state is state
    ]


async def test_tpsl_arms_the_template_on_the_position_and_a_new_one_replaces_it(
    desk: TradeBot,
) -> None:
    position = await open_position(desk)
    held = position.holding.token_amount_raw

    (reply,) = await desk.say(f"/tpsl {desk.mint} tp 50:30 100:30 sl 25")

    lines = reply["text"].splitlines()
    assert lines[0].startswith("<b>TP/SL · PEPE2</b> <code>")
    assert lines[1:5] == [
        "✅ 3 orders armed.",
        "🎯 +50% → sell 30% · armed",
        "🎯 +100% → sell 30% · armed",
        "🛑 -25% → sell all · armed",
    ]
    assert list(buttons(reply)) == ["Safe", "Moon", "Scalp", "Custom…", "🗑 Remove all"]
    stored = await orders(desk, position)
    assert legs(stored) == [
        (LegKind.TAKE_PROFIT, 5_000, AmountBasis.BASE, 3_000, None),
        (LegKind.TAKE_PROFIT, 10_000, AmountBasis.BASE, 3_000, None),
        (LegKind.STOP_LOSS, 2_500, AmountBasis.HELD, BPS, None),
    ]
    entry = Price(position.holding.cost_lamports, held)
    assert all(v.ref == entry and v.base_tokens_raw == held for v in stored)
    assert [v.oco_group for v in stored] == [None, None, "exit"]

    (replaced,) = await desk.say(f"/tpsl {desk.mint} moon")

    assert "✅ 3 orders armed. It replaces 3 armed orders." in replaced["text"]
    stored = await orders(desk, position)
    assert [v.reason for v in stored if v.state is OrderState.CANCELLED] == ["replaced"] * 3
    assert legs(stored) == [
        (LegKind.TAKE_PROFIT, 10_000, AmountBasis.BASE, 3_000, None),
        (LegKind.TAKE_PROFIT, 30_000, AmountBasis.BASE, 3_000, None),
        (LegKind.TRAILING_STOP, 2_500, AmountBasis.HELD, BPS, None),
    ]

    (shown,) = await desk.say(f"/tpsl {desk.mint}")
    assert "📉 trailing 25% below the peak → sell all · armed" in shown["text"]

    (off,) = await desk.say(f"/tpsl {desk.mint} off")

    assert "🗑 3 armed orders cancelled." in off["text"]
    assert "No armed orders on this position." in off["text"]
    assert legs(await orders(desk, position)) == []


async def test_the_positions_button_presets_custom_text_and_remove_all(desk: TradeBot) -> None:
    position = await open_position(desk)
    (listing,) = await desk.say("/positions")
    assert list(buttons(listing)) == ["#1 Sell 25%", "#1 Sell 50%", "#1 Sell 100%", "#1 TP/SL"]

    (view,) = await desk.press(buttons(listing)["#1 TP/SL"], listing)

    assert view["message_id"] != listing["message_id"]  # the positions list stays
    assert "No armed orders on this position." in view["text"]
    (safe,) = await desk.press(buttons(view)["Safe"], view)
    assert safe["message_id"] == view["message_id"]  # edited in place
    assert "✅ 3 orders armed." in safe["text"]
    assert legs(await orders(desk, position)) == [
        (LegKind.TAKE_PROFIT, 5_000, AmountBasis.BASE, 5_000, None),
        (LegKind.TAKE_PROFIT, 10_000, AmountBasis.BASE, 5_000, None),
        (LegKind.STOP_LOSS, 2_500, AmountBasis.HELD, BPS, None),
    ]

    (prompt,) = await desk.press(buttons(safe)["Custom…"], safe)
    assert prompt["text"].startswith("Send the TP/SL template for PEPE2 in your next message")
    (wrong,) = await desk.say("tp 50")
    assert wrong["text"].startswith('"50": expected two values separated by “:”, e.g. 50:30.')
    assert len(legs(await orders(desk, position))) == 3  # nothing changed

    await desk.press(buttons(safe)["Custom…"], safe)
    (custom,) = await desk.say("tp 20:50 trail 10 from 15 time 2h")

    assert "✅ 3 orders armed. It replaces 3 armed orders." in custom["text"]
    assert "⏰ in 2h → sell all · armed" in custom["text"]  # the bot's clock stands still
    stored = await orders(desk, position)
    assert legs(stored) == [
        (LegKind.TAKE_PROFIT, 2_000, AmountBasis.BASE, 5_000, None),
        (LegKind.TRAILING_STOP, 1_000, AmountBasis.HELD, BPS, 1_500),
        (LegKind.TIME_EXIT, 0, AmountBasis.HELD, BPS, None),
    ]
    (timed,) = [v for v in stored if v.kind is LegKind.TIME_EXIT and v.state is OrderState.ARMED]
    assert timed.due_at is not None and (timed.due_at - timed.created_at).total_seconds() == 7200

    (removed,) = await desk.press(buttons(custom)["🗑 Remove all"], custom)
    assert "🗑 3 armed orders cancelled." in removed["text"]
    assert legs(await orders(desk, position)) == []


async def test_errors_are_plain_and_change_nothing(desk: TradeBot) -> None:
    (usage,) = await desk.say("/tpsl")
    assert usage["text"].startswith("Usage: /tpsl &lt;mint|#n&gt; &lt;template|preset|off&gt;.")
    (bad,) = await desk.say("/tpsl abc safe")
    assert bad["text"].startswith('"abc" is not a Solana address')
    position = await open_position(desk)

    (none,) = await desk.say(f"/tpsl {OTHER_MINT} safe")
    assert none["text"] == (
        f"You have no open position in <code>{OTHER_MINT[:4]}…{OTHER_MINT[-4:]}</code>:"
        " /positions lists yours."
    )
    (typo,) = await desk.say(f"/tpsl {desk.mint} tp 50:30 stop 25")
    assert typo["text"].startswith(
        '"stop": expected one of tp, sl, trail, time, dcain, dcaout, or a preset name.'
    )
    (too_much,) = await desk.say(f"/tpsl {desk.mint} tp 50:60 100:60")
    assert too_much["text"].startswith(
        "Template not accepted: take profits and DCA-out sell 120 % of the position in total"
    )
    assert await orders(desk, position) == []

    await desk.say("/trading off")
    (off,) = await desk.say(f"/tpsl {desk.mint} safe")
    assert "Trading is off for your account, so orders would never execute." in off["text"]
    assert await orders(desk, position) == []


# ---- the mint held in two wallets: never guess --------------------------------------------------


async def two_wallets(desk: TradeBot) -> tuple[PositionView, PositionView]:
    """The user bought the mint in their first wallet, then imported a second one (the first is
    retired, its position stays open) and bought again there: (first, second) positions."""
    first = await open_position(desk)
    keypair = Keypair()
    desk.node.airdrop(keypair.pubkey(), WALLET_SOL)
    await desk.say("/trading import")
    (setup,) = await desk.say(str(keypair))
    await desk.press(buttons(setup)["✅ Turn trading on"], setup)
    (bought,) = await desk.say(f"/buy {desk.mint} 0.1")
    await finished(desk, bought, "✅ confirmed")
    second, older = await desk.trading.book.of_user(await desk.user_id())  # newest first
    assert older == first and second.wallet == str(keypair.pubkey()) != first.wallet
    return first, second


def short(address: str) -> str:
    return f"{address[:4]}…{address[-4:]}"


async def test_a_mint_in_two_wallets_arms_nothing_until_the_position_is_picked(
    desk: TradeBot,
) -> None:
    first, second = await two_wallets(desk)

    (choice,) = await desk.say(f"/tpsl {desk.mint} safe")

    assert await orders(desk, first) == [] and await orders(desk, second) == []
    lines = choice["text"].splitlines()
    assert lines[0].startswith("<b>TP/SL · PEPE2</b> <code>")
    assert lines[1] == "You hold it in 2 wallets: which position?"
    # numbered as in /positions (newest first), the active wallet marked
    assert lines[2].startswith(f"#1 · wallet <code>{short(second.wallet)}</code> (active) · ")
    assert lines[3].startswith(f"#2 · wallet <code>{short(first.wallet)}</code> · ")
    assert lines[2].endswith(" · no TP/SL") and lines[3].endswith(" · no TP/SL")
    assert " · entry 0.000" in lines[3]
    assert lines[4] == (
        "Nothing is armed yet: the button arms <code>safe</code> on that position only."
    )
    assert list(buttons(choice)) == [f"#1 · {short(second.wallet)}", f"#2 · {short(first.wallet)}"]

    (armed,) = await desk.press(buttons(choice)[f"#2 · {short(first.wallet)}"], choice)

    assert armed["message_id"] == choice["message_id"]  # the choice becomes the position's view
    assert armed["text"].splitlines()[0].endswith(f" · wallet <code>{short(first.wallet)}</code>")
    assert "✅ 3 orders armed." in armed["text"]
    assert list(buttons(armed)) == ["Safe", "Moon", "Scalp", "Custom…", "🗑 Remove all"]
    assert legs(await orders(desk, first)) == [
        (LegKind.TAKE_PROFIT, 5_000, AmountBasis.BASE, 5_000, None),
        (LegKind.TAKE_PROFIT, 10_000, AmountBasis.BASE, 5_000, None),
        (LegKind.STOP_LOSS, 2_500, AmountBasis.HELD, BPS, None),
    ]
    assert await orders(desk, second) == []

    (again,) = await desk.say(f"/tpsl {desk.mint} off")  # the summary shows the armed orders
    assert again["text"].splitlines()[3].endswith(" · 3 orders armed")
    assert "Nothing is cancelled yet" in again["text"]
    assert len(legs(await orders(desk, first))) == 3
    (removed,) = await desk.press(buttons(again)[f"#2 · {short(first.wallet)}"], again)
    assert "🗑 3 armed orders cancelled." in removed["text"]
    assert legs(await orders(desk, first)) == []


async def test_a_typed_template_waits_server_side_and_a_number_asks_before_acting(
    desk: TradeBot,
) -> None:
    first, second = await two_wallets(desk)
    template = "tp 20:40 40:25 80:25 sl 15 trail 10 from 30 time 48h dcaout 6h:10"

    (older,) = await desk.say(f"/tpsl {desk.mint} tp 30:50 sl 20")
    (choice,) = await desk.say(f"/tpsl {desk.mint} {template}")

    assert f"the button arms <code>{template}</code>" in choice["text"]
    assert all(len(data.encode()) <= 64 for data in buttons(choice).values())
    # only the newest typed template is kept: the older choice's buttons change nothing
    (expired,) = await desk.press(buttons(older)[f"#1 · {short(second.wallet)}"], older)
    assert expired["text"] == (
        "This choice has expired and nothing was changed: send the /tpsl command again."
    )
    assert await orders(desk, first) == [] and await orders(desk, second) == []
    (armed,) = await desk.press(buttons(choice)[f"#1 · {short(second.wallet)}"], choice)
    assert "✅ 7 orders armed." in armed["text"]
    assert len(legs(await orders(desk, second))) == 7
    assert await orders(desk, first) == []

    # /positions' #2 (the first wallet's): numbers shift as positions open and close, so the
    # button names the position before anything is armed
    (confirm,) = await desk.say("/tpsl #2 moon")
    assert "Is this the position?" in confirm["text"]
    assert list(buttons(confirm)) == [f"#2 · {short(first.wallet)}"]
    assert await orders(desk, first) == []
    (numbered,) = await desk.press(buttons(confirm)[f"#2 · {short(first.wallet)}"], confirm)
    assert "✅ 3 orders armed." in numbered["text"]
    assert numbered["text"].splitlines()[0].endswith(f"<code>{short(first.wallet)}</code>")
    assert len(legs(await orders(desk, first))) == 3
    assert len(legs(await orders(desk, second))) == 7
    (missing,) = await desk.say("/tpsl #3 moon")
    assert missing["text"] == (
        "You have no open position #3: /positions lists yours with their numbers."
    )


async def test_a_press_on_a_position_closed_meanwhile_is_refused(desk: TradeBot) -> None:
    first, second = await two_wallets(desk)
    (choice,) = await desk.say(f"/tpsl {desk.mint} safe")
    (sold,) = await desk.say(f"/sell {desk.mint} 100")  # sells from the active wallet
    await finished(desk, sold, "✅ confirmed")
    (still_open,) = await desk.trading.book.of_user(await desk.user_id())
    assert still_open.id == first.id

    (refused,) = await desk.press(buttons(choice)[f"#1 · {short(second.wallet)}"], choice)

    assert refused["text"] == "This position is closed: /positions lists the open ones."
    assert await orders(desk, first) == [] and await orders(desk, second) == []
    (single,) = await desk.say(f"/tpsl {desk.mint} safe")  # one left: as before, no question
    assert "✅ 3 orders armed." in single["text"]
    assert len(legs(await orders(desk, first))) == 3


async def test_the_choice_in_french(desk: TradeBot) -> None:
    first, second = await two_wallets(desk)
    await desk.say("/lang fr")

    (choice,) = await desk.say(f"/tpsl {desk.mint} off")

    lines = choice["text"].splitlines()
    assert lines[1] == "Vous le détenez dans 2 portefeuilles : quelle position ?"
    assert lines[2].startswith(f"#1 · portefeuille <code>{short(second.wallet)}</code> (actif) · ")
    assert " · entrée 0.000" in lines[3]
    assert lines[3].endswith(" · pas de TP/SL")
    assert lines[4] == (
        "Rien n'est encore annulé : le bouton annule uniquement les ordres armés"
        " de cette position."
    )
    assert list(buttons(choice)) == [f"#1 · {short(second.wallet)}", f"#2 · {short(first.wallet)}"]
