"""An in-repo fake Meilisearch for contract tests (docs/stack.md §1.3).

The subset of the HTTP API the adapter uses, with just enough state (indexes, documents,
settings, tasks) to answer like the server; every request and response is validated with
openapi-core against Meilisearch's own OpenAPI document + our overlay (tests/contracts/). A
request that breaks the contract is recorded and answered 400, so the test that caused it
fails. Served by uvicorn on a loopback port in a thread: the SDK builds its own HTTP client
and offers no transport to inject.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from openapi_core.testing import MockRequest, MockResponse
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.contracts.meili_openapi import openapi

HOST = "http://localhost:7700"  # the spec's server; validation matches paths below it


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str]
    status: int = 0
    response: Any = None


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def error(status: int, code: str, message: str, kind: str = "invalid_request") -> JSONResponse:
    return JSONResponse(
        {
            "message": message,
            "code": code,
            "type": kind,
            "link": f"https://docs.meilisearch.com/errors#{code}",
        },
        status_code=status,
    )


@dataclass
class FakeMeili:
    indexes: dict[str, dict[str, Any]] = field(default_factory=dict)
    tasks: dict[int, dict[str, Any]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    #: (method, path regex) -> response to give once, before any handling
    fail_next: dict[tuple[str, str], JSONResponse] = field(default_factory=dict)
    #: task types that end "failed"
    fail_task_types: set[str] = field(default_factory=set)
    #: canned search responses, used first-in first-out
    search_responses: list[dict[str, Any]] = field(default_factory=list)

    def reset(self) -> None:
        self.indexes.clear()
        self.tasks.clear()
        self.calls.clear()
        self.violations.clear()
        self.fail_next.clear()
        self.fail_task_types.clear()
        self.search_responses.clear()

    def requests(self, method: str | None = None, pattern: str = "") -> list[Call]:
        return [
            c
            for c in self.calls
            if (method is None or c.method == method) and re.fullmatch(pattern or ".*", c.path)
        ]

    # ---- state ----------------------------------------------------------------------------

    def _task(
        self, index_uid: str | None, kind: str, details: dict[str, Any] | None = None
    ) -> JSONResponse:
        uid = len(self.tasks)
        failed = kind in self.fail_task_types
        now = _now()
        self.tasks[uid] = {
            "uid": uid,
            "batchUid": uid,
            "indexUid": index_uid,
            "status": "failed" if failed else "succeeded",
            "type": kind,
            "canceledBy": None,
            "details": details or {},
            "duration": "PT0.001S",
            "error": {
                "message": "fake failure",
                "code": "internal",
                "type": "internal",
                "link": "https://docs.meilisearch.com/errors#internal",
            }
            if failed
            else None,
            "enqueuedAt": now,
            "startedAt": now,
            "finishedAt": now,
        }
        return JSONResponse(
            {
                "taskUid": uid,
                "indexUid": index_uid,
                "status": "enqueued",
                "type": kind,
                "enqueuedAt": now,
            },
            status_code=202,
        )

    def _new_index(self, uid: str, primary_key: str | None) -> None:
        now = _now()
        self.indexes[uid] = {
            "uid": uid,
            "primaryKey": primary_key,
            "createdAt": now,
            "updatedAt": now,
            "settings": {},
            "docs": {},
        }

    # ---- routes ---------------------------------------------------------------------------

    async def health(self, request: Request) -> Response:
        return JSONResponse({"status": "available"})

    async def version(self, request: Request) -> Response:
        return JSONResponse(
            {"commitSha": "fake", "commitDate": "2026-08-10", "pkgVersion": "1.53.0"}
        )

    async def create_index(self, request: Request) -> Response:
        body = await request.json()
        if body["uid"] not in self.indexes:
            self._new_index(body["uid"], body.get("primaryKey"))
        return self._task(body["uid"], "indexCreation", {"primaryKey": body.get("primaryKey")})

    def _index(self, request: Request) -> dict[str, Any] | None:
        return self.indexes.get(request.path_params["uid"])

    async def get_index(self, request: Request) -> Response:
        index = self._index(request)
        if index is None:
            uid = request.path_params["uid"]
            return error(404, "index_not_found", f"Index `{uid}` not found.")
        return JSONResponse({k: index[k] for k in ("uid", "primaryKey", "createdAt", "updatedAt")})

    async def delete_index(self, request: Request) -> Response:
        uid = request.path_params["uid"]
        if self.indexes.pop(uid, None) is None:
            return error(404, "index_not_found", f"Index `{uid}` not found.")
        return self._task(uid, "indexDeletion")

    async def settings(self, request: Request) -> Response:
        index = self._index(request)
        if index is None:
            return error(404, "index_not_found", "Index not found.")
        if request.method == "GET":
            return JSONResponse(index["settings"])
        index["settings"].update(await request.json())
        return self._task(index["uid"], "settingsUpdate")

    async def add_documents(self, request: Request) -> Response:
        uid = request.path_params["uid"]
        if uid not in self.indexes:
            self._new_index(uid, request.query_params.get("primaryKey"))
        index = self.indexes[uid]
        key = index["primaryKey"] or request.query_params.get("primaryKey") or "id"
        docs = await request.json()
        for doc in docs:
            index["docs"][str(doc[key])] = doc
        return self._task(uid, "documentAdditionOrUpdate", {"receivedDocuments": len(docs)})

    async def delete_documents(self, request: Request) -> Response:
        index = self._index(request)
        if index is None:
            return error(404, "index_not_found", "Index not found.")
        ids = await request.json()
        for i in ids:
            index["docs"].pop(str(i), None)
        return self._task(index["uid"], "documentDeletion", {"providedIds": len(ids)})

    async def stats(self, request: Request) -> Response:
        index = self._index(request)
        if index is None:
            return error(404, "index_not_found", "Index not found.")
        return JSONResponse(
            {
                "numberOfDocuments": len(index["docs"]),
                "indexSize": 0,
                "usedIndexSize": 0,
                "rawDocumentDbSize": 0,
                "avgDocumentSize": 0,
                "isIndexing": False,
                "fieldDistribution": {},
            }
        )

    async def search(self, request: Request) -> Response:
        index = self._index(request)
        if index is None:
            return error(404, "index_not_found", "Index not found.")
        body = await request.json()
        if self.search_responses:
            canned = self.search_responses.pop(0)
            return JSONResponse({"query": body.get("q") or "", "processingTimeMs": 1, **canned})
        # Generic answer: every document (no q/filter semantics: this is a contract fake).
        docs = list(index["docs"].values())
        per_page, page = body.get("hitsPerPage") or 20, body.get("page") or 1
        facets = {
            f: {str(k): sum(1 for d in docs if d.get(f) == k) for k in {d.get(f) for d in docs}}
            for f in body.get("facets") or []
        }
        return JSONResponse(
            {
                "hits": docs[(page - 1) * per_page : page * per_page],
                "query": body.get("q") or "",
                "processingTimeMs": 1,
                "hitsPerPage": per_page,
                "page": page,
                "totalPages": -(-len(docs) // per_page),
                "totalHits": len(docs),
                "facetDistribution": facets,
            }
        )

    async def get_task(self, request: Request) -> Response:
        task = self.tasks.get(int(request.path_params["task_id"]))
        if task is None:
            return error(404, "task_not_found", "Task not found.")
        return JSONResponse(task)

    async def swap(self, request: Request) -> Response:
        for pair in await request.json():
            a, b = pair["indexes"]
            if a not in self.indexes or b not in self.indexes:
                return error(400, "index_not_found", "Index not found.")
            self.indexes[a], self.indexes[b] = self.indexes[b], self.indexes[a]
            self.indexes[a]["uid"], self.indexes[b]["uid"] = a, b
        return self._task(None, "indexSwap")

    def routes(self) -> list[Route]:
        return [
            Route("/health", self.health),
            Route("/version", self.version),
            Route("/indexes", self.create_index, methods=["POST"]),
            Route("/indexes/{uid}", self.get_index, methods=["GET"]),
            Route("/indexes/{uid}", self.delete_index, methods=["DELETE"]),
            Route("/indexes/{uid}/settings", self.settings, methods=["GET", "PATCH"]),
            Route("/indexes/{uid}/documents", self.add_documents, methods=["POST"]),
            Route("/indexes/{uid}/documents/delete-batch", self.delete_documents, methods=["POST"]),
            Route("/indexes/{uid}/stats", self.stats, methods=["GET"]),
            Route("/indexes/{uid}/search", self.search, methods=["POST"]),
            Route("/tasks/{task_id:int}", self.get_task, methods=["GET"]),
            Route("/swap-indexes", self.swap, methods=["POST"]),
        ]

    # ---- contract check -------------------------------------------------------------------

    def app(self) -> Any:
        inner = Starlette(routes=self.routes())
        spec = openapi()

        async def validating(scope: dict, receive: Any, send: Any) -> None:
            if scope["type"] != "http":
                return await inner(scope, receive, send)
            chunks = []
            while True:
                message = await receive()
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    break
            raw = b"".join(chunks)
            headers = {k.decode(): v.decode() for k, v in scope["headers"]}
            query = dict(parse_qsl(scope["query_string"].decode()))
            call = Call(
                scope["method"], scope["path"], query, json.loads(raw) if raw else None, headers
            )
            self.calls.append(call)
            request = MockRequest(
                HOST,
                scope["method"],
                scope["path"],
                args=query,
                headers=headers,
                data=raw or None,
                content_type=headers.get("content-type", "application/json").split(";")[0],
            )
            try:
                spec.validate_request(request)
            except Exception as exc:  # any contract failure, recorded in words
                self.violations.append(f"request {scope['method']} {scope['path']}: {exc}")
                response: Response = error(400, "bad_request", "contract violation (fake)")
            else:
                key = next(
                    (
                        k
                        for k in self.fail_next
                        if k[0] == scope["method"] and re.fullmatch(k[1], scope["path"])
                    ),
                    None,
                )
                if key is not None:
                    response = self.fail_next.pop(key)
                else:
                    response = await self._dispatch(inner, scope, raw)
                try:
                    spec.validate_response(
                        request,
                        MockResponse(
                            response.body,
                            response.status_code,
                            content_type=response.media_type or "application/json",
                        ),
                    )
                except Exception as exc:
                    self.violations.append(f"response {scope['method']} {scope['path']}: {exc}")
            call.status = response.status_code
            call.response = json.loads(response.body) if response.body else None
            await response(scope, receive, send)

        return validating

    @staticmethod
    async def _dispatch(inner: Starlette, scope: dict, raw: bytes) -> Response:
        sent: list[dict] = []
        delivered = False

        async def receive() -> dict:
            nonlocal delivered
            if delivered:
                return {"type": "http.disconnect"}
            delivered = True
            return {"type": "http.request", "body": raw, "more_body": False}

        async def send(message: dict) -> None:
            sent.append(message)

        await inner(scope, receive, send)
        start = next(m for m in sent if m["type"] == "http.response.start")
        body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        headers = {k.decode(): v.decode() for k, v in start["headers"]}
        return Response(body, status_code=start["status"], media_type=headers.get("content-type"))


class FakeServer:
    """Runs a FakeMeili under uvicorn on 127.0.0.1 (random free port) in a thread."""

    def __init__(self, fake: FakeMeili) -> None:
        self.fake = fake
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        config = uvicorn.Config(fake.app(), log_level="error", lifespan="off", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> FakeServer:
        self.thread.start()
        for _ in range(200):  # at most 10 s
            if self.server.started:
                return self
            time.sleep(0.05)
        raise RuntimeError("fake Meilisearch did not start")

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()
