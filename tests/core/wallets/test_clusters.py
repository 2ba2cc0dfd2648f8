from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from core.wallets.clusters import ClusterIndex, ClusterParams

A, B, C, D = "Aaaa", "Bbbb", "Cccc", "Dddd"


def test_wallets_co_buying_three_mints_within_seconds_are_one_cluster() -> None:
    index = ClusterIndex(ClusterParams(window_s=5, min_shared_mints=3))
    for i, mint in enumerate(["m1", "m2", "m3"]):
        index.add_buy(A, mint, 1000 + 100 * i)
        index.add_buy(B, mint, 1002 + 100 * i)
    cluster = index.cluster_of(A)
    assert cluster is not None
    assert cluster.members == {A, B} and cluster.cluster_id == A
    assert cluster.strength == 0.5  # 3 shared mints / (2 × 3)
    assert cluster.reasons == ("co-buy",)


def test_two_co_buys_or_buys_further_apart_than_the_window_do_not_link() -> None:
    index = ClusterIndex(ClusterParams(window_s=5, min_shared_mints=3))
    for i, mint in enumerate(["m1", "m2"]):
        index.add_buy(A, mint, 1000 + 100 * i)
        index.add_buy(B, mint, 1001 + 100 * i)
    index.add_buy(A, "m3", 2000)
    index.add_buy(B, "m3", 2006)  # 6 s later: not together
    index.add_buy(A, "m1", 1003)  # the same mint again does not count twice
    assert index.cluster_of(A) is None
    assert index.independent_buyers({A, B}).independent == 2


def test_common_funder_links_wallets_and_chains_with_co_buys() -> None:
    index = ClusterIndex(ClusterParams(window_s=5, min_shared_mints=3))
    index.add_funder(C, "Funder1")
    index.add_funder(D, "Funder1")
    for i, mint in enumerate(["m1", "m2", "m3"]):
        index.add_buy(B, mint, 1000 + 100 * i)
        index.add_buy(C, mint, 1000 + 100 * i)
    cluster = index.cluster_of(D)
    assert cluster is not None
    assert cluster.members == {B, C, D}
    assert cluster.strength == 1.0  # the funding link
    assert cluster.reasons == ("co-buy", "funder Funder1")


def test_alert_counts_four_buyers_of_which_three_are_one_cluster_as_two_independent() -> None:
    index = ClusterIndex()
    for wallet in (B, C, D):
        index.add_funder(wallet, "Funder9")
    groups = index.independent_buyers({A, B, C, D})
    assert groups.independent == 2
    assert len(groups.groups) == 1 and groups.groups[0].members == {B, C, D}


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([A, B, C, D]),
            st.sampled_from(["m1", "m2", "m3", "m4"]),
            st.integers(0, 60),
        ),
        max_size=80,
    ),
    st.dictionaries(st.sampled_from([A, B, C, D]), st.sampled_from(["F1", "F2"])),
)
def test_clusters_partition_the_wallets(
    buys: list[tuple[str, str, int]], funders: dict[str, str]
) -> None:
    index = ClusterIndex(ClusterParams(window_s=5, min_shared_mints=2, max_funder_wallets=2))
    index.set_funders(funders)
    for wallet, mint, at in sorted(buys, key=lambda b: b[2]):
        index.add_buy(wallet, mint, at)
    seen: set[str] = set()
    for cluster in index.clusters():
        assert not cluster.members & seen
        seen |= cluster.members
        assert 0 < cluster.strength <= 1
        assert all(index.cluster_of(w) == cluster for w in cluster.members)
    assert 1 <= index.independent_buyers({A, B, C, D}).independent <= 4


E, F, G = "Eeee", "Ffff", "Gggg"


def test_a_funder_of_more_tracked_wallets_than_the_limit_is_a_hub_and_links_nobody() -> None:
    index = ClusterIndex(ClusterParams(max_funder_wallets=3))
    index.set_funders({A: "Exchange", B: "Exchange", C: "Exchange", D: "Exchange", E: "Mom"})
    assert index.hub_funders == {"Exchange"}
    assert index.clusters() == []
    assert index.independent_buyers({A, B, C, D}).independent == 4


def test_a_funder_growing_past_the_limit_unlinks_the_wallets_it_had_linked() -> None:
    index = ClusterIndex(ClusterParams(max_funder_wallets=3))
    for wallet in (A, B, C):
        index.add_funder(wallet, "HotWallet")
    assert index.independent_buyers({A, B, C}).independent == 1  # three: still one owner
    index.add_funder(D, "HotWallet")  # a fourth: an exchange, not an owner
    assert index.independent_buyers({A, B, C, D}).independent == 4
    assert index.cluster_of(A) is None


def test_hub_rule_keeps_co_buy_links_and_other_funders() -> None:
    index = ClusterIndex(ClusterParams(window_s=5, min_shared_mints=3, max_funder_wallets=2))
    for i, mint in enumerate(["m1", "m2", "m3"]):
        index.add_buy(A, mint, 1000 + 100 * i)
        index.add_buy(B, mint, 1001 + 100 * i)
    index.set_funders({A: "Hub", C: "Hub", D: "Hub", E: "Dad", F: "Dad"})
    assert [(c.members, c.reasons, c.strength) for c in index.clusters()] == [
        ({A, B}, ("co-buy",), 0.5),
        ({E, F}, ("funder Dad",), 1.0),
    ]


def test_a_listed_exchange_wallet_links_nobody_even_below_the_limit() -> None:
    index = ClusterIndex(ClusterParams(ignored_funders=frozenset({"Binance"})))
    index.set_funders({A: "Binance", B: "Binance", C: "Friend", D: "Friend"})
    assert [c.members for c in index.clusters()] == [{C, D}]
    assert index.hub_funders == {"Binance"}


def test_wallets_dropped_from_the_funder_mapping_lose_their_funder_link() -> None:
    index = ClusterIndex()
    index.set_funders({A: "Funder1", B: "Funder1", G: "Funder2"})
    assert index.independent_buyers({A, B}).independent == 1
    index.set_funders({A: "Funder1", G: "Funder2"})  # B no longer tracked
    assert index.independent_buyers({A, B}).independent == 2


def test_a_cluster_describes_its_reasons_in_words_with_its_strength() -> None:
    index = ClusterIndex(ClusterParams(window_s=5, min_shared_mints=3))
    index.set_funders({C: "Funder1", D: "Funder1"})
    for i, mint in enumerate(["m1", "m2", "m3"]):
        index.add_buy(B, mint, 1000 + 100 * i)
        index.add_buy(C, mint, 1000 + 100 * i)
    cluster = index.cluster_of(B)
    assert cluster is not None
    assert cluster.describe() == "co-buy, funded by the same wallet Funder1, strength 1.00"


def test_a_chain_of_five_thousand_co_buyers_is_one_cluster() -> None:
    index = ClusterIndex(ClusterParams(window_s=5, min_shared_mints=1))
    wallets = [f"w{i:05d}" for i in range(5_000)]
    for i in reversed(range(len(wallets) - 1)):  # links from the end: the deepest tree
        index.add_buy(wallets[i + 1], f"m{i}", 1_000)
        index.add_buy(wallets[i], f"m{i}", 1_001)
    groups = index.independent_buyers(set(wallets))
    assert groups.independent == 1
    assert groups.groups[0].cluster_id == "w00000"
