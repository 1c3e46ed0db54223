"""`GET /asyncapi.json`: the AsyncAPI 3 document of every event AI Studio publishes (the
generation service owns the generation events and serves the catalogue for all; docs/events.md)."""

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from studio_contracts.asyncapi import document

router = APIRouter(tags=["events"])

_DOCUMENT = document()


@router.get("/asyncapi.json", include_in_schema=False)
async def asyncapi_document() -> JSONResponse:
    return JSONResponse(_DOCUMENT)
