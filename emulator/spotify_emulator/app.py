"""Dispatches a request to the Web API, the accounts service, the admin API or the image
server, applying faults and counting on the way."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import spotify_emulator.write_routes  # noqa: F401  (registers the write routes)
from spotify_emulator import images
from spotify_emulator.accounts import Accounts
from spotify_emulator.admin import Admin
from spotify_emulator.api import NOT_FOUND, Api, Call, Handler, router
from spotify_emulator.messages import Drop, Outcome, Request, Response, api_error, html
from spotify_emulator.state import State
from spotify_emulator.tokens import Check

if TYPE_CHECKING:
    from spotify_emulator.emulator import Emulator


class App:
    def __init__(self, state: State, emulator: Emulator) -> None:
        self.state = state
        self.api = Api(state)
        self.accounts = Accounts(
            state.config.client_id,
            state.config.client_secret,
            state.tokens,
            state.config.default_user,
            state.config.redirect_uris,
            state.libraries.get,
        )
        self.admin = Admin(emulator)

    def __call__(self, request: Request) -> Outcome:
        path = request.path
        if path == "/v1" or path.startswith("/v1/"):
            return self._api(request)
        if path.startswith("/_emulator/"):
            return self.admin.handle(request)
        if path.startswith("/image/") and request.method == "GET":
            return _image(path[len("/image/") :])
        if (request.method, path) == ("GET", "/authorize"):
            answer = self.accounts.authorize(request)
        elif (request.method, path) == ("POST", "/api/token"):
            answer = self.accounts.token(request)
        else:
            return html(404, "Not found")
        self.state.stats.count_accounts(f"{request.method} {path}", str(answer.status))
        return answer

    def _api(self, request: Request) -> Outcome:
        state = self.state
        matched = router.match(request.method, request.path)
        route = matched[0].name if matched else f"{request.method} /v1/(unknown)"
        token = _bearer(request)
        check = state.tokens.check(token) if token else Check(None)
        with state.stats.in_flight(check.user_id, route):
            if check.user_id is not None:
                ended = state.faults.hold(check.user_id, route)
                if ended is not None:
                    state.stats.count_hold(ended)
            if state.faults.latency_s() > 0:
                time.sleep(state.faults.latency_s())
            outcome = state.faults.decide()
            if outcome is None:
                if check.user_id is None:
                    outcome = _unauthorized("Invalid access token", "invalid_token")
                elif check.expired:
                    outcome = _unauthorized("The access token expired", "invalid_token")
                elif matched is None:
                    outcome = api_error(404, NOT_FOUND)
                else:
                    handler, params = matched[0].handler, matched[1]
                    call = Call(
                        request=request,
                        params=params,
                        user_id=check.user_id,
                        scope=frozenset(check.scope.split()),
                        library=state.libraries.get(check.user_id),
                    )
                    outcome = self._answer(handler, call)
            status = "dropped" if isinstance(outcome, Drop) else str(outcome.status)
            # Counted before the answer leaves, so a client never sees stale counts.
            state.stats.count_api(route, status, check.user_id)
            return outcome

    def _answer(self, handler: Handler, call: Call) -> Response:
        """The route's answer, or a write's injected 5xx (before or after the write)."""
        if call.request.method == "GET":
            return self.api.answer(handler, call)
        failed = self.state.faults.decide_write()
        if failed is None:
            return self.api.answer(handler, call)
        if self.state.faults.faults.write_error_applied:
            self.api.answer(handler, call)
        return failed


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def _unauthorized(message: str, error: str) -> Response:
    challenge = f'Bearer realm="spotify", error="{error}", error_description="{message}"'
    return api_error(401, message, {"WWW-Authenticate": challenge})


def _image(name: str) -> Response:
    parsed = images.parse(name)
    if parsed is None:
        return html(404, "Not found")
    return Response(
        200, images.png(*parsed), "image/png", {"Cache-Control": "public, max-age=86400"}
    )
