"""Helpers that barely touch Django."""
