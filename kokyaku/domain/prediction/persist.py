"""Store fitted models as bytes and load them back without running code from the payload.

Layout: a magic line, one JSON header line (``kind``, ``format``, ``sha256`` of the body, and
whatever metadata the caller adds: training date, data range, metrics), then the body.

* :class:`~kokyaku.domain.prediction.repeat.BetaGeoModel`: the body is JSON (four numbers).
* :class:`~kokyaku.domain.prediction.deal_model.DealWinModel`: the body is a skops file, loaded
  with an explicit list of trusted types (:data:`TRUSTED_TYPES`); skops refuses any other type,
  so a payload that smuggles in a callable or an unknown class is refused, never run (unlike a
  pickle). The checksum catches a damaged body first.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import skops.io as sio

from kokyaku.domain.errors import DomainError
from kokyaku.domain.prediction.deal_model import DealWinModel
from kokyaku.domain.prediction.repeat import BetaGeoModel

MAGIC = b"KOKYAKU-MODEL 1\n"
# Every type a fitted DealWinModel holds beyond skops' defaults (numpy arrays, sklearn estimators
# and builtins it trusts by itself). Adding a type here is a security decision: review it.
TRUSTED_TYPES: tuple[str, ...] = (
    "kokyaku.domain.prediction.deal_model.DealWinModel",
    "functools.partial",  # sklearn's pipelines hold partial(check_array, ...): both must be listed
    "sklearn.utils.validation.check_array",
    "numpy.dtype",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.isotonic.IsotonicRegression",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
)


def _pack(kind: str, body: bytes, meta: Mapping[str, Any] | None) -> bytes:
    header = {"kind": kind, "sha256": hashlib.sha256(body).hexdigest(), "meta": dict(meta or {})}
    return MAGIC + json.dumps(header, sort_keys=True, separators=(",", ":")).encode() + b"\n" + body


def to_bytes(model: DealWinModel | BetaGeoModel, *, meta: Mapping[str, Any] | None = None) -> bytes:
    """Serialise a fitted model with ``meta`` (JSON-ready: version, training date, metrics ...)."""
    if isinstance(model, BetaGeoModel):
        if not hasattr(model, "r_"):
            raise DomainError("BG/NBD: fit the model before storing it")
        params = {"r": model.r_, "alpha": model.alpha_, "a": model.a_, "b": model.b_, "n_accounts": model.n_accounts_}
        body = json.dumps({"params": model.get_params(), "fitted": params}).encode()
        return _pack("bgnbd", body, meta)
    if isinstance(model, DealWinModel):
        if not hasattr(model, "base_rate_"):
            raise DomainError("deal model: fit the model before storing it")
        return _pack("deal", sio.dumps(model), meta)
    raise DomainError(f"cannot store a {type(model).__name__}")


def read_header(payload: bytes) -> dict[str, Any]:
    """Return the header (kind, sha256, meta) of a stored model without loading it."""
    if not payload.startswith(MAGIC):
        raise DomainError("not a stored Kokyaku model (wrong magic line)")
    line, sep, _body = payload[len(MAGIC) :].partition(b"\n")
    if not sep:
        raise DomainError("stored model: the header line is cut off")
    try:
        header = json.loads(line)
    except ValueError as exc:
        raise DomainError(f"stored model: the header is not JSON ({exc})") from exc
    if not isinstance(header, dict) or header.get("kind") not in ("deal", "bgnbd"):
        raise DomainError("stored model: unknown kind")
    return header


def from_bytes(payload: bytes) -> tuple[DealWinModel | BetaGeoModel, dict[str, Any]]:
    """Load a model stored by :func:`to_bytes`; return it with its metadata.

    Raises DomainError when the payload is damaged (checksum), of an unknown kind, or holds a type
    that is not trusted; nothing in it is executed.
    """
    header = read_header(payload)
    body = payload[len(MAGIC) :].partition(b"\n")[2]
    if hashlib.sha256(body).hexdigest() != header.get("sha256"):
        raise DomainError("stored model: the checksum does not match (the payload was changed or damaged)")
    meta = dict(header.get("meta") or {})
    if header["kind"] == "bgnbd":
        data = json.loads(body)
        model = BetaGeoModel(**{k: float(v) for k, v in data["params"].items()})
        fitted = data["fitted"]
        model.r_, model.alpha_, model.a_, model.b_ = (float(fitted[k]) for k in ("r", "alpha", "a", "b"))
        model.n_accounts_ = int(fitted["n_accounts"])
        model.converged_ = True
        return model, meta
    untrusted = sorted(set(sio.get_untrusted_types(data=body)) - set(TRUSTED_TYPES))
    if untrusted:
        raise DomainError(f"stored model: refused, it holds types that are not trusted: {', '.join(untrusted)}")
    try:
        loaded = sio.loads(body, trusted=list(TRUSTED_TYPES))
    except Exception as exc:  # skops raises several types for a malformed file
        raise DomainError(f"stored model: cannot be loaded ({exc})") from exc
    if not isinstance(loaded, DealWinModel):
        raise DomainError(f"stored model: expected a deal model, found {type(loaded).__name__}")
    return loaded, meta
