"""The REST API (django-ninja), with OpenAPI docs at /api/docs."""
