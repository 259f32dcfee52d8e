"""A local OpenAI-compatible stub server, for the tests and the benchmark (no network, no model).

`POST /chat/completions` answers with the last word of the user message, upper-cased, except to
a pairwise judge prompt ("Answer A:"), where it plays a position-biased judge that always
prefers answer A. A prompt containing "SLOW" sleeps `slow_s` first; "MALFORMED" gets a reply
without `choices`; the first `fail_first` requests get HTTP 500. Every request is counted.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class StubState:
    requests: int = 0
    fail_first: int = 0
    slow_s: float = 2.0
    delay_s: float = 0.0
    bodies: list[dict[str, object]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextmanager
def stub_server(state: StubState) -> Iterator[str]:
    """Serve the stub on a free loopback port; yield its base URL."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a real endpoint behind httpx's pool
        disable_nagle_algorithm = True  # else delayed ACKs add 40 ms to every reply

        def log_message(self, *args: object) -> None:  # keep test output clean
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            with state.lock:
                state.requests += 1
                number = state.requests
                state.bodies.append(body)
            prompt = body["messages"][-1]["content"]
            if state.delay_s:
                time.sleep(state.delay_s)
            if number <= state.fail_first:
                self._send(500, {"error": "try again"})
            elif "SLOW" in prompt:
                time.sleep(state.slow_s)
                self._send(200, {"choices": [{"message": {"content": "late"}}]})
            elif "Answer A:" in prompt:
                verdict = json.dumps({"winner": "A", "reason": "the first answer"})
                self._send(200, {"choices": [{"message": {"content": verdict}}]})
            elif "MALFORMED" in prompt:
                self._send(200, {"unexpected": True})
            else:
                answer = prompt.split()[-1].upper()
                self._send(
                    200, {"choices": [{"message": {"role": "assistant", "content": answer}}]}
                )

        def _send(self, status: int, doc: dict[str, object]) -> None:
            data = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
