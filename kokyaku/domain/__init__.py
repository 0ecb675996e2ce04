"""The domain core: pure functions and estimators over arrays and data frames.

Nothing here imports Django (``tests/test_architecture.py`` enforces it). Every function takes a
whole portfolio at once and is vectorised with NumPy / pandas.
"""

from kokyaku.domain.errors import DomainError

__all__ = ["DomainError"]
