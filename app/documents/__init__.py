"""Documents the service hands out: CSV and Excel tables, PDFs from HTML (used by reports,
audit and privacy)."""
