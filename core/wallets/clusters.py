"""Wallet clusters: tracked wallets that behave as one.

Two links make a cluster (pure, incremental, bounded memory):

- **Co-buying**: two wallets buy the same mint within ``window_s`` of each other, on at least
  ``min_shared_mints`` different mints. Link strength = shared mints / (2 × min_shared_mints),
  capped at 1.
- **Common funding**: two wallets whose first SOL came from the same source (strength 1). The
  funders are found on chain by a separate adapter; here they are data (``add_funder``).

Wallets linked directly or through others form one cluster (union-find). A cluster's id is its
smallest address, so ids are stable across processes; its strength is the strongest link in it.
``independent_buyers`` tells an alert how many of a token's buyers are really distinct.
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict, deque
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class ClusterParams:
    window_s: int = 5  # buys this close together on one mint count as co-buying
    min_shared_mints: int = 3  # co-bought mints before two wallets are linked
    max_tracked_mints: int = 20_000  # recent-buy memory (least recently bought evicted)


@dataclass(frozen=True, slots=True)
class Cluster:
    cluster_id: str
    members: frozenset[str]
    strength: float  # in [0, 1]
    reasons: tuple[str, ...]  # "co-buy", "funder <address>"


@dataclass(frozen=True, slots=True)
class BuyerGroups:
    independent: int  # distinct entities among the buyers
    groups: tuple[Cluster, ...]  # clusters with two or more of these buyers


@dataclass(slots=True)
class ClusterIndex:
    params: ClusterParams = field(default_factory=ClusterParams)
    _recent: OrderedDict[str, deque[tuple[int, str]]] = field(default_factory=OrderedDict)
    _shared: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    _funded_by: dict[str, str] = field(default_factory=dict)
    _parent: dict[str, str] = field(default_factory=dict)
    _link_strength: dict[tuple[str, str], float] = field(default_factory=dict)
    _reasons: defaultdict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

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

    def add_funder(self, wallet: str, funder: str) -> None:
        """``wallet``'s first SOL came from ``funder``."""
        self._funded_by[wallet] = funder
        for other, other_funder in self._funded_by.items():
            if other != wallet and other_funder == funder:
                self._link(wallet, other, 1.0, f"funder {funder}")

    # ---- queries ----------------------------------------------------------------------------

    def cluster_of(self, wallet: str) -> Cluster | None:
        if wallet not in self._parent:
            return None
        root = self._find(wallet)
        members = frozenset(w for w in self._parent if self._find(w) == root)
        strength = max(
            (s for (a, _b), s in self._link_strength.items() if self._find(a) == root),
            default=0.0,
        )
        reasons = tuple(sorted({r for w in members for r in self._reasons[w]}))
        return Cluster(min(members), members, strength, reasons)

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
        roots = {self._find(w) for w in self._parent}
        out = [c for r in roots if (c := self.cluster_of(r)) is not None and len(c.members) > 1]
        return sorted(out, key=lambda c: c.cluster_id)

    # ---- internals --------------------------------------------------------------------------

    def _co_buy(self, a: str, b: str, mint: str) -> None:
        pair = (a, b) if a < b else (b, a)
        mints = self._shared.setdefault(pair, set())
        if mint in mints:
            return
        mints.add(mint)
        if len(mints) >= self.params.min_shared_mints:
            strength = min(1.0, len(mints) / (2 * self.params.min_shared_mints))
            self._link(pair[0], pair[1], strength, "co-buy")

    def _link(self, a: str, b: str, strength: float, reason: str) -> None:
        pair = (a, b) if a < b else (b, a)
        self._link_strength[pair] = max(strength, self._link_strength.get(pair, 0.0))
        self._reasons[a].add(reason)
        self._reasons[b].add(reason)
        ra, rb = self._find(a), self._find(b)
        if ra != rb:
            self._parent[max(ra, rb)] = min(ra, rb)

    def _find(self, wallet: str) -> str:
        parent = self._parent.setdefault(wallet, wallet)
        if parent == wallet:
            return wallet
        root = self._find(parent)
        self._parent[wallet] = root
        return root
