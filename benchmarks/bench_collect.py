"""The collection load benchmark: concurrent Segment senders against a real ``wayfinder serve``,
beside file ingestion of the same events, and a replay of the loader's rounds (ingest vs stitch).

Usage: ``python -m benchmarks.bench_collect MODE DIR [...]`` prints one JSON line. Modes:
``load DIR SECONDS SENDERS`` (a fresh database and server; senders post batches of 100 for
SECONDS, then the backlog drains and every acknowledged messageId is counted in the database; the
acknowledged events are written to ``DIR/events.jsonl``), ``file DIR`` (``wayfinder ingest`` of
that file into a fresh database) and ``replay DIR ROUND_EVENTS BUDGET`` (the loader's work in
rounds of ROUND_EVENTS, ingest and stitch timed apart, for at most BUDGET seconds). Each mode runs
in its own process; ``section`` runs all three and writes the section of RESULTS.md.
"""

from __future__ import annotations

import json
import os
import random
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import orjson

HEADING = "## Collection under load"
WORKSPACE = "default"
BATCH = 100
WAYFINDER = [sys.executable, "-m", "wayfinder"]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- realistic events ---------------------------------------------------------------------------
PAGES = [
    ("/", "Home"),
    ("/pricing", "Pricing"),
    ("/c/tents", "Tents"),
    ("/c/stoves", "Stoves"),
    ("/p/trailhead-2p-tent", "Trailhead 2P tent"),
    ("/p/ember-stove", "Ember stove"),
    ("/cart", "Cart"),
    ("/checkout/shipping", "Shipping"),
    ("/checkout/payment", "Payment"),
    ("/blog/how-to-pitch-a-tent", "How to pitch a tent"),
    ("/help/delivery", "Delivery"),
]
PRODUCTS = [("sku-2p-tent", "Trailhead 2P tent", 249.0), ("sku-stove", "Ember stove", 59.9),
            ("sku-mat", "Cloud sleeping mat", 89.0), ("sku-lamp", "Head lamp", 24.5)]  # fmt: skip
CAMPAIGNS = [None, None, ("google", "cpc", "brand"), ("facebook", "paid_social", "spring_sale"),
             ("newsletter", "email", "weekly")]  # fmt: skip
REFERRERS = ["", "https://www.google.com/", "https://www.facebook.com/", "https://t.co/x"]
AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
]


