"""A loopback SMTP server in its own process, for benchmarks.

    python bench/smtp_sink.py SPOOL_FILE

Prints its port on the first line of standard output, then accepts mail until SIGTERM.
Each message is appended to SPOOL_FILE as "<recipient>\\n<length>\\n<bytes>" so the
benchmark can send exactly the same messages again, and "<unix time> <recipient>" to
SPOOL_FILE.times, so it can tell how long each took to arrive.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from aiosmtpd.controller import Controller


class Spool:
    def __init__(self, path: str) -> None:
        self.file = open(path, "ab", buffering=1 << 20)  # noqa: SIM115 (open for the process's life)
        self.times = open(path + ".times", "a", buffering=1 << 16)  # noqa: SIM115

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        data = envelope.original_content
        self.file.write(f"{envelope.rcpt_tos[0]}\n{len(data)}\n".encode() + data)
        self.times.write(f"{time.time():.4f} {envelope.rcpt_tos[0]}\n")
        return "250 OK"


def read_spool(path: str) -> list[tuple[str, bytes]]:
    messages = []
    with open(path, "rb") as spool:
        while header := spool.readline():
            recipient = header.decode().strip()
            length = int(spool.readline())
            messages.append((recipient, spool.read(length)))
    return messages


class Sink:
    """The SMTP server in its own process, as a real one would be (bench/smtp_sink.py)."""

    def __init__(self, spool: Path) -> None:
        self.spool = spool
        self.proc = subprocess.Popen(
            [sys.executable, __file__, str(spool)],
            stdout=subprocess.PIPE,
            text=True,
        )
        self.port = int(self.proc.stdout.readline())

    def __enter__(self) -> Sink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)
        self.received = read_spool(str(self.spool))
        # recipient -> when its (last) message arrived, in seconds since the epoch
        self.arrivals = {
            recipient: float(when)
            for when, recipient in (
                line.split(" ", 1) for line in Path(f"{self.spool}.times").read_text().splitlines()
            )
        }


def main() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    spool = Spool(sys.argv[1])
    controller = Controller(spool, hostname="127.0.0.1", port=port)
    controller.start()
    print(port, flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    stopped.wait()
    controller.stop()
    spool.file.close()
    spool.times.close()


if __name__ == "__main__":
    main()
