"""``make demo`` step 6: the server on the demo database, as tracking clients and marketers see it.

Starts ``wayfinder serve`` on a free port, sends a Segment batch with a write key, waits until it
is loaded, runs a CLI command beside the server (it is sent to the server), asks a question
through the query API, and stops the server cleanly.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx

WAYFINDER = [sys.executable, "-m", "wayfinder"]


def run(db: Path, *args: str) -> str:
    done = subprocess.run([*WAYFINDER, "--db", str(db), *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"wayfinder {' '.join(args)} failed: {done.stderr}")
    return done.stdout


def main(db: Path) -> None:
    write_key = run(db, "keys", "write-key", "--for", "shop", "--name", "demo website").strip()
    token = run(db, "keys", "token", "--for", "shop", "--role", "analyst", "--name", "demo").strip()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [*WAYFINDER, "--db", str(db), "serve", "--port", str(port), "--log-level", "warning"]
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the server did not start") from None
                time.sleep(0.2)
        print(f"server up at {url} (web app: {url}/, API reference: {url}/docs)")

        now = datetime.now(UTC).isoformat()
        visitor = f"demo-{uuid.uuid4().hex[:8]}"
        batch = [
            {"type": "page", "anonymousId": visitor, "properties": {"path": "/pricing"}},
            {"type": "identify", "anonymousId": visitor, "userId": visitor,
             "traits": {"email": f"{visitor}@example.com"}},
            {"type": "track", "userId": visitor, "event": "Order Completed",
             "properties": {"revenue": 42.0, "currency": "EUR"}},
            {"type": "track", "userId": visitor},  # no event name: quarantined, the rest stored
        ]  # fmt: skip
        for call in batch:
            call.update(messageId=str(uuid.uuid4()), timestamp=now)
        sent = httpx.post(url + "/v1/batch", json={"batch": batch, "sentAt": now},
                          auth=(write_key, ""), timeout=30)  # fmt: skip
        print(f"POST /v1/batch with the write key: {sent.status_code} {sent.text}")
        while not httpx.get(url + "/health", timeout=10).json()["settled"]:
            time.sleep(0.2)
        print("loaded; `wayfinder quarantine list` beside the server runs inside it:")
        print(run(db, "-w", "shop", "quarantine", "list", "--limit", "1"))
        answer = httpx.post(
            url + "/api/ask",
            json={"question": "top 3 paths of buyers last month"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=300,
        ).json()
        print(f"POST /api/ask: {answer['restatement']}\n  {answer['answer']}")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=120)
    print(
        f"To explore it yourself: wayfinder --db {db} serve, open http://127.0.0.1:8750/ and log "
        f"in with the shop analyst token made above: {token}\n"
        f"(more with: wayfinder --db {db} keys token --for '*' --role admin)"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
