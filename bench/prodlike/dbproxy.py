"""A TCP proxy between the portal and PostgreSQL that the run can cut and restore.

"Stopping PostgreSQL" for the outage check means closing this proxy: its listening socket goes,
so new connections are refused at once, and every open connection is aborted, so the portal's
pooled connections die mid-stream exactly as they would if the server went away. The machine's
real PostgreSQL service keeps running for everyone else who shares it. Restoring the proxy
listens again on the same port, as a restarted server would.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading

CHUNK = 64 * 1024


class DatabaseProxy:
    """Forwards 127.0.0.1:<port> to the real server, in an asyncio loop on its own thread."""

    def __init__(self, target_host: str, target_port: int, port: int = 0) -> None:
        self.target = (target_host, target_port)
        self.port = port
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="db-proxy", daemon=True)
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()
        self.connections_made = 0

    # -- control, from any thread ------------------------------------------------------------

    def start(self) -> None:
        self.thread.start()
        self._call(self._listen())

    def stop(self) -> None:
        """The database "goes away": refuse new connections and drop every open one."""
        self._call(self._close())

    def resume(self) -> None:
        """The database "comes back" on the same address."""
        self._call(self._listen())

    def close(self) -> None:
        if self.thread.is_alive():
            self._call(self._shutdown())
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=5)
        self.loop.close()

    @property
    def listening(self) -> bool:
        return self.server is not None

    @property
    def open_connections(self) -> int:
        return len(self.writers) // 2

    def _call(self, coroutine) -> object:  # noqa: ANN001 - a coroutine for our loop
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=10)

    # -- inside the loop ---------------------------------------------------------------------

    async def _listen(self) -> None:
        if self.server is None:
            self.server = await asyncio.start_server(self._accept, "127.0.0.1", self.port,
                                                     reuse_address=True)
            self.port = self.server.sockets[0].getsockname()[1]

    async def _close(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
        for writer in list(self.writers):
            writer.transport.abort()  # a reset, not a polite goodbye
        self.writers.clear()

    async def _shutdown(self) -> None:
        await self._close()
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)

    async def _accept(self, client_reader: asyncio.StreamReader,
                      client_writer: asyncio.StreamWriter) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.target)
        except OSError:
            client_writer.transport.abort()
            return
        self.connections_made += 1
        self.writers.update((client_writer, server_writer))
        await asyncio.gather(self._pipe(client_reader, server_writer),
                             self._pipe(server_reader, client_writer))
        self.writers.discard(client_writer)
        self.writers.discard(server_writer)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(CHUNK):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()