class Visitors:
    """One sender's stream of calls as analytics.js would send them: pages, tracks, identifies."""

    def __init__(self, run: str, sender: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.run, self.sender, self.sent = run, sender, 0

    def event(self, now: str) -> dict:
        rng = self.rng
        visitor = rng.randrange(5_000)
        self.sent += 1
        page_path, title = rng.choice(PAGES)
        campaign = rng.choice(CAMPAIGNS)
        search = ""
        if campaign:
            search = "?utm_source={}&utm_medium={}&utm_campaign={}".format(*campaign)
        url = "https://shop.example" + page_path + search
        context = {
            "library": {"name": "analytics.js", "version": "next-1.70.0"},
            "locale": "en-GB",
            "userAgent": rng.choice(AGENTS),
            "page": {"path": page_path, "url": url, "title": title,
                     "referrer": rng.choice(REFERRERS), "search": search},
        }  # fmt: skip
        if campaign:
            context["campaign"] = dict(zip(("source", "medium", "name"), campaign, strict=True))
        event = {
            "messageId": f"ajs-{self.run}-{self.sender:02d}-{self.sent:09d}",
            "anonymousId": f"anon-{self.sender}-{visitor}",
            "timestamp": now,
            "sentAt": now,
            "context": context,
        }
        roll = rng.random()
        if roll < 0.6:
            event |= {"type": "page", "name": title,
                      "properties": {"path": page_path, "url": url, "title": title}}  # fmt: skip
        elif roll < 0.9:
            sku, name, price = rng.choice(PRODUCTS)
            kind = rng.choice(["Product Viewed", "Product Added", "Checkout Started",
                               "Order Completed"])  # fmt: skip
            props = {"product_id": sku, "name": name, "price": price, "currency": "EUR"}
            if kind == "Order Completed":
                props |= {"order_id": f"o-{self.run}-{self.sent}", "revenue": price}
            event |= {"type": "track", "event": kind, "properties": props}
        else:
            event |= {"type": "identify", "userId": f"user-{self.sender}-{visitor}",
                      "traits": {"email": f"v{self.sender}.{visitor}@example.com",
                                 "plan": rng.choice(["free", "pro"])}}  # fmt: skip
        return event


# -- the server ---------------------------------------------------------------------------------
def _wayfinder(db: Path, *args: str) -> str:
    cmd = [*WAYFINDER, "--db", str(db), "-w", WORKSPACE, *args]
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server(db: Path, port: int) -> subprocess.Popen:
    import httpx

    log = db.with_name("server.log").open("ab")
    cmd = [*WAYFINDER, "--db", str(db), "serve", "--port", str(port), "--log-level", "warning"]
    process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited {process.returncode}; see {log.name}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    process.kill()
    raise RuntimeError("the server did not start in 60 s")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Sender(threading.Thread):
    """Posts batches with keep-alive until ``stop_at``; retries a refused batch as clients do."""

    def __init__(self, number: int, url: str, key: str, run: str, stop_at: float, out: Path):
        super().__init__(name=f"sender-{number}", daemon=True)
        self.visitors = Visitors(run, number, seed=number)
        self.url, self.key, self.stop_at, self.out = url, key, stop_at, out
        self.latencies: list[float] = []
        self.acks: list[tuple[float, int]] = []  # (when, events) per acknowledged batch
        self.acked: list[str] = []
        self.busy = 0  # 429s
        self.errors: Counter[str] = Counter()
        self.unacked: list[str] = []  # gave up on these (never acknowledged)

    def run(self) -> None:
        import httpx

        headers = {"Content-Type": "application/json"}
        with (
            httpx.Client(base_url=self.url, auth=(self.key, ""), headers=headers, timeout=60) as c,
            self.out.open("wb") as fh,
        ):
            while time.monotonic() < self.stop_at:
                now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
                events = [self.visitors.event(now) for _ in range(BATCH)]
                lines = [orjson.dumps(e) for e in events]
                body = b'{"batch":[' + b",".join(lines) + b'],"sentAt":"' + now.encode() + b'"}'
                if self._send(c, body):
                    fh.write(b"\n".join(lines) + b"\n")
                    self.acked += [e["messageId"] for e in events]
                else:
                    self.unacked += [e["messageId"] for e in events]

    def _send(self, client, body: bytes) -> bool:
        import httpx

        give_up = self.stop_at + 60  # a batch in flight at the end still gets its retries
        while time.monotonic() < give_up:
            started = time.perf_counter()
            try:
                response = client.post("/v1/batch", content=body)
            except httpx.TransportError as exc:
                self.errors[type(exc).__name__] += 1
                time.sleep(1)
                continue
            if response.status_code == 200:
                self.latencies.append(time.perf_counter() - started)
                self.acks.append((time.monotonic(), BATCH))
                return True
            if response.status_code == 429:
                self.busy += 1
                time.sleep(float(response.headers.get("Retry-After", "1")))
                continue
            self.errors[str(response.status_code)] += 1
            if response.status_code < 500:
                return False  # a client drops a batch on any other 4xx
            time.sleep(1)
        return False


class Monitor(threading.Thread):
    """Samples the journal backlog (``/health``) and the loaded count (``/api/status``)."""

    def __init__(self, url: str, token: str) -> None:
        super().__init__(name="monitor", daemon=True)
        self.url, self.token = url, token
        self.stop = threading.Event()
        self.backlog: list[tuple[float, int]] = []
        self.loaded: list[tuple[float, int]] = []

    def run(self) -> None:
        import httpx

        auth = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(base_url=self.url, timeout=60) as client:
            tick = 0
            while not self.stop.wait(0.5):
                now = time.monotonic()
                self.backlog.append((now, client.get("/health").json()["backlog_bytes"]))
                tick += 1
                if tick % 20 == 0:  # every 10 s: status counts every table, keep it rare
                    status = client.get("/api/status", headers=auth).json()
                    self.loaded.append((now, status["collection"]["loaded"]))


def _percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 1000) - 1]


