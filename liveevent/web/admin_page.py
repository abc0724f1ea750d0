"""The admin page: ``GET /admin`` (issue 16 part 6, "the same on an admin page").

The report across fairs (``GET /api/report``) for a range of days, as a table of the fairs and
their total, with its XLSX and CSV downloads. The page is a static file; it reads the admin
token from its URL fragment (``/admin#token=T``, never sent to the server in a URL) and calls
the API with it in the ``Authorization`` header, as the other consoles do. Serving the page
needs no token: it holds no data.
"""

from __future__ import annotations

from aiohttp import web

from liveevent.web.pages import static_dir

routes = web.RouteTableDef()  # added to the app by the app factory (app.py)


@routes.get("/admin", name="page_admin")
async def admin_page(request: web.Request) -> web.FileResponse:
    """``GET /admin``: ``static/admin.html`` (public; its data needs the admin token).
    Raises nothing of its own."""
    return web.FileResponse(static_dir() / "admin.html", headers={"Cache-Control": "no-cache"})
