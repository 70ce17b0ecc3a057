"""Development backends: nothing leaves the machine."""

from __future__ import annotations

import dataclasses
import json
import sys
import uuid
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from . import ParentMessage, Sent, normalise_mobile

# What the locmem backend "sent", like django.core.mail.outbox; tests clear it.
outbox: list[ParentMessage] = []


def _check(message: ParentMessage) -> None:
    # The development backends refuse what the providers would refuse, so a bad
    # number shows on `make run` as it would in production.
    if message.channel == "sms":
        normalise_mobile(message.to)


class LocmemBackend:
    def send(self, message: ParentMessage) -> Sent:
        _check(message)
        outbox.append(message)
        return Sent(provider_id=f"locmem-{len(outbox)}", answer={})


class FileBackend:
    """One JSON file per message under PARENT_MESSAGES_DIR (.data/messages/)."""

    def send(self, message: ParentMessage) -> Sent:
        _check(message)
        folder = Path(str(settings.PARENT_MESSAGES_DIR))  # env.path gives an environ.Path
        folder.mkdir(parents=True, exist_ok=True)
        provider_id = uuid.uuid4().hex
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        path = folder / f"{stamp}-{message.channel}-{provider_id[:8]}.json"
        data = dataclasses.asdict(message) | {"provider_id": provider_id}
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
        return Sent(provider_id=provider_id, answer={"file": path.name})


class ConsoleBackend:
    def send(self, message: ParentMessage) -> Sent:
        _check(message)
        sys.stdout.write(f"[{message.channel} to {message.to}] {message.text}\n")
        sys.stdout.flush()
        return Sent(provider_id=uuid.uuid4().hex, answer={})
