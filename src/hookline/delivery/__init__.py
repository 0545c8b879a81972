"""The delivery engine: accept, claim, send, record, retry."""

from __future__ import annotations

from hookline.delivery.acceptor import Acceptor
from hookline.delivery.guard import TargetGuard, UnsafeTargetError
from hookline.delivery.schedule import RetrySchedule
from hookline.delivery.sender import Sender
from hookline.delivery.wakeup import Wakeup
from hookline.delivery.worker import Worker

__all__ = ["Acceptor", "RetrySchedule", "Sender", "TargetGuard", "UnsafeTargetError", "Wakeup", "Worker"]
