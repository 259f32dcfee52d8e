"""Shared fixtures: a tiny BEIR dataset and a local OpenAI-compatible chat server on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest

DOCS = [
    (
        "d1",
        "Installing",
        "## Requirements\nYou need Redis and PostgreSQL.\n\n## Steps\nUnpack the "
        "tarball and run the installer script.",
    ),
    (
        "d2",
        "Retries",
        "A failing job is retried five times with exponential backoff. The delay "
        "doubles after every attempt.",
    ),
    (
        "d3",
        "API keys",
        "Create a key with the key create command. Rotate a key by creating a new "
        "one and revoking the old one.",
    ),
    (
        "d4",
        "Workers",
        "Workers pull jobs from queues and run them. Drain a worker before a "
        "deploy so that running jobs finish.",
    ),
    (
        "d5",
        "Error E42",
        "Error E42 means the broker cannot be reached. Check the broker URL and the firewall.",
    ),
    ("d6", "Dashboard", "The dashboard shows queues, jobs and workers on port 7420."),
]
QUERIES = {
    "q1": "how many times is a failing job retried",
    "q2": "rotate an API key",
    "q3": "what does error E42 mean",
    "q4": "drain a worker before deploying",
}
QRELS = {"q1": {"d2": 2}, "q2": {"d3": 2}, "q3": {"d5": 2, "d1": 1}, "q4": {"d4": 2}}
ANSWERS = {"q1": "five times", "q2": "create a new key and revoke the old one"}


def write_beir(root: Path) -> Path:
    """Write the tiny dataset above in BEIR format under `root`."""
    (root / "qrels").mkdir(parents=True)
    with (root / "corpus.jsonl").open("w") as handle:
        for doc_id, title, text in DOCS:
            handle.write(json.dumps({"_id": doc_id, "title": title, "text": text}) + "\n")
    with (root / "queries.jsonl").open("w") as handle:
        for qid, text in QUERIES.items():
            handle.write(json.dumps({"_id": qid, "text": text}) + "\n")
    with (root / "answers.jsonl").open("w") as handle:
        for qid, text in ANSWERS.items():
            handle.write(json.dumps({"_id": qid, "answer": text}) + "\n")
    lines = ["query-id\tcorpus-id\tscore"]
    lines += [f"{q}\t{d}\t{g}" for q, docs in QRELS.items() for d, g in docs.items()]
    (root / "qrels" / "test.tsv").write_text("\n".join(lines) + "\n")
    return root


class FakeEncoder:
    """Stands in for a SentenceTransformer: bag-of-words vectors, and a count of texts encoded."""

    def __init__(self) -> None:
        self.encoded = 0

    def encode(self, texts: list[str], **_: object) -> np.ndarray:
        self.encoded += len(texts)
        out = np.zeros((len(texts), 64), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                out[row, sum(map(ord, word)) % 64] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)


@pytest.fixture
def beir_dir(tmp_path: Path) -> Path:
    return write_beir(tmp_path / "tiny")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "st: needs the st extra (sentence-transformers)")


class ChatServer:
    """A real HTTP server on 127.0.0.1 that speaks the chat-completions API.

    `reply` turns the request body into the assistant's text; `status` forces an error code.
    Every request body and Authorization header is recorded.
    """

    def __init__(self, reply: Callable[[dict[str, Any]], str]) -> None:
        self.reply = reply
        self.status = 200
        self.raw_body: bytes | None = None
        self.requests: list[dict[str, Any]] = []
        self.auth: list[str | None] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length))
                server.requests.append(body)
                server.auth.append(self.headers.get("Authorization"))
                if self.path != "/v1/chat/completions":
                    payload, status = b'{"error": "not found"}', 404
                elif server.status != 200:
                    payload, status = b'{"error": "boom"}', server.status
                elif server.raw_body is not None:
                    payload, status = server.raw_body, 200
                else:
                    message = {"role": "assistant", "content": server.reply(body)}
                    doc = {
                        "id": "x",
                        "object": "chat.completion",
                        "model": body["model"],
                        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                    }
                    payload, status = json.dumps(doc).encode(), 200
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def chat_server() -> Iterator[ChatServer]:
    server = ChatServer(lambda body: "Rotate by creating a new key and revoking the old one [1].")
    yield server
    server.close()


@pytest.fixture
def closed_port_url() -> str:
    """A loopback URL on which nothing listens (the port was bound, then released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"
