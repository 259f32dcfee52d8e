"""Ingest: read a folder of Markdown, text and HTML files into documents, and cut them into chunks.

Every chunk keeps where it came from: the document id (the file's path relative to the folder,
or the BEIR `_id`), the source, and the character span `[start, end)` in the document's text, so
`document.text[chunk.start:chunk.end] == chunk.text` always holds and a citation can point at
the exact passage. Chunk ids are built from the document id and the span
(`guide/install.md#120-845`): the same text with the same settings gives the same ids on every
run and every machine.

Two strategies (see `ChunkingConfig`):
- `headings`: one chunk per Markdown section (`#` to `######` outside code fences); a section
  longer than `chunk_tokens` words is split further into windows.
- `tokens`: windows of `chunk_tokens` whitespace-separated words, `overlap_tokens` shared
  between neighbours, ignoring the document structure.

HTML is turned into text first (headings become `#` lines, scripts and styles are dropped), and
spans then refer to that text. Unreadable, binary or non-UTF-8 files are skipped with a warning
and counted in the `IngestReport`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from .config import ChunkingConfig

__all__ = [
    "SUFFIXES",
    "Chunk",
    "Document",
    "IngestError",
    "IngestReport",
    "chunk_document",
    "chunk_documents",
    "html_to_text",
    "load_folder",
]

SUFFIXES = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".html": "html",
    ".htm": "html",
}
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_WORD_SPAN = re.compile(r"\S+")


class IngestError(ValueError):
    """A folder that cannot be ingested at all (missing, or with no usable file)."""


@dataclass(frozen=True)
class Document:
    """One source document: a file of the folder or one line of a BEIR `corpus.jsonl`."""

    doc_id: str
    title: str
    text: str
    source: str


@dataclass(frozen=True)
class Chunk:
    """A retrievable passage: `text == document.text[start:end]` of document `doc_id`."""

    chunk_id: str
    doc_id: str
    title: str
    heading: str
    text: str
    start: int
    end: int
    source: str

    def indexed_text(self) -> str:
        """What the retrievers see: title and section heading add context to short passages."""
        parts = [self.title] if self.title else []
        if self.heading and self.heading != self.title:
            parts.append(self.heading)
        parts.append(self.text)
        return "\n".join(parts)


@dataclass
class IngestReport:
    """What happened to each file: how many were loaded, and which were skipped and why."""

    loaded: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)

    @property
    def skipped_count(self) -> int:
        return len(self.skipped)


class _TextExtractor(HTMLParser):
    """Visible text of an HTML page, with headings kept as Markdown `#` lines."""

    _BLOCK_LIST = (
        "address article aside blockquote br dd div dl dt figcaption figure footer form header "
        "hr li main nav ol p pre section table td th tr ul"
    )
    _BLOCKS = frozenset(_BLOCK_LIST.split())

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title = ""
        self._skip = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "noscript", "template"):
            self._skip += 1
        elif tag == "title":
            self._in_title = True
        elif re.fullmatch(r"h[1-6]", tag):
            self.parts.append("\n\n" + "#" * int(tag[1]) + " ")
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "noscript", "template"):
            self._skip = max(0, self._skip - 1)
        elif tag == "title":
            self._in_title = False
        elif re.fullmatch(r"h[1-6]", tag):
            self.parts.append("\n\n")
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._in_title:
            self.title += data
            return
        self.parts.append(data)


def html_to_text(html: str) -> tuple[str, str]:
    """Return `(text, title)` of an HTML page; runs of blank lines are collapsed."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return text, " ".join(parser.title.split())


def _first_heading(text: str) -> str:
    for line in text.splitlines():
        match = _HEADING.match(line)
        if match:
            return match.group(2).strip()
    return ""


