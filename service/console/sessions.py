"""Who is signed in to the console: a session kept in this process, named by a signed cookie.

The cookie carries only a random session id, signed (itsdangerous) so a forged or altered one is
refused without a lookup; the token stays on the server. Each session has its own CSRF token, which
every form posts back. Sessions end after SESSION_SECONDS or at sign-out (and when the console
restarts: then people sign in again).
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field

from itsdangerous import BadSignature, URLSafeSerializer

from service.console.api import Caller

SESSION_SECONDS = 8 * 3600
COOKIE = "orderroute_session"


@dataclass
class Session:
    token: str
    """The bearer token the person signed in with ("" without authentication)."""
    caller: Caller
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    person: str = ""
    """Without authentication: the name this person gave, recorded as the actor of what they do."""
    expires: float = field(default_factory=lambda: time.monotonic() + SESSION_SECONDS)

    def csrf_ok(self, presented: str) -> bool:
        return hmac.compare_digest(self.csrf.encode(), presented.encode())


class Sessions:
    def __init__(self, secret: str) -> None:
        self._signer = URLSafeSerializer(secret, salt="orderroute-console-session")
        self._lock = threading.Lock()
        self._sessions: dict[str, Session] = {}

    def create(self, token: str, caller: Caller) -> tuple[str, Session]:
        """A new session; returns the cookie value naming it."""
        session_id = secrets.token_urlsafe(24)
        session = Session(token, caller)
        with self._lock:
            self._forget_expired()
            self._sessions[session_id] = session
        return self._signer.dumps(session_id), session

    def find(self, cookie: str | None) -> Session | None:
        if not cookie:
            return None
        try:
            session_id = self._signer.loads(cookie)
        except BadSignature:
            return None
        with self._lock:
            session = self._sessions.get(str(session_id))
            if session is None or session.expires < time.monotonic():
                self._sessions.pop(str(session_id), None)
                return None
            return session

    def end(self, cookie: str | None) -> None:
        try:
            session_id = self._signer.loads(cookie or "")
        except BadSignature:
            return
        with self._lock:
            self._sessions.pop(str(session_id), None)

    def _forget_expired(self) -> None:
        now = time.monotonic()
        for session_id in [k for k, s in self._sessions.items() if s.expires < now]:
            del self._sessions[session_id]
