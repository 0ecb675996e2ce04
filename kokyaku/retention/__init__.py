"""Retention: the classic curve beside the company's own, measured from its purchases, and the forecast.

Read only (no model, no write): :mod:`kokyaku.retention.selectors` reads the won deals in one
query and hands them to :func:`kokyaku.domain.retention.measure_retention`; the page, the API and
``kokyaku retention`` show the same typed record. docs/retention.md.
"""
