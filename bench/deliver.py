"""Benchmark: delivering the outbox to a local aiosmtpd sink, beside the raw aiosmtplib client.

    python -m bench.deliver [--holders N] [--connections C]

The generated roster is loaded into SQLite and its notices as of 2026-11-24 are queued (139,000
holders queue about 100,000 messages). The baseline sends the very messages the service renders
(built beforehand, untimed) with the bare aiosmtplib client over C connections; then the service
delivers the same queue (claim, re-check, render, send, record) over C connections. The sink is
aiosmtpd's own, in a process of its own. Beside the times, the CPU seconds each side spent: on a
machine with few cores the sender and the sink share them, and the sender's CPU per message is
what bounds its rate.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import aiosmtplib

from bench.generate import roster
from bench.measure import ROOT, machine
from reminders.app import App
from reminders.db import migrate, outbox
from reminders.imports.runner import import_files
from reminders.mail.message import Envelope
from reminders.notices.delivery import Deliverer
from reminders.notices.outcomes import Report
from reminders.notices.service import queue_due
from reminders.settings import load_settings

AS_OF = date(2026, 11, 24)
TARGET_RATIO = 0.8  # issue 8: at least 0.8x the raw client's rate with the same concurrency


def _cpu_seconds(pid: int) -> float | None:
    """A process's CPU time (user and system), from Linux's /proc; None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.1f}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _sink(port: int) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "aiosmtpd",
        "-n",
        "-l",
        f"127.0.0.1:{port}",
        "-c",
        "aiosmtpd.handlers.Sink",
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the SMTP sink did not start")


async def _raw(envelopes: list[Envelope], port: int, connections: int) -> None:
    queue = list(reversed(envelopes))

    async def worker() -> None:
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False)
        await client.connect()
        while queue:
            envelope = queue.pop()
            await client.sendmail(envelope.sender, [envelope.recipient], envelope.data)
        await client.quit()

    await asyncio.gather(*(worker() for _ in range(connections)))


def _envelopes(deliverer: Deliverer, app: App) -> list[Envelope]:
    """The messages the service will send, built in a transaction that is rolled back."""
    built: list[Envelope] = []
    now = deliverer.clock()
    with app.engine.connect() as connection:
        transaction = connection.begin()
        while claimed := outbox.claim(connection, now, timedelta(hours=1), 1000, "bench"):
            prepared = deliverer._prepare(connection, claimed, AS_OF, now, Report())
            built.extend(item.envelope for item in prepared)
        transaction.rollback()
    return built


def measure(holders: int, connections: int) -> list[str]:
    data, _ = roster(holders)
    work = Path(tempfile.mkdtemp(prefix="reminders-deliver-"))
    port = _free_port()
    os.environ.update(
        REMINDERS_DATABASE_URL=f"sqlite:///{work / 'bench.db'}",
        REMINDERS_SMTP_HOST="127.0.0.1",
        REMINDERS_SMTP_PORT=str(port),
        REMINDERS_SMTP_CONNECTIONS=str(connections),
        REMINDERS_SECRET_KEY="bench-secret-key-0123456789-0123456789",
        REMINDERS_DAILY_CAP="1000",
    )
    app = App(load_settings())
    migrate.upgrade(app.engine)
    files = [
        (kind, data / f"{kind}.csv", kind)
        for kind in ("holders", "credentials", "memberships", "ceus")
    ]
    now = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
    import_files(app.engine, app.rulebook, files, now, report=print)
    queued = queue_due(app.engine, app.rulebook, app.ladder, AS_OF, now)
    deliverer = Deliverer(
        app.engine, app.rulebook, app.ladder, app.renderer, app.smtp(), app.mail(), lambda: now
    )
    envelopes = _envelopes(deliverer, app)
    sink = _sink(port)
    try:
        sink_before, cpu_before = _cpu_seconds(sink.pid), time.process_time()
        started = time.perf_counter()
        asyncio.run(_raw(envelopes, port, connections))
        raw = time.perf_counter() - started
        raw_cpu, raw_sink = time.process_time() - cpu_before, _cpu_seconds(sink.pid)
        cpu_before = time.process_time()
        started = time.perf_counter()
        report = asyncio.run(deliverer.deliver_due(AS_OF))
        ours = time.perf_counter() - started
        our_cpu, our_sink = time.process_time() - cpu_before, _cpu_seconds(sink.pid)
    finally:
        sink.terminate()
        sink.wait()
        app.close()
    assert report.sent == queued, report
    raw_rate, our_rate = len(envelopes) / raw, report.sent / ours
    size = sum(len(e.data) for e in envelopes) // max(len(envelopes), 1)
    sink_raw = None if raw_sink is None or sink_before is None else raw_sink - sink_before
    sink_ours = None if our_sink is None or raw_sink is None else our_sink - raw_sink
    per_message = 1000 / max(report.sent, 1)
    return [
        f"Delivery of {report.sent:,} queued messages (about {size:,} bytes each) to a local aiosmtpd sink over {connections} connections.",
        f"Machine: {machine()}.",
        "",
        "| what | seconds | messages/s | ratio | sender CPU s (ms a message) | sink CPU s |",
        "|---|---:|---:|---:|---:|---:|",
        f"| baseline: raw aiosmtplib, the same bytes | {raw:.2f} | {raw_rate:,.0f} | base | {raw_cpu:.1f} ({raw_cpu * per_message:.2f}) | {_cpu(sink_raw)} |",
        f"| reminders: claim, re-check, render, send, record | {ours:.2f} | {our_rate:,.0f} | {our_rate / raw_rate:.2f}x the rate | {our_cpu:.1f} ({our_cpu * per_message:.2f}) | {_cpu(sink_ours)} |",
        "",
        verdict(our_rate / raw_rate),
    ]


def verdict(ratio: float) -> str:
    if ratio >= TARGET_RATIO:
        return (
            f"- Delivery: {ratio:.2f}x the raw client's rate: target met (at least {TARGET_RATIO}x)"
        )
    return (
        f"- Delivery: {ratio:.2f}x the raw client's rate: target missed, "
        f"{TARGET_RATIO / ratio:.1f}x too slow (at least {TARGET_RATIO}x)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--holders", type=int, default=139_000)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    print("\n".join(measure(args.holders, args.connections)))


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
