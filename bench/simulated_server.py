"""A simulated OpenAI-compatible chat completions server on 127.0.0.1, for bench/batch_throughput.py.

Standard library only (asyncio streams, HTTP/1.1 with keep-alive), so it needs no model and
no network and takes little CPU from the client it measures:

- ``POST /v1/chat/completions`` waits ``--latency`` seconds, then answers a ``chat.completion``
  whose content is a valid note for the JSON schema in the request: the body text given and one
  claim citing the first id of the schema's ``fact_ids`` enumeration (``json_schema`` or
  llama.cpp-style ``{"type": "json_object", "schema": ...}``). Usage is estimated (4 characters
  a token).
- ``--burst-every S --burst-seconds B --retry-after R``: for B seconds out of every S, every
  request is answered at once with HTTP 429 and ``Retry-After: R`` (R >= B, so a client that
  honours it lands after the burst).
- ``GET /stats`` returns what was served: requests, 200s, 429s, most requests in flight.

It listens on an ephemeral port, prints ``listening on http://127.0.0.1:PORT`` and stops by
itself after ``--max-seconds`` (or on SIGTERM / SIGINT).

    .venv/bin/python bench/simulated_server.py --latency 0.2 --burst-every 2 --burst-seconds 0.5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import time
from typing import Any

#: passes personalnote's checks for the synthetic flyer of bench/_synthetic.py (a 2,000,000-mile milestone)
DEFAULT_BODY = ("Passing 2 million miles with SkyMiles is a real milestone, and we are proud you reached it "
                "on board with us. Thank you for flying with us all these years.")
MAX_HEADER_LINES = 100


class Simulator:
    """The server's settings and what it has served."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.latency: float = args.latency
        self.burst_every: float = args.burst_every
        self.burst_seconds: float = args.burst_seconds
        self.retry_after: int = args.retry_after
        self.body_text: str = args.body
        self.started = time.monotonic()
        self.open: set[asyncio.StreamWriter] = set()
        self.stats = {"requests": 0, "ok": 0, "rate_limited": 0, "bad_requests": 0, "in_flight": 0,
                      "max_in_flight": 0, "connections": 0}

    def in_burst(self) -> bool:
        if self.burst_every <= 0:
            return False
        return (time.monotonic() - self.started) % self.burst_every < self.burst_seconds

    def completion(self, request: dict[str, Any]) -> dict[str, Any]:
        fmt = request.get("response_format") or {}
        strict = fmt.get("type") == "json_schema"
        schema: dict[str, Any] = fmt["json_schema"]["schema"] if strict else fmt["schema"]
        ids = schema["properties"]["claims"]["items"]["properties"]["fact_ids"]["items"]["enum"]
        claim = {"text": "the milestone", "fact_ids": [ids[0]]}
        content = json.dumps({"body": self.body_text, "claims": [claim]})
        self.stats["ok"] += 1
        prompt_chars = sum(len(m.get("content") or "") for m in request.get("messages", []))
        return {
            "id": f"chatcmpl-sim{self.stats['ok']}", "object": "chat.completion", "created": int(time.time()),
            "model": request.get("model", "simulated"),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content, "refusal": None},
                         "logprobs": None, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": prompt_chars // 4, "completion_tokens": len(content) // 4,
                      "total_tokens": prompt_chars // 4 + len(content) // 4},
        }

    async def answer(self, method: str, path: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        if method == "GET" and path == "/stats":
            return 200, {}, json.dumps(self.stats).encode()
        if method != "POST" or not path.endswith("/chat/completions"):
            return 404, {}, b'{"error": {"message": "not found", "type": "invalid_request_error"}}'
        self.stats["requests"] += 1
        if self.in_burst():
            self.stats["rate_limited"] += 1
            return 429, {"retry-after": str(self.retry_after)}, json.dumps({"error": {
                "message": "Rate limit reached (simulated burst)", "type": "requests",
                "code": "rate_limit_exceeded"}}).encode()
        self.stats["in_flight"] += 1
        self.stats["max_in_flight"] = max(self.stats["max_in_flight"], self.stats["in_flight"])
        try:
            await asyncio.sleep(self.latency)
            try:
                return 200, {}, json.dumps(self.completion(json.loads(body))).encode()
            except (ValueError, KeyError, TypeError, IndexError) as exc:
                self.stats["bad_requests"] += 1
                return 400, {}, json.dumps({"error": {"message": f"simulator: {exc!r}",
                                                      "type": "invalid_request_error"}}).encode()
        finally:
            self.stats["in_flight"] -= 1

    async def connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One keep-alive connection: requests answered in turn until the client closes it."""
        self.stats["connections"] += 1
        self.open.add(writer)
        try:
            while True:
                request_line = await reader.readline()
                if not request_line:
                    return
                method, path, _ = request_line.decode("latin-1").split(" ", 2)
                headers: dict[str, str] = {}
                for _ in range(MAX_HEADER_LINES):
                    line = (await reader.readline()).decode("latin-1").strip()
                    if not line:
                        break
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                status, extra, payload = await self.answer(method, path, body)
                reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 429: "Too Many Requests"}[status]
                head = [f"HTTP/1.1 {status} {reason}", "content-type: application/json",
                        f"content-length: {len(payload)}", "connection: keep-alive",
                        *(f"{k}: {v}" for k, v in extra.items())]
                writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + payload)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            return
        finally:
            self.open.discard(writer)
            writer.close()

    async def close_connections(self) -> None:
        """Close every kept-alive connection, so each handler ends on its own (no cancellation)."""
        for writer in list(self.open):
            writer.close()
        for _ in range(100):
            if not self.open:
                return
            await asyncio.sleep(0.01)


async def serve(args: argparse.Namespace) -> None:
    simulator = Simulator(args)
    server = await asyncio.start_server(simulator.connection, "127.0.0.1", args.port, backlog=1024)
    port = server.sockets[0].getsockname()[1]
    print(f"listening on http://127.0.0.1:{port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        try:
            await asyncio.wait_for(stop.wait(), timeout=args.max_seconds)
        except TimeoutError:
            print(f"stopping after {args.max_seconds} s", flush=True)
        server.close()
        await simulator.close_connections()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0, help="0: an ephemeral port (printed)")
    parser.add_argument("--latency", type=float, default=0.2, help="seconds before each answer")
    parser.add_argument("--burst-every", type=float, default=0.0, help="seconds between 429 bursts (0: none)")
    parser.add_argument("--burst-seconds", type=float, default=0.5, help="how long each burst lasts")
    parser.add_argument("--retry-after", type=int, default=1, help="Retry-After (seconds) on a 429")
    parser.add_argument("--body", default=DEFAULT_BODY, help="the note body every answer carries")
    parser.add_argument("--max-seconds", type=float, default=600.0, help="stop by itself after this long")
    args = parser.parse_args()
    if args.burst_every > 0 and args.retry_after < args.burst_seconds:
        parser.error("--retry-after must be at least --burst-seconds, or retries land inside the burst")
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
