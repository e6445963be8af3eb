"""The routers of the web EDC, one per page family; the JSON API is ``api``."""

from oncotrial.web.routers import admin, api, auth, casebook, forms, records, review

ROUTERS = (auth.router, casebook.router, forms.router, review.router, records.router,
           admin.router, api.router)

__all__ = ["ROUTERS"]
