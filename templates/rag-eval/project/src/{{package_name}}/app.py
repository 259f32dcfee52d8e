"""HTTP API over one index: `GET /search`, `POST /ask`, `GET /health`.

    python -m rag_eval serve --index indexes/hybrid     # or with no flag: the demo corpus
    curl 'http://127.0.0.1:8000/search?q=rotate+api+key&k=3'
    curl -X POST http://127.0.0.1:8000/ask -H 'content-type: application/json' \
         -d '{"question": "How do I rotate an API key?", "k": 3}'

An empty (or blank) query and a `k` outside 1..50 are rejected with 422; a configured LLM
endpoint that fails gives 502 with the reason.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import FastAPI, HTTPException, Query
from pydantic import BaseModel, Field, field_validator

from .answer import ChatClient, LLMError, answer_question
from .retrievers import Index

__all__ = ["MAX_K", "create_app"]

MAX_K = 50


class ChunkOut(BaseModel):
    rank: int
    score: float
    chunk_id: str
    doc_id: str
    source: str
    start: int
    end: int
    title: str
    text: str


class SearchOut(BaseModel):
    query: str
    retriever: str
    hits: list[ChunkOut]


class AskIn(BaseModel):
    question: str = Field(min_length=1, max_length=2000)
    k: int = Field(default=3, ge=1, le=MAX_K)

    @field_validator("question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("question must not be blank")
        return value


class CitationOut(BaseModel):
    number: int
    chunk_id: str
    doc_id: str
    source: str
    start: int
    end: int


class AskOut(BaseModel):
    question: str
    answer: str
    mode: str
    citations: list[CitationOut]


def create_app(index: Index, client: ChatClient | None = None) -> FastAPI:
    """The API serving `index`; answers use `client` when given, else the extractive answerer."""
    app = FastAPI(title="RAG search and answers", version="0.1.0")

    @app.get("/health")
    def health() -> dict[str, object]:
        return {
            "status": "ok",
            "retriever": index.retriever.name,
            "chunks": len(index.chunks),
            "answerer": "llm" if client is not None else "extractive",
        }

    @app.get("/search", response_model=SearchOut)
    def search(
        q: Annotated[str, Query(min_length=1, max_length=2000)],
        k: Annotated[int, Query(ge=1, le=MAX_K)] = 5,
    ) -> SearchOut:
        if not q.strip():
            raise HTTPException(status_code=422, detail="query must not be blank")
        hits = index.search(q, k)
        return SearchOut(
            query=q,
            retriever=index.retriever.name,
            hits=[
                ChunkOut(
                    rank=h.rank,
                    score=h.score,
                    chunk_id=h.chunk.chunk_id,
                    doc_id=h.chunk.doc_id,
                    source=h.chunk.source,
                    start=h.chunk.start,
                    end=h.chunk.end,
                    title=h.chunk.title,
                    text=h.chunk.text,
                )
                for h in hits
            ],
        )

    @app.post("/ask", response_model=AskOut)
    def ask(body: AskIn) -> AskOut:
        hits = index.search(body.question, body.k)
        try:
            answer = answer_question(body.question, hits, client)
        except LLMError as error:
            raise HTTPException(status_code=502, detail=str(error)) from None
        return AskOut(
            question=body.question,
            answer=answer.text,
            mode=answer.mode,
            citations=[CitationOut(**vars(c)) for c in answer.citations],
        )

    return app
