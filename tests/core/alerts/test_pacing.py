from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from core.alerts import Pacer


def test_one_message_per_second_per_chat() -> None:
    pacer = Pacer(global_per_s=30, per_chat_per_s=1)
    assert pacer.next_slot(1, 100.0) == 100.0
    pacer.sent(1, 100.0)
    assert pacer.next_slot(1, 100.0) == 101.0  # the same chat waits a second
    assert pacer.next_slot(2, 100.0) == 100.0  # another chat does not


def test_thirty_messages_per_second_overall() -> None:
    pacer = Pacer(global_per_s=30, per_chat_per_s=1)
    for chat in range(30):
        assert pacer.next_slot(chat, 50.0) == 50.0
        pacer.sent(chat, 50.0)
    assert abs(pacer.next_slot(99, 50.0) - (50.0 + 1 / 30)) < 1e-9


def test_retry_after_from_the_server_blocks_everything_until_it_passes() -> None:
    pacer = Pacer()
    pacer.retry_after(7, now_s=10.0)
    assert pacer.next_slot(1, 10.0) == 17.0
    assert pacer.next_slot(1, 18.0) == 18.0


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 5), min_size=1, max_size=200))
def test_paced_sends_never_exceed_either_rate(chats: list[int]) -> None:
    pacer = Pacer(global_per_s=10, per_chat_per_s=1)
    now = 0.0
    sent: list[tuple[float, int]] = []
    for chat in chats:
        now = pacer.next_slot(chat, now)
        pacer.sent(chat, now)
        sent.append((now, chat))
    for t, chat in sent:
        window = [c for s, c in sent if t <= s < t + 1]
        assert len(window) <= 10 + 1e-9  # global burst = rate
        assert window.count(chat) <= 1 + 1e-9
