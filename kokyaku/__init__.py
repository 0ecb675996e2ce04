"""Kokyaku (顧客): a customer-portfolio system for B2B sales teams."""

__version__ = "0.1.0"
