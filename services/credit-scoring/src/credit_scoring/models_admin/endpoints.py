"""Model endpoints (thin: call the service, shape)."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter

from arflow.pagination import Page
from arflow.service import SessionDep
from credit_scoring.deps import Reader
from credit_scoring.models_admin import service
from credit_scoring.models_admin.schemas import ModelOut

router = APIRouter()


@router.get("/models", response_model=Page[ModelOut], tags=["models"], summary="The active models and their versions")
async def list_models(session: SessionDep, _: Reader) -> Page[ModelOut]:
    # One active model per kind: the whole list is one page (the envelope every list shares).
    models = [ModelOut.model_validate(asdict(m)) for m in await service.model_info(session)]
    return Page[ModelOut](data=models, has_more=False, next_cursor=None)
