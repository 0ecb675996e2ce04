"""Logins, roles (rep, manager, admin) and API tokens."""
