"""A TCP proxy in a thread, between the app and PostgreSQL, that can be cut and restored.

Cutting closes the listener and every open connection at once: to the app it looks like a
database restart or a network failure (connections reset, new ones refused). Restoring
listens again on the same port, like the database coming back.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading


class CuttableProxy:
    """Forwards 127.0.0.1:``port`` to ``target``; ``cut()`` and ``restore()`` it at will."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    def start(self) -> CuttableProxy:
        """Listen (on a new port the first time, on the same port afterwards)."""
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._stopping.clear()
        self._thread = threading.Thread(target=self._serve, args=(listener,), daemon=True)
        self._thread.start()
        return self

    restore = start

    def cut(self) -> None:
        """Stop listening and reset every connection going through."""
        self._stopping.set()
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        if self._thread is not None:
            self._thread.join(5)
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                # SO_LINGER 0: close with a reset, as a dying server's kernel would.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00"
                                b"\x00\x00\x00\x00")
            sock.close()

    stop = cut

    def _serve(self, listener: socket.socket) -> None:
        selector = selectors.DefaultSelector()
        selector.register(listener, selectors.EVENT_READ, None)
        peers: dict[socket.socket, socket.socket] = {}
        try:
            while not self._stopping.is_set():
                for key, _ in selector.select(timeout=0.05):
                    sock = key.fileobj
                    if sock is listener:
                        self._accept(listener, selector, peers)
                    else:
                        self._pump(sock, selector, peers)  # type: ignore[arg-type]
        except (OSError, ValueError):
            pass  # the listener or a socket was closed by cut()
        finally:
            selector.close()

    def _accept(self, listener: socket.socket, selector: selectors.BaseSelector,
                peers: dict[socket.socket, socket.socket]) -> None:
        client, _ = listener.accept()
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            client.close()
            return
        with self._lock:
            self._sockets |= {client, upstream}
        peers[client], peers[upstream] = upstream, client
        selector.register(client, selectors.EVENT_READ, None)
        selector.register(upstream, selectors.EVENT_READ, None)

    def _pump(self, sock: socket.socket, selector: selectors.BaseSelector,
              peers: dict[socket.socket, socket.socket]) -> None:
        peer = peers.get(sock)
        try:
            data = sock.recv(65536)
            if data and peer is not None:
                peer.sendall(data)
                return
        except OSError:
            pass
        for end in (sock, peer):
            if end is None:
                continue
            with contextlib.suppress(KeyError, ValueError):
                selector.unregister(end)
            peers.pop(end, None)
            with self._lock:
                self._sockets.discard(end)
            end.close()
