"""Wallet clusters: tracked wallets that behave as one.

Two links make a cluster (pure, incremental, bounded memory):

- **Co-buying**: two wallets buy the same mint within ``window_s`` of each other, on at least
  ``min_shared_mints`` different mints. Link strength = shared mints / (2 × min_shared_mints),
  capped at 1. Reason ``"co-buy"``.
- **Common funding**: wallets whose first SOL came from the same source (strength 1). Reason
  ``"funder <address>"``. The funders are found on chain by ``core.wallets.funders``; here they
  are data (``set_funders`` / ``add_funder``).

  *Hub rule*: a funder of more than ``max_funder_wallets`` of the wallets given to
  ``set_funders`` (an exchange hot wallet, a faucet, a bot's payout wallet), or one listed in
  ``ignored_funders``, links nobody: withdrawing from the same exchange says nothing about who
  owns a wallet. The rule is applied to the whole current mapping, so a funder that grows past
  the limit unlinks the wallets it had linked.

Wallets linked directly or through others form one cluster (union-find). A cluster's id is its
smallest address, so ids are stable across processes; its strength is the strongest link in it.
``independent_buyers`` tells an alert how many of a token's buyers are really distinct.
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict, deque
from collections.abc import Mapping
from dataclasses import dataclass, field

CO_BUY = "co-buy"
FUNDER_REASON = "funder "  # + the funder's address
FUNDER_LINK_STRENGTH = 1.0


@dataclass(frozen=True, slots=True)
class ClusterParams:
    window_s: int = 5  # buys this close together on one mint count as co-buying
    min_shared_mints: int = 3  # co-bought mints before two wallets are linked
    max_tracked_mints: int = 20_000  # recent-buy memory (least recently bought evicted)
    # A funder of more tracked wallets than this is a hub (exchange, faucet): it links nobody.
    max_funder_wallets: int = 5
    ignored_funders: frozenset[str] = frozenset()  # known exchange / bridge wallets

    def __post_init__(self) -> None:
        if self.max_funder_wallets < 2:
            raise ValueError("max_funder_wallets must be at least 2 (two wallets make a link)")


@dataclass(frozen=True, slots=True)
class Cluster:
    cluster_id: str
    members: frozenset[str]
    strength: float  # in [0, 1]
    reasons: tuple[str, ...]  # "co-buy", "funder <address>"

    def describe(self) -> str:
        """The reasons in words with the strength, e.g. "funded by the same wallet X, strength
        1.00" (what a signal's cluster entry carries)."""
        words = [
            f"funded by the same wallet {r.removeprefix(FUNDER_REASON)}"
            if r.startswith(FUNDER_REASON)
            else r
            for r in self.reasons
        ]
        return f"{', '.join(words)}, strength {self.strength:.2f}"


@dataclass(frozen=True, slots=True)
class BuyerGroups:
    independent: int  # distinct entities among the buyers
    groups: tuple[Cluster, ...]  # clusters with two or more of these buyers


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


