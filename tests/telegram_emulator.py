"""Drive the local Telegram Bot API emulator (tests/bots/telegram/emulator) as a user would.

The bot under test talks to ``url`` exactly as to api.telegram.org (aiogram:
``TelegramAPIServer.from_base(url)``); the test plays the user through the emulator's client
routes and reads what the bot sent.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

EMULATOR_DIR = Path(__file__).resolve().parent / "bots" / "telegram" / "emulator"


@dataclass(frozen=True, slots=True)
class User:
    id: int = 1001
    first_name: str = "Ana"
    username: str = "ana_trader"
    language_code: str = "en"

    def as_from(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "is_bot": False,
            "first_name": self.first_name,
            "username": self.username,
            "language_code": self.language_code,
        }

    def as_chat(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": "private",
            "first_name": self.first_name,
            "username": self.username,
        }


class TelegramEmulator:
    """A client of one emulator process; ``aclose`` stops the process only if ``owns_process``
    (a test run shares one process and calls ``reset`` before each test)."""

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        port: int,
        token: str,
        *,
        owns_process: bool = True,
    ) -> None:
        self._process = process
        self._owns_process = owns_process
        self.port = port
        self.token = token
        self.url = f"http://127.0.0.1:{port}"
        self._http = httpx.AsyncClient(base_url=self.url, timeout=10)

    def shared(self) -> TelegramEmulator:
        """Another client of this process, which leaves the process running on ``aclose``."""
        return TelegramEmulator(self._process, self.port, self.token, owns_process=False)

    @property
    def running(self) -> bool:
        return self._process.poll() is None

    async def reset(self) -> None:
        """Forget every message, file, recorded call and failure rule; ids start again at 1."""
        await self._post("/reset", {})

    # ---- the user's side ------------------------------------------------------------------

    def _meta(self, user: User) -> dict[str, Any]:
        return {
            "botToken": self.token,
            "date": int(time.time()),
            "from": user.as_from(),
            "chat": user.as_chat(),
        }

    async def send_text(self, text: str, user: User = User()) -> None:
        """A user types ``text``; commands carry a bot_command entity, as real clients send."""
        body: dict[str, Any] = {**self._meta(user), "text": text}
        route = "/sendMessage"
        if text.startswith("/"):
            body["entities"] = [
                {"offset": 0, "length": len(text.split()[0]), "type": "bot_command"}
            ]
            route = "/sendCommand"
        await self._post(route, body)

    async def send_document(
        self, content: bytes, file_name: str, mime: str, user: User = User(), caption: str = ""
    ) -> None:
        """A user uploads a document (e.g. a CSV wallet list)."""
        answer = await self._http.post("/uploadFile", files={"file": (file_name, content, mime)})
        answer.raise_for_status()
        document = answer.json()["result"]
        body = {**self._meta(user), "document": document, "caption": caption}
        await self._post("/sendMessage", body)

    async def press(self, data: str, message: dict[str, Any], user: User = User()) -> None:
        """A user presses an inline button carrying ``data`` under a bot ``message``."""
        body = {
            "botToken": self.token,
            "from": user.as_from(),
            "message": message,
            "data": data,
        }
        await self._post("/sendCallback", body)

    # ---- what the bot did -----------------------------------------------------------------

    async def requests(self, method: str | None = None) -> list[dict[str, Any]]:
        """Every Bot API call the bot made, in the order answered (optionally of one method);
        each has ``method``, ``params`` and ``at_ms`` (when it arrived, emulator clock)."""
        calls: list[dict[str, Any]] = (await self._post("/requests", {}))["result"]
        return [c for c in calls if method is None or c["method"] == method]

    async def bot_messages(
        self, user: User = User(), *, count: int = 1, timeout_s: float = 10.0
    ) -> list[dict[str, Any]]:
        """The next ``count`` messages the bot sent to this user (waits for them)."""
        got: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout_s
        while len(got) < count:
            answer = await self._post("/getUpdates", {"token": self.token, "chatId": user.id})
            got.extend(_as_message(update) for update in answer["result"])
            if len(got) >= count:
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"bot sent {len(got)} of {count} messages: {got}")
            await asyncio.sleep(0.05)
        return got

    async def fail_next(
        self,
        method: str,
        *,
        times: int = 1,
        retry_after_s: int = 1,
        error_code: int = 429,
        description: str | None = None,
    ) -> None:
        """The next ``times`` calls of ``method`` answer 429 Too Many Requests (with
        ``retry_after_s``), or ``error_code`` / ``description`` (e.g. 502 "Bad Gateway")."""
        body: dict[str, Any] = {
            "method": method,
            "times": times,
            "retry_after": retry_after_s,
            "error_code": error_code,
        }
        if description is not None:
            body["description"] = description
        await self._post("/failNext", body)

    async def fail_chat(
        self,
        chat_id: int,
        *,
        times: int = 1,
        error_code: int = 403,
        description: str = "Forbidden: bot was blocked by the user",
        method: str | None = None,
    ) -> None:
        """The next ``times`` calls for ``chat_id`` (of any method, or of ``method``) answer
        ``error_code`` with ``description`` (a blocked user, a chat that does not exist…)."""
        body: dict[str, Any] = {
            "chat_id": chat_id,
            "times": times,
            "error_code": error_code,
            "description": description,
        }
        if method is not None:
            body["method"] = method
        await self._post("/failChat", body)

    async def _post(self, route: str, body: dict[str, Any]) -> Any:
        answer = await self._http.post(route, json=body)
        answer.raise_for_status()
        return answer.json()

    async def aclose(self) -> None:
        await self._http.aclose()
        if self._owns_process:
            self.stop_process()

    def stop_process(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()


def _as_message(update: dict[str, Any]) -> dict[str, Any]:
    """A stored bot message in the Bot API's Message shape (what a button press refers to)."""
    raw = update["message"]
    return {
        **raw,
        "message_id": update["messageId"],
        "date": update["time"] // 1000,
        "chat": {"id": int(raw["chat_id"]), "type": "private", "first_name": "User"},
        "from": {"id": 666, "is_bot": True, "first_name": "Solsignals Test"},
    }


def start_emulator(port: int, token: str) -> TelegramEmulator:
    if not (EMULATOR_DIR / "node_modules").is_dir():
        raise RuntimeError(
            f"emulator dependencies missing: run `npm ci --prefix {EMULATOR_DIR}` (make test does)"
        )
    process = subprocess.Popen(
        ["node", "server.js", str(port)],
        cwd=EMULATOR_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    line = process.stdout.readline().decode()
    if not line.startswith("READY"):
        process.kill()
        raise RuntimeError(f"emulator did not start: {line!r} {process.stderr.read()!r}")
    return TelegramEmulator(process, port, token)
