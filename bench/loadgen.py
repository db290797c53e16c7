"""Closed-loop HTTP load: a fixed number of client threads, each sending its next
request as soon as the previous one answered, until a request count or a time
limit is reached. Latencies are measured per operation by the caller."""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class BenchError(Exception):
    """An answer other than the one a successful operation gets."""


@dataclass
class PhaseResult:
    name: str
    what: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    server_cpu: float = 0.0  # CPU seconds the gunicorn workers used during the phase

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def cpu_ms_per_op(self) -> float:
        return self.server_cpu / self.count * 1000 if self.count else float("nan")

    @property
    def rate(self) -> float:
        return self.count / self.elapsed if self.elapsed else 0.0

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile in milliseconds."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        rank = max(1, round(p / 100 * len(ordered) + 0.5 - 1e-9))
        return ordered[min(rank, len(ordered)) - 1] * 1000


# One operation: given the thread's client, the operation's index and the thread's
# number, do the work and return the seconds that count as its latency (or raise
# BenchError).
Operation = Callable[[httpx.Client, int, int], float]


def client_for(
    base_url: str, *, local_address: str | None = None, headers: dict[str, str] | None = None
) -> httpx.Client:
    # Plain http on loopback: no TLS context (loading the CA bundle costs ~20 ms a client).
    transport = (
        httpx.HTTPTransport(local_address=local_address, verify=False) if local_address else None
    )
    return httpx.Client(
        base_url=base_url,
        follow_redirects=False,
        timeout=60.0,
        transport=transport,
        headers=headers,
        verify=False,
    )


def run_phase(
    *,
    name: str,
    what: str,
    base_url: str,
    threads: int,
    max_ops: int,
    max_seconds: float,
    operation: Operation,
    local_addresses: list[str] | None = None,
    server_pid: int | None = None,
    headers: dict[str, str] | None = None,
) -> PhaseResult:
    result = PhaseResult(name=name, what=what)
    lock = threading.Lock()
    issued = 0
    deadline = 0.0  # set when every thread has its client: the clock starts then
    ready = threading.Barrier(threads + 1)
    go = threading.Event()

    def next_index() -> int | None:
        nonlocal issued
        with lock:
            if issued >= max_ops or time.perf_counter() >= deadline:
                return None
            issued += 1
            return issued - 1

    def worker(number: int) -> None:
        address = local_addresses[number] if local_addresses else None
        # Threads start and make their clients before the phase's clock starts.
        with client_for(base_url, local_address=address, headers=headers) as client:
            ready.wait()
            go.wait()
            while (index := next_index()) is not None:
                try:
                    seconds = operation(client, index, number)
                except (BenchError, httpx.HTTPError) as exc:
                    with lock:
                        result.errors += 1
                        if len(result.error_samples) < 5:
                            result.error_samples.append(f"{type(exc).__name__}: {exc}")
                    continue
                with lock:
                    result.latencies.append(seconds)

    workers = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(threads)]
    for thread in workers:
        thread.start()
    ready.wait()
    cpu_before = children_cpu(server_pid) if server_pid else 0.0
    started = time.perf_counter()
    deadline = started + max_seconds
    go.set()
    for thread in workers:
        thread.join()
    result.elapsed = time.perf_counter() - started
    result.server_cpu = children_cpu(server_pid) - cpu_before if server_pid else 0.0
    return result


def children_cpu(pid: int) -> float:
    """User + system CPU seconds of the direct children of `pid` (gunicorn's
    workers), from /proc: a cost per request that other load on the machine
    does not inflate the way it inflates latency."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        # After the command name: state, ppid, ..., utime (12th), stime (13th).
        if int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def csrf_token(response: httpx.Response) -> str:
    match = CSRF_RE.search(response.text)
    if response.status_code != 200 or match is None:
        raise BenchError(f"sign-in page: HTTP {response.status_code}, no CSRF token")
    return match.group(1)


def expect_redirect(response: httpx.Response, location: str, step: str) -> None:
    if response.status_code != 302 or response.headers.get("location") != location:
        raise BenchError(
            f"{step}: HTTP {response.status_code} to {response.headers.get('location')!r},"
            f" expected 302 to {location!r}"
        )