def load(directory: str, seconds: str, senders: str) -> dict:
    import duckdb
    import httpx

    from wayfinder.server.config import ServerConfig, home_for
    from wayfinder.server.keys import Keyring

    folder = Path(directory)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    db = folder / "collect.duckdb"
    # The keyring the CLI's `wayfinder keys` writes, without two command start-ups.
    keyring = Keyring(home_for(db) / "keys.json")
    write_key = keyring.create("write_key", WORKSPACE, "writer", "load benchmark")
    token = keyring.create("token", WORKSPACE, "analyst", "load benchmark")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server = _start_server(db, port)
    cpu_at_start = _cpu_seconds(server.pid)
    run = f"{random.SystemRandom().getrandbits(32):08x}"
    try:
        monitor = Monitor(url, token)
        monitor.start()
        started = time.monotonic()
        crew = [
            Sender(n, url, write_key, run, started + float(seconds), folder / f"sent-{n}.jsonl")
            for n in range(int(senders))
        ]
        for sender in crew:
            sender.start()
        for sender in crew:
            sender.join()
        last_ack = max(when for s in crew for when, _ in s.acks)
        while httpx.get(url + "/health", timeout=60).json()["backlog_bytes"] > 0:
            if time.monotonic() - last_ack > 600:
                raise RuntimeError("the backlog did not drain in 600 s")
            time.sleep(0.05)
        drained = time.monotonic()
        monitor.stop.set()
        monitor.join()
        status = httpx.get(
            url + "/api/status", headers={"Authorization": f"Bearer {token}"}, timeout=60
        ).json()
        server_cpu = _cpu_seconds(server.pid) - cpu_at_start
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=120)

    with (folder / "events.jsonl").open("wb") as out:
        for sender in crew:
            path = folder / f"sent-{sender.visitors.sender}.jsonl"
            out.write(path.read_bytes())
            path.unlink()
    acked = [m for s in crew for m in s.acked]
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute(f"SELECT message_id FROM ws_{WORKSPACE}.events").fetchall()
    stored = Counter(r[0] for r in rows)
    quarantined = con.execute(f"SELECT count(*) FROM ws_{WORKSPACE}.quarantine").fetchone()[0]
    con.close()
    acked_set, unacked = set(acked), {m for s in crew for m in s.unacked}
    latencies = [x for s in crew for x in s.latencies]
    acks = sorted(a for s in crew for a in s.acks)
    window = min(10.0, float(seconds) / 4)
    first = sum(n for when, n in acks if when - started <= window) / window
    final = sum(n for when, n in acks if last_ack - when < window) / window
    loaded_at = [(t - started, n) for t, n in monitor.loaded]
    return {
        "seconds": float(seconds),
        "senders": int(senders),
        "batch": BATCH,
        "acked": len(acked),
        "acked_mb": (folder / "events.jsonl").stat().st_size / 1e6,
        "send_seconds": last_ack - started,
        "acked_per_second": len(acked) / (last_ack - started),
        "acked_per_second_first": first,
        "acked_per_second_last": final,
        "window": window,
        "p50_ms": _percentile(latencies, 0.5) * 1000,
        "p99_ms": _percentile(latencies, 0.99) * 1000,
        "max_ms": max(latencies) * 1000,
        "requests": len(latencies),
        "busy_429": sum(s.busy for s in crew),
        "errors": dict(sum((s.errors for s in crew), Counter())),
        "unacked": len(unacked),
        "drain_seconds": drained - last_ack,
        "loaded_per_second": len(acked) / (drained - started),
        "max_backlog_mib": max((b for _, b in monitor.backlog), default=0) / 2**20,
        "backlog_limit_mib": ServerConfig.max_backlog_bytes / 2**20,
        "loaded_timeline": loaded_at,
        "stored": sum(stored.values()),
        "missing": len(acked_set - stored.keys()),
        "duplicated": sum(1 for m, n in stored.items() if n > 1),
        "extra": len(stored.keys() - acked_set - unacked),
        "extra_unacked": len(stored.keys() & unacked),
        "quarantined": quarantined,
        "loader": status["collection"],
        "server_cpu_seconds": server_cpu,
        "senders_cpu_seconds": resource.getrusage(resource.RUSAGE_SELF).ru_utime
        + resource.getrusage(resource.RUSAGE_SELF).ru_stime,
        "wall_seconds": drained - started,
    }


