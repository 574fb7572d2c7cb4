"""The web pages: server-rendered HTML (Jinja2, htmx) in the same app as the JSON API.

Pages live at ``/`` and the API at ``/api``. Page handlers parse the form, authorise, call the
same domain modules as the API's routers (``service.drafts``, ``service.assessment``, ...) and
render a template; they hold no rules of their own.
"""

from __future__ import annotations

import time

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response

from ..errors import ApiError
from .session import PageForbidden, SignInRequired, sign_in_url
from .templating import HERE, render

# Scripts only from this site (no inline script, no eval: htmx's hx-on is not used); pdf.js runs
# its worker from this site too, and compiles its image decoders from WebAssembly (wasm-unsafe-eval
# allows exactly that, not eval). Nothing is fetched from any other address.
CSP = ("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
       "media-src 'self' blob:; worker-src 'self' blob:; font-src 'self' data:; object-src 'none'; "
       "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def _is_page(request: Request) -> bool:
    return not request.url.path.startswith("/api")


def _is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _to_sign_in(request: Request, url: str) -> Response:
    if _is_htmx(request):  # a partial update cannot show a page: htmx follows this header instead
        return Response(status_code=401, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def _problem_page(request: Request, status: int, title: str, message: str) -> Response:
    name = "_message.html" if _is_htmx(request) else "error.html"
    return render(request, name, status_code=status, title=title, message=message)


def install(app: FastAPI) -> None:
    """Mount the pages, their static files and the HTML error handling on ``app``."""
    from . import admin, assessor, auth_pages, candidate, designer, issuer_admin, viewer

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for module in (auth_pages, candidate, assessor, designer, admin, issuer_admin, viewer):
        app.include_router(module.router)

    json_api_error = app.exception_handlers[ApiError]
    json_http = app.exception_handlers[StarletteHTTPException]
    json_validation = app.exception_handlers[RequestValidationError]

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        return _to_sign_in(request, sign_in_url(exc.next_url, exc.reason))

    @app.exception_handler(PageForbidden)
    async def _forbidden(request: Request, exc: PageForbidden) -> Response:
        return _problem_page(request, 403, "Not for your role", exc.message)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        if not _is_page(request):
            return await json_api_error(request, exc)  # type: ignore[no-any-return]
        return _problem_page(request, exc.spec.status, exc.spec.title, exc.detail)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if not _is_page(request):
            return await json_http(request, exc)  # type: ignore[no-any-return]
        if exc.status_code == 404:
            return _problem_page(request, 404, "Page not found",
                                 "There is nothing at this address, or nothing you may see.")
        return _problem_page(request, exc.status_code, "Request refused", str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if not _is_page(request):
            return await json_validation(request, exc)  # type: ignore[no-any-return]
        fields = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ())[1:])}: {e.get('msg')}" for e in exc.errors())
        return _problem_page(request, 422, "Something in the form is missing or wrong", fields)

    @app.middleware("http")
    async def _headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        response = await call_next(request)
        # The server's own time for the request (browsers' developer tools show it; bench/pages.py reads it).
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
        if _is_page(request):
            response.headers.setdefault("Content-Security-Policy", CSP)
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
            response.headers.setdefault("Referrer-Policy", "same-origin")
        return response