@dataclass(slots=True)
class ClusterIndex:
    params: ClusterParams = field(default_factory=ClusterParams)
    _recent: OrderedDict[str, deque[tuple[int, str]]] = field(default_factory=OrderedDict)
    _shared: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    _co_buy_strength: dict[tuple[str, str], float] = field(default_factory=dict)
    _funded_by: dict[str, str] = field(default_factory=dict)
    _funder_groups: dict[str, tuple[str, ...]] = field(default_factory=dict)  # linking funders
    _hubs: frozenset[str] = frozenset()
    _parent: dict[str, str] = field(default_factory=dict)

    # ---- input ------------------------------------------------------------------------------

    def add_buy(self, wallet: str, mint: str, at_s: int) -> None:
        """A tracked wallet bought ``mint`` at ``at_s`` (unix s). Amortised O(buys in window)."""
        recent = self._recent.get(mint)
        if recent is None:
            recent = deque()
            self._recent[mint] = recent
            if len(self._recent) > self.params.max_tracked_mints:
                self._recent.popitem(last=False)
        else:
            self._recent.move_to_end(mint)
        horizon = at_s - self.params.window_s
        while recent and recent[0][0] < horizon:
            recent.popleft()
        for other_at, other in recent:
            if other != wallet and abs(at_s - other_at) <= self.params.window_s:
                self._co_buy(wallet, other, mint)
        recent.append((at_s, wallet))

    def set_funders(self, funded_by: Mapping[str, str]) -> None:
        """Every tracked wallet's known first funder (replaces the previous mapping; wallets
        missing from it have no funder link). O(wallets + links) when it changes."""
        if funded_by == self._funded_by:
            return
        self._funded_by = dict(funded_by)
        by_funder: defaultdict[str, list[str]] = defaultdict(list)
        for wallet, funder in self._funded_by.items():
            by_funder[funder].append(wallet)
        limit = self.params.max_funder_wallets
        ignored = self.params.ignored_funders
        self._hubs = frozenset(f for f, ws in by_funder.items() if len(ws) > limit or f in ignored)
        self._funder_groups = {
            funder: tuple(sorted(wallets))
            for funder, wallets in by_funder.items()
            if len(wallets) > 1 and funder not in self._hubs
        }
        self._rebuild()

    def add_funder(self, wallet: str, funder: str) -> None:
        """``wallet``'s first SOL came from ``funder`` (the other known funders are kept)."""
        self.set_funders({**self._funded_by, wallet: funder})

    # ---- queries ----------------------------------------------------------------------------

    @property
    def hub_funders(self) -> frozenset[str]:
        """Funders ignored by the hub rule (too many tracked wallets, or listed as ignored)."""
        return self._hubs

    def cluster_of(self, wallet: str) -> Cluster | None:
        if wallet not in self._parent:
            return None
        root = self._find(wallet)
        members = frozenset(w for w in self._parent if self._find(w) == root)
        strengths = [s for (a, _b), s in self._co_buy_strength.items() if self._find(a) == root]
        reasons = {CO_BUY} if strengths else set()
        for funder, wallets in self._funder_groups.items():
            if self._find(wallets[0]) == root:
                strengths.append(FUNDER_LINK_STRENGTH)
                reasons.add(FUNDER_REASON + funder)
        return Cluster(min(members), members, max(strengths, default=0.0), tuple(sorted(reasons)))

    def independent_buyers(self, buyers: set[str] | frozenset[str]) -> BuyerGroups:
        """How many distinct entities ``buyers`` are, and which clusters group several of them."""
        by_root: defaultdict[str, set[str]] = defaultdict(set)
        for wallet in buyers:
            root = self._find(wallet) if wallet in self._parent else wallet
            by_root[root].add(wallet)
        groups = []
        for root, members in by_root.items():
            if len(members) > 1:
                cluster = self.cluster_of(root)
                if cluster is not None:
                    groups.append(
                        Cluster(
                            cluster.cluster_id,
                            frozenset(members),
                            cluster.strength,
                            cluster.reasons,
                        )
                    )
        groups.sort(key=lambda c: c.cluster_id)
        return BuyerGroups(len(by_root), tuple(groups))

    def clusters(self) -> list[Cluster]:
        """Every cluster of two or more wallets, by id. O(wallets + links)."""
        members: defaultdict[str, set[str]] = defaultdict(set)
        for wallet in list(self._parent):
            members[self._find(wallet)].add(wallet)
        strength: defaultdict[str, float] = defaultdict(float)
        reasons: defaultdict[str, set[str]] = defaultdict(set)
        for (a, _b), s in self._co_buy_strength.items():
            root = self._find(a)
            strength[root] = max(strength[root], s)
            reasons[root].add(CO_BUY)
        for funder, wallets in self._funder_groups.items():
            root = self._find(wallets[0])
            strength[root] = max(strength[root], FUNDER_LINK_STRENGTH)
            reasons[root].add(FUNDER_REASON + funder)
        out = [
            Cluster(min(m), frozenset(m), strength[root], tuple(sorted(reasons[root])))
            for root, m in members.items()
            if len(m) > 1
        ]
        return sorted(out, key=lambda c: c.cluster_id)

    # ---- internals --------------------------------------------------------------------------

    def _co_buy(self, a: str, b: str, mint: str) -> None:
        pair = _pair(a, b)
        mints = self._shared.setdefault(pair, set())
        if mint in mints:
            return
        mints.add(mint)
        if len(mints) >= self.params.min_shared_mints:
            strength = min(1.0, len(mints) / (2 * self.params.min_shared_mints))
            self._co_buy_strength[pair] = max(strength, self._co_buy_strength.get(pair, 0.0))
            self._union(*pair)

    def _rebuild(self) -> None:
        """Union-find from scratch (links can disappear when a funder becomes a hub)."""
        self._parent = {}
        for a, b in self._co_buy_strength:
            self._union(a, b)
        for wallets in self._funder_groups.values():
            for other in wallets[1:]:
                self._union(wallets[0], other)

    def _union(self, a: str, b: str) -> None:
        ra, rb = self._find(a), self._find(b)
        if ra != rb:
            self._parent[max(ra, rb)] = min(ra, rb)

    def _find(self, wallet: str) -> str:
        parents = self._parent
        root = parents.setdefault(wallet, wallet)
        while parents[root] != root:
            root = parents[root]
        while wallet != root:  # path compression
            parent = parents[wallet]
            parents[wallet] = root
            wallet = parent
        return root
