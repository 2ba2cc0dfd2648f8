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
    )
)
def test_clusters_partition_the_wallets(buys: list[tuple[str, str, int]]) -> None:
    index = ClusterIndex(ClusterParams(window_s=5, min_shared_mints=2))
    for wallet, mint, at in sorted(buys, key=lambda b: b[2]):
        index.add_buy(wallet, mint, at)
    seen: set[str] = set()
    for cluster in index.clusters():
        assert not cluster.members & seen
        seen |= cluster.members
        assert 0 < cluster.strength <= 1
    assert 1 <= index.independent_buyers({A, B, C, D}).independent <= 4
