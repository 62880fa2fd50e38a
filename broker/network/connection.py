"""One client connection: frames in, handler calls in request order, responses out.

Requests of one connection are handled one at a time, in order (as Apache Kafka does), so
pipelined requests are answered in order and an idempotent producer's batches are appended
in the order it sent them. A request that need not wait is answered as soon as it is read;
one that waits (a long-poll fetch) continues in a Task and the requests behind it queue.
Back-pressure both ways: reading pauses while too many request bytes wait, and handling
pauses while the transport's write buffer is full. Any failure in flight closes the
connection, so a client is never left reading a half-written response.

Responses to what one read brought are written together at the end of the event loop's turn:
one write for a pipelining client, and a fetch that a produce's append completes is answered
before that produce is acknowledged, so consumers at the tail see the data first.

On a TLS listener the principal comes from the client certificate; on a SASL listener the
frames go to a SaslAuthenticator (broker/security/sasl) until it has authenticated the client,
then the connection drops it: an authenticated or plaintext connection pays one attribute
check per request for security.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections import deque
from typing import TYPE_CHECKING

from broker.handlers.context import CLOSE_CONNECTION, RequestContext
from broker.network.eager import start_eagerly
from broker.protocol import codec
from broker.protocol.apis import ApiKey
from broker.protocol.framing import MIN_FRAME, FrameDecoder, FramingError

if TYPE_CHECKING:
    from broker.node import Broker
    from broker.security.sasl.authenticator import SaslAuthenticator
    from broker.security.settings import ListenerSpec

log = logging.getLogger("broker.network")

MAX_QUEUED_BYTES = 8 * 1024 * 1024  # pause reading beyond this many unhandled request bytes
OUTBOX_BYTES = 64 * 1024  # write held responses at once beyond this (the transport's limit)


class Connection(asyncio.Protocol):
    def __init__(
        self, broker: Broker, handlers: dict, listener: ListenerSpec | None = None
    ) -> None:
        self.broker = broker
        self.handlers = handlers
        # the listener it arrived on (default: the first, for callers outside a server)
        self.listener = listener or next(iter(broker.listeners.values()))
        self.principal = "User:ANONYMOUS"
        self.authenticator: SaslAuthenticator | None = None  # until SASL authentication ends
        self.decoder = FrameDecoder(broker.config.get("socket.request.max.bytes"))
        self.frames: deque[bytearray] = deque()
        self.queued_bytes = 0
        self.outbox: list[codec.Buffer] = []  # responses held until the end of the loop turn
        self.outbox_bytes = 0
        self.writable = True
        self.transport: asyncio.Transport | None = None
        self.loop = asyncio.get_running_loop()  # kept: each call of it costs a getpid()
        self.peer = "?"
        self.host = "?"
        # the request that had to wait (a long-poll fetch, a join): later frames queue behind it
        self.task: asyncio.Task | None = None
        self.reading_paused = False
        self.draining = False  # set on shutdown: finish what was received, then stop

    # --- asyncio.Protocol callbacks ---------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        peer = transport.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if peer else "?"
        self.host = peer[0] if peer else "?"
        sock = transport.get_extra_info("socket")
        if sock is not None:
            # Small responses (an acks=all produce, a woken fetch) must not wait for Nagle.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.listener.ssl_context is not None or self.listener.sasl_mechanisms:
            from broker.security.connection import secure

            if not secure(self, transport):
                transport.close()
                return
        self.broker.connections.add(self)

    def data_received(self, data: bytes) -> None:
        try:
            frames = self.decoder.feed(data)
        except FramingError as e:
            log.warning("closing connection from %s: %s", self.peer, e)
            self.close()
            return
        if frames:
            self.frames.extend(frames)
            self.queued_bytes += sum(len(f) for f in frames)
            self._serve_queued()
        if self.queued_bytes + self.decoder.buffered > MAX_QUEUED_BYTES and not self.reading_paused:
            self.reading_paused = True
            self.transport.pause_reading()  # type: ignore[union-attr]

    def connection_lost(self, exc: Exception | None) -> None:
        self.broker.connections.discard(self)
        self.frames.clear()
        self.outbox.clear()
        if self.task is not None:
            self.task.cancel()

    def pause_writing(self) -> None:
        self.writable = False

    def resume_writing(self) -> None:
        self.writable = True
        self._serve_queued()

    # --- request loop -----------------------------------------------------------------------

    def drain(self) -> None:
        """Stop reading; requests already received are still answered."""
        self.draining = True
        if self.transport is not None:
            self.transport.pause_reading()

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self._flush()
            self.transport.close()

    def _send(self, response: list[codec.Buffer]) -> None:
        """Write a response (its buffers) in order: held to the end of the loop turn when
        answered at once (see the module docstring), written now when it ends a wait."""
        if not self.outbox:
            if self.task is not None:  # a request that waited: nothing else is held
                self.transport.writelines(response)  # type: ignore[union-attr]
                return
            self.loop.call_soon(self._flush)
        self.outbox += response
        for buffer in response:
            self.outbox_bytes += len(buffer)
        if self.outbox_bytes >= OUTBOX_BYTES or self.task is not None:
            self._flush()

    def _flush(self) -> None:
        if self.outbox and self.transport is not None and not self.transport.is_closing():
            # one writev, the buffers as they are (may call pause_writing, which stops
            # _serve_queued)
            self.transport.writelines(self.outbox)
        self.outbox.clear()
        self.outbox_bytes = 0

    def _serve_queued(self) -> None:
        """Answer queued requests in order, each at once, until one has to wait.

        A request that waits continues in ``self.task``; the queue resumes when it is answered.
        Handling pauses while the transport's write buffer is full.
        """
        while self.frames and self.task is None and self.writable:
            if self.transport is None or self.transport.is_closing():
                self.frames.clear()
                return
            frame = self.frames.popleft()
            self.queued_bytes -= len(frame)
            if self.reading_paused and self.queued_bytes < MAX_QUEUED_BYTES // 2:
                self.reading_paused = False
                if not self.draining:
                    self.transport.resume_reading()
            task = start_eagerly(self._serve(frame), self.loop)
            if task is not None:
                self.task = task
                task.add_done_callback(self._waited)

    def _waited(self, task: asyncio.Task) -> None:
        self.task = None
        if not task.cancelled():
            self._serve_queued()

    def throttle(self, delay: float) -> None:
        """Mute the connection for ``delay`` seconds from the response being sent (KIP-219):
        nothing more is read or handled meanwhile, as Kafka mutes a throttled client.

        The mute takes the place of ``self.task`` (the request that waits), so the request
        loop needs no check of its own; a throttled request that itself waited hands its
        place over.
        """
        if self.transport is None or self.transport.is_closing():
            return
        gate = self.loop.create_future()
        timer = self.loop.call_later(delay, _open, gate)
        if self.task is not None:  # the request being answered waited: it runs in this task
            self.task.remove_done_callback(self._waited)
        self.task = gate
        self.transport.pause_reading()

        def unmute(_: asyncio.Future) -> None:
            timer.cancel()
            if self.task is gate:
                self.task = None
            if gate.cancelled() or self.transport is None or self.transport.is_closing():
                return
            if not self.reading_paused and not self.draining:
                self.transport.resume_reading()
            self._serve_queued()

        gate.add_done_callback(unmute)

    async def _serve(self, frame: bytearray) -> None:
        """Handle one request and write its response (or close the connection)."""
        try:
            if self.authenticator is None:
                response = await self._handle(frame)
            else:
                response = await self._authenticate(frame)
            if response is False:
                self.close()
            elif response is not None:
                self._send(response)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("closing connection from %s after an internal error", self.peer)
            self.close()

    async def _handle(self, frame: bytearray) -> list[codec.Buffer] | bool | None:
        """The framed response, None when the request wants none, False to close."""
        try:
            request = codec.decode_request(frame)
        except codec.UnsupportedVersion as e:
            if e.header.api_key == ApiKey.API_VERSIONS:
                from broker.handlers.api_versions import unsupported_version_response

                return [unsupported_version_response(e.header)]
            log.warning("closing connection from %s: %s", self.peer, e)
            return False
        except codec.ProtocolError as e:
            log.warning("closing connection from %s: %s", self.peer, e)
            return False
        header = request.header
        handler = self.handlers[header.api_key]
        ctx = RequestContext(self.broker, header, self.host, self.principal, self.listener.name)
        self.broker.metrics.request(header.api_key, request.size)
        started = time.perf_counter()
        quotas = self.broker.client_quotas
        if quotas is None:
            response = await handler(ctx, request.body)
        else:  # a client quota is set: broker/quotas records usage, may throttle (KIP-219)
            response = await quotas.handle(self, ctx, handler, request)
        self.broker.metrics.handled(header.api_key, time.perf_counter() - started)
        if response is None:
            return None
        if response is CLOSE_CONNECTION:
            return False
        out = codec.response_buffers(header, response)
        self.broker.metrics.response(header.api_key, sum(len(buffer) for buffer in out))
        return out

    async def _authenticate(self, frame: bytearray) -> list[codec.Buffer] | bool | None:
        """A frame before SASL authentication completed; same results as _handle."""
        auth = self.authenticator
        assert auth is not None
        reply, keep_open = await auth.receive(frame)
        if auth.principal is not None:
            self.principal, self.authenticator = auth.principal, None
            self.decoder.max_frame = self.broker.config.get("socket.request.max.bytes")
            self.decoder.min_frame = MIN_FRAME
        if not keep_open:
            if reply:
                self._send([reply])  # closing flushes it
            return False
        return [reply] if reply is not None else None


def _open(gate: asyncio.Future) -> None:
    if not gate.done():
        gate.set_result(None)
