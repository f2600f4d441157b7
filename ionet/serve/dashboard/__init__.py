"""The dashboard page (index.html, app.js, style.css beside this file), served by the API's app at `/`.

Everything it shows comes from the API's /v1 responses (fetched by app.js from the same origin); the
chart library (Chart.js, pinned in package.json, installed by `npm ci`) is served from node_modules at
/static/vendor/chart.umd.min.js. A Content-Security-Policy of 'self' keeps the page from loading
anything from elsewhere.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse

from ionet.manifest import ROOT

HERE = Path(__file__).resolve().parent
PAGE_FILES = {"app.js": "text/javascript", "style.css": "text/css"}
VENDOR = {"chart.umd.min.js": ROOT / "node_modules" / "chart.js" / "dist" / "chart.umd.min.js"}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
HEADERS = {"Content-Security-Policy": CSP, "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}


def mount(app: FastAPI) -> None:
    """Add the page's routes (not in the OpenAPI schema) to the API's app."""

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(HERE / "index.html", media_type="text/html", headers=HEADERS)

    @app.get("/static/dashboard/{name}", include_in_schema=False)
    def page_file(name: str) -> FileResponse:
        if name not in PAGE_FILES:
            raise HTTPException(404, f"no dashboard file {name}")
        return FileResponse(HERE / name, media_type=PAGE_FILES[name], headers=HEADERS)

    @app.get("/static/vendor/{name}", include_in_schema=False)
    def vendor_file(name: str) -> FileResponse:
        path = VENDOR.get(name)
        if path is None:
            raise HTTPException(404, f"no vendored file {name}")
        if not path.exists():
            raise HTTPException(503, f"{path.relative_to(ROOT)} is missing: run `npm ci` (package.json pins it)")
        return FileResponse(path, media_type="text/javascript", headers=HEADERS)
