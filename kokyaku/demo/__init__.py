"""The synthetic demo portfolio: a seeded generator (pure NumPy) and its bulk loader."""
