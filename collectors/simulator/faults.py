"""Fault knobs of one simulated cluster, and the decision each request gets from them.

Knobs (scenario YAML spells them camelCase under a cluster's `faults:`; Python takes snake_case):

    latency_ms               every request waits this long before it is answered
    unauthorized             401 for every request (token revoked); a wrong token is always 401
    forbidden                403 for every request (no RBAC at all)
    forbidden_namespaces     RBAC without these namespaces: requests into them get 403, and so do
                             all-namespaces lists of namespaced resources (the crawler's rights come
                             from RoleBindings); other namespaces and cluster-scoped resources work
    unauthorized_namespaces  the same with 401
    forbidden_resources      limit forbidden / *_namespaces to these resources (plural names, "pods")
    throttle                 the next N requests get 429 + Retry-After (-1: every request)
    retry_after              seconds in Retry-After (and the Status details.retryAfterSeconds)
    server_errors            the next N requests get `server_error_code` (-1: every request)
    server_error_code        500 (InternalError) or 503 (ServiceUnavailable), ...
    expire_continue          page N (N >= 2) of any paginated list gets 410 Gone, reason Expired
    expire_times             how many times that happens (-1: every time)
    refused                  the cluster is down: connections are reset before any answer
    stall_s                  hold each answer this long (longer than a client's read timeout: a timeout)
    only                     resources (plural names) the request faults above apply to; empty: all
                             requests, discovery included (auth and RBAC faults ignore it)

Counters (throttle, server_errors, expire_times) count down as requests hit them and are reset
whenever the knobs are set again.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, fields, replace


@dataclass(frozen=True)
class Faults:
    latency_ms: float = 0
    unauthorized: bool = False
    forbidden: bool = False
    forbidden_namespaces: tuple[str, ...] = ()
    unauthorized_namespaces: tuple[str, ...] = ()
    forbidden_resources: tuple[str, ...] = ()
    throttle: int = 0
    retry_after: int = 1
    server_errors: int = 0
    server_error_code: int = 500
    expire_continue: int = 0
    expire_times: int = 1
    refused: bool = False
    stall_s: float = 0
    only: tuple[str, ...] = ()

    @classmethod
    def knob_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    def with_knobs(self, **knobs) -> Faults:
        unknown = set(knobs) - set(self.knob_names())
        if unknown:
            raise TypeError(f"unknown fault knob(s): {', '.join(sorted(unknown))}; "
                            f"known: {', '.join(self.knob_names())}")
        for name in ("forbidden_namespaces", "unauthorized_namespaces", "forbidden_resources", "only"):
            if name in knobs:
                value = knobs[name]
                knobs[name] = (value,) if isinstance(value, str) else tuple(value or ())
        return replace(self, **knobs)


@dataclass
class Denial:
    status: int          # 401 | 403
    cluster_scope: bool  # the request was an all-namespaces list (or cluster-wide)


@dataclass
class FaultState:
    """The knobs of one cluster plus the counters they consume, behind one lock."""

    faults: Faults = field(default_factory=Faults)
    _throttle: int = 0
    _errors: int = 0
    _expiries: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def set(self, faults: Faults) -> None:
        with self._lock:
            self.faults = faults
            self._throttle, self._errors, self._expiries = faults.throttle, faults.server_errors, faults.expire_times

    def applies(self, resource: str | None) -> bool:
        only = self.faults.only
        return not only or (resource is not None and resource in only)

    def denial(self, *, resource: str | None, namespace: str | None, all_namespaces: bool,
               namespaced: bool = True) -> Denial | None:
        """RBAC as a crawler with per-namespace RoleBindings (and a ClusterRole for cluster-scoped
        resources such as nodes and namespaces) sees it."""
        f = self.faults
        if f.unauthorized:
            return Denial(401, True)
        covered = resource is not None and (not f.forbidden_resources or resource in f.forbidden_resources)
        if f.forbidden and (covered or not f.forbidden_resources):
            return Denial(403, namespace is None)
        for status, namespaces in ((401, f.unauthorized_namespaces), (403, f.forbidden_namespaces)):
            if namespaces and covered and namespaced:
                if all_namespaces:
                    return Denial(status, True)
                if namespace in namespaces:
                    return Denial(status, False)
        return None

    def take_throttle(self) -> bool:
        return self._take("_throttle")

    def take_error(self) -> bool:
        return self._take("_errors")

    def take_expiry(self, page: int) -> bool:
        if not self.faults.expire_continue or page != self.faults.expire_continue:
            return False
        return self._take("_expiries")

    def _take(self, counter: str) -> bool:
        with self._lock:
            left = getattr(self, counter)
            if left == 0:
                return False
            if left > 0:
                setattr(self, counter, left - 1)
            return True
