"""Hosted pages: ``/sign-up``, ``/sign-in`` and ``/account`` (filled in below)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["identity pages"])
