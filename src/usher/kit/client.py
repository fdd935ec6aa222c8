"""Who is calling from where: carried from the door into services for audit and rate limits."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ClientInfo:
    ip: str | None = None
    user_agent: str | None = None


CLI_CLIENT = ClientInfo(ip=None, user_agent="usher-cli")
