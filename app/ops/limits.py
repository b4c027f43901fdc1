"""Input limits: request body size (a clear 413 instead of reading an endless body) and ids
within the database's range."""

from __future__ import annotations

import json
import re

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import NotFound
from app.core.fields import MAX_ID

__all__ = ["MAX_ID", "BodySizeLimit", "ids_in_range"]
_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")


async def ids_in_range(request: Request) -> None:
    """A number in the path beyond any id's range is simply not found.

    Async because it is pure: a sync dependency costs every request a trip through the
    thread pool.

    Without this, the database driver refuses to bind it (SQLite: OverflowError; PostgreSQL:
    integer out of range) and the caller would get a 500 for a mistyped link.
    """
    for value in request.path_params.values():
        text = str(value)
        if _WHOLE_NUMBER.fullmatch(text) and abs(int(text)) > MAX_ID:
            raise NotFound()


class BodySizeLimit:
    """Refuse bodies larger than ``max_bytes`` with 413, by header or while streaming."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        received = 0
        response_started = refused = False

        async def limited_receive() -> Message:
            # A body streamed without a length (chunked) is counted as it arrives: past the
            # limit the 413 goes out at once and the app is told the client left, so it
            # stops reading and whatever it answers is dropped.
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    refused = True
                    if not response_started:
                        await self._refuse(send)
                    return {"type": "http.disconnect"}
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if refused:
                return
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        await self.app(scope, limited_receive, tracking_send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(
            {"detail": f"The request body is larger than {self.max_bytes} bytes."}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})