def _read_text(path: Path) -> str:
    """Decode a file as UTF-8; raise ValueError for binary content."""
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        raise ValueError("binary file (NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(f"not UTF-8 text ({error.reason} at byte {error.start})") from None


def load_folder(root: Path) -> tuple[list[Document], IngestReport]:
    """Read every Markdown, text and HTML file under `root` (recursively, sorted by path).

    Raises `IngestError` when `root` is not a folder or holds no usable file; files that cannot
    be read are skipped and listed in the report rather than stopping the whole ingest.
    """
    if not root.is_dir():
        raise IngestError(f"{root} is not a folder")
    report = IngestReport()
    documents: list[Document] = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        kind = SUFFIXES.get(path.suffix.lower())
        if kind is None:
            continue
        rel = path.relative_to(root).as_posix()
        try:
            raw = _read_text(path)
        except (OSError, ValueError) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
            report.skipped.append((rel, reason))
            continue
        if kind == "html":
            text, title = html_to_text(raw)
        else:
            text, title = raw, ""
        if not text.strip():
            report.skipped.append((rel, "empty file"))
            continue
        title = title or _first_heading(text) or path.stem.replace("-", " ").replace("_", " ")
        documents.append(Document(doc_id=rel, title=title, text=text, source=rel))
        report.loaded += 1
    if not documents:
        found = f" ({report.skipped_count} skipped)" if report.skipped else ""
        raise IngestError(f"no readable Markdown, text or HTML files in {root}{found}")
    return documents, report


def _sections(text: str) -> list[tuple[int, int, str]]:
    """Markdown sections as `(start, end, heading)`; a heading with no body joins the next one."""
    starts: list[tuple[int, str]] = [(0, "")]
    offset = 0
    in_fence = False
    for line in text.splitlines(keepends=True):
        if _FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence:
            match = _HEADING.match(line.rstrip("\r\n"))
            if match:
                starts.append((offset, match.group(2).strip()))
        offset += len(line)
    bounds = [pos for pos, _ in starts[1:]] + [len(text)]
    sections = [(pos, end, heading) for (pos, heading), end in zip(starts, bounds, strict=True)]
    merged: list[tuple[int, int, str]] = []
    pending: int | None = None
    for start, end, heading in sections:
        body = text[start:end]
        if heading:
            body = body.split("\n", 1)[1] if "\n" in body else ""
        if not body.strip() and start != end:
            pending = start if pending is None else pending
            continue
        if not text[start:end].strip():
            continue
        merged.append((pending if pending is not None else start, end, heading))
        pending = None
    if pending is not None:
        if merged:
            begin, _, heading = merged[-1]
            merged[-1] = (begin, len(text), heading)
        else:
            merged.append((pending, len(text), _first_heading(text[pending:])))
    return merged


def _windows(text: str, start: int, end: int, size: int, overlap: int) -> list[tuple[int, int]]:
    """Spans of windows of `size` words, `overlap` words shared, inside `text[start:end]`."""
    spans = [(start + m.start(), start + m.end()) for m in _WORD_SPAN.finditer(text[start:end])]
    if not spans:
        return []
    out: list[tuple[int, int]] = []
    step = size - overlap
    for first in range(0, len(spans), step):
        last = min(first + size, len(spans)) - 1
        out.append((spans[first][0], spans[last][1]))
        if last == len(spans) - 1:
            break
    return out


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    segment = text[start:end]
    left = len(segment) - len(segment.lstrip())
    right = len(segment) - len(segment.rstrip())
    return start + left, end - right


def chunk_document(doc: Document, config: ChunkingConfig) -> list[Chunk]:
    """Cut one document into chunks with `config`; see the module docstring."""
    config.validate()
    text = doc.text
    pieces: list[tuple[int, int, str]] = []
    if config.strategy == "headings":
        for start, end, heading in _sections(text):
            start, end = _trim(text, start, end)
            if len(_WORD_SPAN.findall(text[start:end])) <= config.chunk_tokens:
                pieces.append((start, end, heading))
            else:
                windows = _windows(text, start, end, config.chunk_tokens, config.overlap_tokens)
                pieces.extend((s, e, heading) for s, e in windows)
    elif config.strategy == "document":
        # The whole document as one passage: the baseline that chunking must beat.
        pieces = [(*_trim(text, 0, len(text)), "")]
    else:
        pieces = [
            (s, e, "")
            for s, e in _windows(text, 0, len(text), config.chunk_tokens, config.overlap_tokens)
        ]
    return [
        Chunk(
            chunk_id=f"{doc.doc_id}#{start}-{end}",
            doc_id=doc.doc_id,
            title=doc.title,
            heading=heading,
            text=text[start:end],
            start=start,
            end=end,
            source=doc.source,
        )
        for start, end, heading in pieces
        if end > start
    ]


def chunk_documents(docs: Iterable[Document], config: ChunkingConfig) -> list[Chunk]:
    """Chunks of all documents, in document order."""
    chunks: list[Chunk] = []
    for doc in docs:
        chunks.extend(chunk_document(doc, config))
    return chunks


def documents_stats(docs: Sequence[Document], chunks: Sequence[Chunk]) -> dict[str, float]:
    """Counts for the results file: documents, chunks, mean words per chunk."""
    words = [len(c.text.split()) for c in chunks]
    return {
        "documents": len(docs),
        "chunks": len(chunks),
        "words_per_chunk": round(sum(words) / len(words), 1) if words else 0.0,
    }
