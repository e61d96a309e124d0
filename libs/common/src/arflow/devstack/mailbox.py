"""A development mail sink: dunning's email lands in var/mail instead of nowhere.

`make run` starts it on 127.0.0.1:1025 unless ARFLOW_SMTP_HOST names a real
server. Each message is saved as an .eml file (open it in any mail program)
and announced on the console.
"""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class _SaveToFolder:
    def __init__(self, folder: Path, announce: Any) -> None:
        self.folder = folder
        self.announce = announce

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        path = self.folder / f"{stamp}.eml"
        path.write_bytes(envelope.content)
        self.announce(f"mail to {', '.join(envelope.rcpt_tos)}: {message['Subject']} ({path})")
        return "250 Message accepted for delivery"


def start_mailbox(folder: Path, port: int, announce: Any) -> Controller:
    folder.mkdir(parents=True, exist_ok=True)
    controller = Controller(_SaveToFolder(folder, announce), hostname="127.0.0.1", port=port)
    controller.start()
    return controller
