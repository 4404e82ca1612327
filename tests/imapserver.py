"""A real IMAP server for the tests: Debian's dovecot-imapd, started on 127.0.0.1 with its own
configuration under a temporary directory (`make test` installs the package if it is missing).

One user, `bounces`, whose INBOX is a Maildir. As root, dovecot refuses to give mail to uid 0,
so the mailbox belongs to `nobody`; otherwise everything runs as the current user. Its directory
is a world-readable one of its own, not pytest's (0700 to root): dovecot's unprivileged
processes must reach it.
"""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

USER = "bounces"
PASSWORD = "imap-password-for-tests"
DOVECOT = "/usr/sbin/dovecot"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ImapServer:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="reminders-dovecot-"))
        self.root.chmod(0o755)
        self.port = _free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"imap://{USER}:{PASSWORD}@127.0.0.1:{self.port}/INBOX"

    def start(self) -> ImapServer:
        root = self.root
        for sub in ("run", "state", "home"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        if os.getuid() == 0:
            owner = pwd.getpwnam("nobody")
            uid, gid = owner.pw_uid, owner.pw_gid
            shutil.chown(root / "home", uid, gid)
            users = ""
        else:
            uid, gid = os.getuid(), os.getgid()
            name = pwd.getpwuid(uid).pw_name
            users = f"default_internal_user = {name}\ndefault_login_user = {name}\n"
        (root / "dovecot.conf").write_text(
            f"base_dir = {root}/run\nstate_dir = {root}/state\nlog_path = {root}/dovecot.log\n"
            "protocols = imap\nlisten = 127.0.0.1\nssl = no\ndisable_plaintext_auth = no\n"
            f"auth_mechanisms = plain\nfirst_valid_uid = {min(uid, 1)}\n{users}"
            f"passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN {root}/passwd\n}}\n"
            f"userdb {{\n  driver = static\n  args = uid={uid} gid={gid} home={root}/home/%u\n}}\n"
            "mail_location = maildir:~/Maildir\n"
            "service imap-login {\n  chroot =\n"
            f"  inet_listener imap {{\n    address = 127.0.0.1\n    port = {self.port}\n  }}\n"
            "  inet_listener imaps {\n    port = 0\n  }\n}\n"
            "service anvil {\n  chroot =\n}\n"
        )
        self._process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(root / "dovecot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                error = self._process.stderr.read().decode() if self._process.stderr else ""
                raise RuntimeError(f"dovecot exited: {error}{self.log()}")
            try:
                self.client().logout()
                return self
            except (imaplib.IMAP4.error, OSError):
                time.sleep(0.1)
        raise RuntimeError(f"dovecot did not start listening: {self.log()}")

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text() if path.exists() else ""

    def client(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        try:
            client.login(USER, PASSWORD)
            client.select("INBOX")
        except (imaplib.IMAP4.error, OSError):
            client.shutdown()
            raise
        return client

    def deliver(self, data: bytes) -> None:
        client = self.client()
        try:
            kind, answer = client.append(
                "INBOX", None, None, data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
            )
            assert kind == "OK", answer
        finally:
            client.logout()

    def unseen(self) -> int:
        client = self.client()
        try:
            _, found = client.uid("SEARCH", "UNSEEN")
            return len((found[0] or b"").split())
        finally:
            client.logout()

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._process is not None and self._process.stderr is not None:
            self._process.stderr.close()
        shutil.rmtree(self.root, ignore_errors=True)