# -- the baselines ------------------------------------------------------------------------------
def file(directory: str) -> dict:
    """``wayfinder ingest`` of the acknowledged events into a fresh database (stitching on, as
    the server's loader does), timed from the command's start to its end."""
    folder = Path(directory)
    jsonl = folder / "events.jsonl"
    db = folder / "file.duckdb"
    db.unlink(missing_ok=True)
    started, cpu = time.perf_counter(), _children_cpu_seconds()
    out = _wayfinder(db, "ingest", str(jsonl), "--json")
    seconds = time.perf_counter() - started
    cpu = _children_cpu_seconds() - cpu
    summary = json.loads(out)
    started = time.perf_counter()
    _wayfinder(db, "--help")  # the command's own start-up, to tell apart from the loading
    startup = time.perf_counter() - started
    return {"seconds": seconds, "cpu_seconds": cpu, "startup_seconds": startup,
            "rows": summary["loaded"],
            "quarantined": sum(summary.get("quarantined", {}).values())}  # fmt: skip


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def replay(directory: str, round_events: str, budget: str) -> dict:
    """The loader's rounds again, in process: each round ingests ``round_events`` events (the
    server's mean round) and then stitches, as ``Workspace.ingest`` does, timed apart."""
    import wayfinder

    folder = Path(directory)
    lines = (folder / "events.jsonl").read_bytes().splitlines(keepends=True)
    db = folder / "replay.duckdb"
    db.unlink(missing_ok=True)
    ws = wayfinder.open(f"duckdb:///{db}", WORKSPACE)
    size = max(1, int(float(round_events)))
    segment = folder / "segment.jsonl"
    rounds: list[tuple[float, float]] = []
    started, cpu = time.perf_counter(), time.process_time()  # DuckDB's threads included
    for at in range(0, len(lines), size):
        segment.write_bytes(b"".join(lines[at : at + size]))
        t0 = time.perf_counter()
        ws.ingest(segment, "events", stitch=False)
        t1 = time.perf_counter()
        ws.stitch()
        rounds.append((t1 - t0, time.perf_counter() - t1))
        if time.perf_counter() - started > float(budget):
            break
    cpu = time.process_time() - cpu
    segment.unlink()
    ws.close()
    ingest, stitch = sum(r[0] for r in rounds), sum(r[1] for r in rounds)
    head, tail = rounds[: max(1, len(rounds) // 10)], rounds[-max(1, len(rounds) // 10) :]
    return {
        "round_events": size,
        "rounds": len(rounds),
        "events": min(len(lines), len(rounds) * size),
        "cpu_seconds": cpu,
        "ingest_seconds": ingest,
        "stitch_seconds": stitch,
        "tenth": len(head),
        "first_rounds_ms": [statistics.mean(r[i] for r in head) * 1000 for i in (0, 1)],
        "last_rounds_ms": [statistics.mean(r[i] for r in tail) * 1000 for i in (0, 1)],
        "budget_seconds": float(budget),
        "peak_rss_mb": peak_rss_mb(),
    }


MODES = {"load": load, "file": file, "replay": replay}


def main() -> None:
    print(json.dumps(MODES[sys.argv[1]](*sys.argv[2:])))


# -- the section of RESULTS.md ------------------------------------------------------------------
def run_mode(*args: str) -> dict:
    root = Path(__file__).resolve().parent.parent
    cmd = [sys.executable, "-m", "benchmarks.bench_collect", *args]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=root)
    return json.loads(out.stdout.strip().splitlines()[-1])


def section(directory: Path, machine: str, seconds: float = 60, senders: int = 4,
            replay_budget: float = 45) -> list[str]:  # fmt: skip
    """Run the load, the file baseline and the replay, each in its own process; the section."""
    load_avg = os.getloadavg()[0]
    print(f"collection: {senders} senders for {seconds:.0f} s", flush=True)
    r = run_mode("load", str(directory), str(seconds), str(senders))
    (directory / "load.json").write_text(json.dumps(r, indent=1), encoding="utf-8")
    print("collection: file ingestion of the same events", flush=True)
    f = run_mode("file", str(directory))
    loader = r["loader"]
    mean_round = loader["rows_read"] / max(1, loader["runs"])
    print(f"collection: replay of the loader's rounds ({mean_round:,.0f} events each)", flush=True)
    p = run_mode("replay", str(directory), str(mean_round), str(replay_budget))
    for name, figures in (("file", f), ("replay", p)):
        (directory / f"{name}.json").write_text(json.dumps(figures, indent=1), encoding="utf-8")
    return render(r, f, p, machine, (load_avg, os.getloadavg()[0]))


def render(
    r: dict, f: dict, p: dict, machine: str, load: tuple[float, float] = (0.0, 0.0)
) -> list[str]:
    loader = r["loader"]
    file_rate = f["rows"] / f["seconds"]
    lost = r["missing"] + r["duplicated"] + r["extra"]
    verdict = (
        "**zero loss**: every acknowledged messageId is in the events table exactly once, "
        "none missing, none extra"
        if lost == 0 and r["stored"] == r["acked"] + r["extra_unacked"]
        else f"**LOSS**: {r['missing']:,} missing, {r['duplicated']:,} duplicated, "
        f"{r['extra']:,} extra"
    )
    server_cpu_ms = r["server_cpu_seconds"] / r["acked"] * 1e6
    file_cpu_ms = f["cpu_seconds"] / f["rows"] * 1e6
    load_cpu_ms = p["cpu_seconds"] / p["events"] * 1e6
    rounds = f"{p['tenth']} rounds" if p["tenth"] > 1 else "round"
    share = p["stitch_seconds"] / max(1e-9, p["ingest_seconds"] + p["stitch_seconds"])
    timeline = ", ".join(f"{n:,} at {t:.0f} s" for t, n in r["loaded_timeline"])
    errors = ", ".join(f"{n} x {k}" for k, n in r["errors"].items()) or "none"
    return [
        HEADING,
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on: {machine}; load average "
        f"{load[0]:.1f} at the start, {load[1]:.1f} at the end (other work on the same cores "
        "slows both the server and the baseline).",
        "",
        f"A real `wayfinder serve` on a fresh DuckDB file; {r['senders']} sender threads (one "
        "keep-alive httpx client each, in one process on the same cores as the server) post "
        f"Segment batches of {r['batch']} to `/v1/batch` for {r['seconds']:.0f} s: page (60%), "
        "track (30%: product and order events with properties) and identify (10%, with traits) "
        "calls with analytics.js context, campaign and unique messageIds; a 429 is retried after "
        "its Retry-After, as clients do. After the last acknowledgement the journal drains "
        "(loaded and stitched); the server is stopped and the events table is counted against "
        f"every acknowledged messageId. Data: {r['acked']:,} events, {r['acked_mb']:,.0f} MB "
        f"as JSONL (about {r['acked_mb'] * 1e6 / max(1, r['acked']):,.0f} bytes each). The "
        "baseline is `wayfinder ingest` of the same events from one JSONL file into a fresh "
        "database (stitching on, as the loader does), in the same run.",
        "",
        "| figure | value |",
        "|---|---|",
        f"| events acknowledged | {r['acked']:,} in {r['send_seconds']:.1f} s "
        f"({r['requests']:,} requests) |",
        f"| sustained events/s acknowledged | **{r['acked_per_second']:,.0f}** (first "
        f"{r['window']:.0f} s: {r['acked_per_second_first']:,.0f}; last {r['window']:.0f} s: "
        f"{r['acked_per_second_last']:,.0f}) |",
        f"| request latency p50 / p99 / max | {r['p50_ms']:.1f} / {r['p99_ms']:.1f} / "
        f"{r['max_ms']:.0f} ms |",
        f"| 429s (backlog full) | {r['busy_429']:,} |",
        f"| other errors; batches given up | {errors}; {r['unacked'] // r['batch']:,} |",
        f"| largest journal backlog (429s past {r['backlog_limit_mib']:,.0f} MiB) | "
        f"{r['max_backlog_mib']:,.1f} MiB |",
        f"| drain time (last ack to fully loaded) | {r['drain_seconds']:.1f} s |",
        f"| loaded events/s (first send to fully loaded) | {r['loaded_per_second']:,.0f} |",
        f"| loader rounds; mean events per round | {loader['runs']:,}; "
        f"{loader['rows_read'] / max(1, loader['runs']):,.0f} |",
        f"| stored / quarantined / duplicates skipped | {r['stored']:,} / {r['quarantined']:,} "
        f"/ {loader['duplicates']:,} |",
        f"| loss check | {verdict} |",
        f"| CPU: server / senders (wall {r['wall_seconds']:.0f} s, {os.cpu_count()} cores) | "
        f"{r['server_cpu_seconds']:.0f} s / {r['senders_cpu_seconds']:.0f} s |",
        f"| CPU per 1,000 events: server (receive and load) / file ingestion | "
        f"{server_cpu_ms:,.0f} / {file_cpu_ms:,.0f} ms ({server_cpu_ms / file_cpu_ms:.2f}x) |",
        f"| **file ingestion** (`wayfinder ingest`, same events) | {f['seconds']:.1f} s, "
        f"**{file_rate:,.0f} events/s** (of which {f['startup_seconds']:.1f} s command start) |",
        f"| ratio HTTP acknowledged / file | {r['acked_per_second'] / file_rate:.2f}x |",
        f"| ratio HTTP loaded / file | {r['loaded_per_second'] / file_rate:.2f}x |",
        "",
        f"Loaded while sending (from `/api/status` every 10 s): {timeline or 'no samples'}.",
        "",
        f"Where the loader's time goes: its {loader['runs']:,} rounds replayed in one process "
        f"({p['rounds']:,} rounds of {p['round_events']:,} events, {p['events']:,} events, "
        f"in at most {p['budget_seconds']:.0f} s), each `ingest(stitch=False)` then `stitch()` "
        "(an upper bound: the server's loader stitches at most every 5 s while events keep "
        f"coming): ingest {p['ingest_seconds']:.1f} s, stitch "
        f"{p['stitch_seconds']:.1f} s (**{share:.0%} stitching**). Per round, first {rounds}: "
        f"ingest {p['first_rounds_ms'][0]:,.0f} ms, stitch {p['first_rounds_ms'][1]:,.0f} ms; "
        f"last {rounds}: ingest {p['last_rounds_ms'][0]:,.0f} ms, stitch "
        f"{p['last_rounds_ms'][1]:,.0f} ms. Loading in these rounds costs {load_cpu_ms:,.0f} ms "
        f"of CPU per 1,000 events, so receiving them (HTTP, JSON, journal) costs the server about "
        f"{server_cpu_ms - load_cpu_ms:,.0f} ms.",
    ]


if __name__ == "__main__":
    main()
