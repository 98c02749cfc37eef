"""API tokens and write keys: who may read or send to which workspace, kept as hashes on disk.

An API token carries a role (viewer < analyst < admin) and one workspace, or ``*`` for every
workspace; a write key can only send events to its workspace. Only SHA-256 hashes are stored
(``keys.json``, mode 0600), so the file gives nothing away; the server rereads it when it changes,
so ``wayfinder keys`` works while a server runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from wayfinder.errors import ConfigError, UnknownName

ROLES = ("viewer", "analyst", "admin")
ALL_WORKSPACES = "*"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Grant:
    """One key as stored: what it may do, never the secret itself."""

    id: str
    kind: str  # "token" or "write_key"
    workspace: str
    role: str
    name: str
    created_at: str
    hash: str

    def allows(self, workspace: str) -> bool:
        return self.workspace in (ALL_WORKSPACES, workspace)

    def at_least(self, role: str) -> bool:
        return self.kind == "token" and ROLES.index(self.role) >= ROLES.index(role)


class Keyring:
    """The keys file of one server folder; safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._by_hash: dict[str, Grant] = {}
        #: Keys that live only as long as this process (the local CLI's), never written down.
        self._ephemeral: dict[str, Grant] = {}

    # -- reading -----------------------------------------------------------------------------
    def find(self, secret: str | None) -> Grant | None:
        """The grant of a presented secret, or None. Compared by hash, in constant time per key."""
        if not secret:
            return None
        self._refresh()
        wanted = _digest(secret)
        for digest, grant in [*self._by_hash.items(), *self._ephemeral.items()]:
            if secrets.compare_digest(digest, wanted):
                return grant
        return None

    def grants(self) -> list[Grant]:
        self._refresh()
        return sorted(self._by_hash.values(), key=lambda g: (g.workspace, g.kind, g.created_at))

    def _refresh(self) -> None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            self._by_hash, self._stamp = {}, None
            return
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp == self._stamp:
            return
        with self._lock:
            data = json.loads(self.path.read_text(encoding="utf-8") or "{}")
            self._by_hash = {g["hash"]: Grant(**g) for g in data.get("keys", [])}
            self._stamp = stamp

    def add_ephemeral(self, grant_id: str, workspace: str, role: str, name: str) -> str:
        """A token for this process only (the local CLI bridge); returns its secret."""
        secret = "wft_" + secrets.token_urlsafe(24)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        grant = Grant(grant_id, "token", workspace, role, name, now, _digest(secret))
        self._ephemeral[grant.hash] = grant
        return secret

    # -- writing (the CLI's ``wayfinder keys``) ----------------------------------------------
    def create(self, kind: str, workspace: str, role: str = "viewer", name: str = "") -> str:
        """Add a key and return its secret, shown once."""
        if kind not in ("token", "write_key"):
            raise UnknownName("unknown key kind", value=kind, hint="token or write_key")
        if kind == "token" and role not in ROLES:
            raise UnknownName("unknown role", value=role, hint=f"roles: {', '.join(ROLES)}")
        if kind == "write_key" and workspace == ALL_WORKSPACES:
            raise ConfigError("a write key sends to one workspace", value=workspace)
        secret = ("wft_" if kind == "token" else "wfk_") + secrets.token_urlsafe(24)
        grant = Grant(
            id=secrets.token_hex(4),
            kind=kind,
            workspace=workspace,
            role=role if kind == "token" else "writer",
            name=name,
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            hash=_digest(secret),
        )
        with self._lock:
            self._write([*self._load_all(), grant])
        return secret

    def revoke(self, key_id: str) -> Grant:
        with self._lock:
            grants = self._load_all()
            kept = [g for g in grants if g.id != key_id]
            if len(kept) == len(grants):
                raise UnknownName(
                    "no key with this id", value=key_id, hint="see `wayfinder keys list`"
                )
            self._write(kept)
        return next(g for g in grants if g.id == key_id)

    def _load_all(self) -> list[Grant]:
        if not self.path.exists():
            return []
        data = json.loads(self.path.read_text(encoding="utf-8") or "{}")
        return [Grant(**g) for g in data.get("keys", [])]

    def _write(self, grants: list[Grant]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        # Created 0600 from the start, then renamed over: readers never see half a file.
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"keys": [asdict(g) for g in grants]}, fh, indent=2)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temporary, self.path)
        self._stamp = None
