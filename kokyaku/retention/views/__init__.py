"""The retention pages: one module per page."""
