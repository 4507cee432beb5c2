"""A local SMTP sink (aiosmtpd) that can be made slow, and that says when a message is in flight.

A message counts as delivered only when the sink answers 250 to it: the handler waits `delay`
seconds first, and if the sending worker dies meanwhile, aiosmtpd cancels the handler, so the
message is not recorded (the worker never heard "accepted", so it must send it again).
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections import Counter
from email import message_from_bytes
from email.message import Message

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SlowSink:
    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.port = free_port()
        self.messages: list[Message] = []
        self.started = 0  # DATA commands begun, accepted or not
        self.lock = threading.Lock()
        self._waiters: list[tuple[int, threading.Event]] = []
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001, N802
        with self.lock:
            self.started += 1
            for number, event in self._waiters:
                if self.started >= number:
                    event.set()
        if self.delay:
            await asyncio.sleep(self.delay)  # cancelled if the client goes away meanwhile
        if server.transport is None or server.transport.is_closing():
            return "421 Client gone"
        with self.lock:
            self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"

    def when_started(self, number: int) -> threading.Event:
        """An event set as soon as the number-th message's DATA begins (before it is accepted)."""
        event = threading.Event()
        with self.lock:
            self._waiters.append((number, event))
            if self.started >= number:
                event.set()
        return event

    def recipients(self) -> Counter:
        with self.lock:
            return Counter(str(m["To"]) for m in self.messages)

    def count(self) -> int:
        with self.lock:
            return len(self.messages)
