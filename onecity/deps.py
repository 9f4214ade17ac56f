"""Shared FastAPI dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from onecity.db import get_db
from onecity.i18n import negotiate

DbSession = Annotated[Session, Depends(get_db, scope="function")]


def language(request: Request) -> str:
    return negotiate(request)


Lang = Annotated[str, Depends(language)]
