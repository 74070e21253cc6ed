"""The web portal (DESIGN.md section 10): a Django project served by `mnr portal` (docs/portal.md)."""
