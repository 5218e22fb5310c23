"""Static files of the pages: our CSS/JS under ``/web/static/`` and the front-end libraries
installed by ``npm ci --prefix gateway/web`` under ``/web/static/vendor/`` (a fixed list, so
nothing else in node_modules is served)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import FileResponse

router = APIRouter(prefix="/web/static", include_in_schema=False)

WEB_DIR = Path(__file__).resolve().parent
STATIC_DIR = WEB_DIR / "static"
NODE_MODULES = WEB_DIR / "node_modules"

#: Public name -> file in node_modules (the npm packages pinned in package-lock.json).
VENDOR: dict[str, str] = {
    "chart.umd.min.js": "chart.js/dist/chart.umd.min.js",
    "chart.umd.min.js.map": "chart.js/dist/chart.umd.min.js.map",
}
MEDIA_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".map": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}
CACHE = "public, max-age=600"


def _serve(path: Path) -> FileResponse:
    media = MEDIA_TYPES.get(path.suffix)
    if media is None or not path.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such file")
    return FileResponse(path, media_type=media, headers={"Cache-Control": CACHE})


def vendor_missing() -> list[str]:
    """Vendor files not installed (``npm ci`` not run), for a clear error."""
    return [name for name, rel in VENDOR.items() if not (NODE_MODULES / rel).is_file()]


@router.get("/vendor/{name}")
def vendor(name: str) -> FileResponse:
    rel = VENDOR.get(name)
    if rel is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such file")
    path = NODE_MODULES / rel
    if not path.is_file():
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"{name} is not installed: run npm ci --prefix gateway/web"
        )
    return _serve(path)


@router.get("/{kind}/{name}")
def static_file(kind: str, name: str) -> FileResponse:
    if kind not in ("css", "js", "img") or "/" in name or name.startswith("."):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such file")
    root = STATIC_DIR.resolve()
    path = (root / kind / name).resolve()
    if not path.is_relative_to(root):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such file")
    return _serve(path)
