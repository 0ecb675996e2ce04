"""Portfolio pages: team, my portfolio, accounts, review, criteria, effort vs return, targets.

Each view validates its input, calls selectors (a fixed handful of aggregate queries, whatever the
portfolio size) or one service, and renders. Everyone sees the whole team; writes are checked on
the server: activities by the account's owner or a manager, criteria, snapshots and targets by
managers only.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kokyaku.crm import services as crm_services
from kokyaku.crm.models import CompanySettings, Deal, Rep
from kokyaku.domain.errors import DomainError
from kokyaku.domain.portfolio import BANDS, ZONES, CriteriaSpec, Thresholds
from kokyaku.portfolio import selectors, services
from kokyaku.portfolio.forms import ActivityForm, CriteriaForm, DateRangeForm, TableFilterForm, TargetForm
from kokyaku.portfolio.models import Criteria, Snapshot
from kokyaku.portfolio.periods import Period, fiscal_periods, fiscal_year_of, period_of, period_parse
from kokyaku.portfolio.templatetags.portfolio_tags import pct
from kokyaku.users.roles import can_edit_account, is_manager
from kokyaku.web.templatetags.kokyaku import CURRENCY_SYMBOLS, money

View = Callable[..., HttpResponse]
SCATTER_POINTS = 2000  # enough to see the shape; the page stays light at a million accounts
PER_PAGE = 50
HOME_GAPS = 10  # the largest gaps on a manager's home; the targets page lists every rep
ZONE_LABELS = [*ZONES, ""]


def manager_required(view: View) -> View:
    """Managers and admins get in; other logins get 403, anonymous users the login page."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_manager(request.user):
            raise PermissionDenied(_("Only managers can do this."))
        return view(request, *args, **kwargs)

    return wrapper


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _own_rep(request: HttpRequest) -> Rep | None:
    rep = getattr(request.user, "rep", None)
    return rep if isinstance(rep, Rep) else None


def _int(value: Any, default: int | None = None) -> int | None:
    try:
        return int(value) if value not in (None, "") else default
    except (TypeError, ValueError):
        return default


def _snapshot(request: HttpRequest) -> Snapshot | None:
    """The snapshot a page shows: ``?snapshot=ID``, else the latest (404 for an unknown id)."""
    wanted = request.GET.get("snapshot")
    if wanted and wanted != "latest":
        snapshot_id = _int(wanted)
        snapshot = selectors.snapshot_get(snapshot_id) if snapshot_id else None
        if snapshot is None:
            raise Http404(_("No such snapshot."))
        return snapshot
    return selectors.snapshot_latest()


def _no_snapshot(request: HttpRequest, title: str) -> HttpResponse:
    return render(request, "portfolio/no_snapshot.html", {"title": title, "is_manager": is_manager(request.user)})


def _currency() -> str:
    return CompanySettings.load().currency


def _chart_currency(code: str) -> dict[str, str]:
    """The currency as charts.js formats it (symbol, else the code after the amount)."""
    return {"code": code, "symbol": CURRENCY_SYMBOLS.get(code.upper(), "")}


def _safe_next(request: HttpRequest, fallback: str) -> str:
    nxt = request.POST.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return nxt
    return fallback


def _account_url_template() -> str:
    """The account page URL with ``0`` standing for the id, for charts that link to accounts."""
    return reverse("portfolio:account", args=[0])


# -- team portfolio --------------------------------------------------------------------------


def _matrix_context(snapshot: Snapshot, matrix: selectors.TeamMatrix, base: str) -> list[dict[str, Any]]:
    """Rows of the heatmap: each cell with its heat (0-1 share of the fullest cell) and its link."""
    top = max((c.accounts for row in matrix.cells for c in row), default=0) or 1
    rows = []
    for pb, row in zip(BANDS, matrix.cells, strict=True):
        cells = []
        for cell in row:
            query = urlencode({"snapshot": snapshot.pk, "price_band": cell.price_band, "probability_band": cell.probability_band})
            cells.append({"cell": cell, "heat": round(cell.accounts / top, 3), "url": f"{base}?{query}"})
        rows.append({"band": pb, "cells": cells})
    return rows


def _scatter_payload(scatter: dict[str, Any], currency: str) -> dict[str, Any]:
    """Columns per zone (smaller JSON than one object per point)."""
    by_zone: dict[str, dict[str, list[Any]]] = {z: {"x": [], "y": [], "id": [], "name": [], "owner": [], "ev": []} for z in ZONES}
    for p in scatter["points"]:
        if p["unit_price"] <= 0 or p["zone"] not in by_zone:
            continue  # a log axis cannot show zero
        col = by_zone[p["zone"]]
        col["x"].append(p["unit_price"])
        col["y"].append(round(p["win_probability"] * 100, 2))
        col["id"].append(p["account_id"])
        col["name"].append(p["name"])
        col["owner"].append(p["owner"] or "")
        col["ev"].append(round(p["expected_value"]))
    thresholds = scatter.get("thresholds") or {}
    labels = {
        "x": _("Unit price (log scale)"),
        "y": _("Win probability (%)"),
        "zone": _("Zone"),
        "price": _("Unit price"),
        "probability": _("Win probability"),
        "ev": _("Expected value"),
    }
    total, sampled = scatter["total"], scatter["sampled"]
    return {
        "zones": by_zone, "thresholds": thresholds, "total": total, "sampled": sampled, "labels": labels,
        "currency": _chart_currency(currency),
    }  # fmt: skip


@login_required
def team(request: HttpRequest) -> HttpResponse:
    snapshot = _snapshot(request)
    if snapshot is None:
        return _no_snapshot(request, _("Team portfolio"))
    matrix = selectors.team_matrix_scan(snapshot)
    scatter = selectors.scatter_sample(snapshot, zoned=matrix.total - matrix.unzoned, max_points=SCATTER_POINTS)
    breakdown, reps_page = selectors.rep_breakdown_page(snapshot, page=_int(request.GET.get("reps_page"), 1) or 1)
    currency = _currency()
    context = {
        "snapshot": snapshot,
        "snapshots": selectors.snapshot_list(limit=30),
        "matrix": matrix,
        "matrix_rows": _matrix_context(snapshot, matrix, reverse("portfolio:accounts")),
        "bands": BANDS,
        "scatter": _scatter_payload(scatter, currency),
        "scatter_total": scatter["total"],
        "scatter_shown": len(scatter["points"]),
        "scatter_sampled": scatter["sampled"],
        "breakdown": breakdown,
        "reps_page": reps_page,
        "params": request.GET,
        "account_url": _account_url_template(),
        "currency": currency,
        "is_manager": is_manager(request.user),
    }
    return render(request, "portfolio/team.html", context)


# -- tables: all accounts and my portfolio --------------------------------------------------------


def _table_response(request: HttpRequest, *, mine: bool) -> HttpResponse:
    title = _("My portfolio") if mine else _("Accounts")
    snapshot = _snapshot(request)
    if snapshot is None:
        return _no_snapshot(request, title)
    rep = _own_rep(request)
    owners = list(Rep.objects.filter(active=True).order_by("name").values_list("id", "name")) if not mine else []
    form = TableFilterForm(request.GET, owners=owners)
    kwargs = form.selector_kwargs()
    if mine:
        if rep is None:
            return render(request, "portfolio/no_rep.html", {"title": title})
        kwargs["owner_id"] = rep.pk
    page = selectors.portfolio_table(snapshot, per_page=PER_PAGE, **kwargs)
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "title": title,
        "mine": mine,
        "snapshot": snapshot,
        "form": form,
        "page": page,
        "sort": kwargs["sort"],
        "params": params,
        "currency": _currency(),
        "base_url": request.path,
        "matrix": selectors.team_matrix(snapshot, owner_id=rep.pk) if mine and rep is not None else None,
    }
    template = "portfolio/_table.html" if getattr(request, "htmx", False) else "portfolio/table.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])  # the same URL answers a fragment to HTMX, a page otherwise
    return response


@login_required
def accounts(request: HttpRequest) -> HttpResponse:
    return _table_response(request, mine=False)


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    return _table_response(request, mine=True)


# -- one account ---------------------------------------------------------------------------------


def _account_page(request: HttpRequest, account_id: int, form: ActivityForm | None = None, status: int = 200) -> HttpResponse:
    snapshot = selectors.snapshot_latest()
    data = selectors.account_overview(account_id, snapshot=snapshot)
    if data is None:
        raise Http404(_("No such account."))
    account = data["account"]
    can_log = can_edit_account(request.user, account) and request.user.has_perm("crm.add_activity")
    context = {
        **data,
        "snapshot": snapshot,
        "history": selectors.account_zone_history(account_id),
        "can_log": can_log,
        "form": form or (ActivityForm(deals=data["deals"]) if can_log else None),
        "currency": _currency(),
    }
    return render(request, "portfolio/account.html", context, status=status)


@login_required
def account(request: HttpRequest, account_id: int) -> HttpResponse:
    return _account_page(request, account_id)


@login_required
@require_POST
def account_activity(request: HttpRequest, account_id: int) -> HttpResponse:
    """Log an activity on an account: its owner or a manager (the crm service checks it again)."""
    data = selectors.account_overview(account_id, snapshot=None, activities=0)
    if data is None:
        raise Http404(_("No such account."))
    acc = data["account"]
    if not can_edit_account(request.user, acc):
        raise PermissionDenied(_("You can only log activities on accounts you own."))
    form = ActivityForm(request.POST, deals=data["deals"])
    if form.is_valid():
        d = form.cleaned_data
        deal = next((x for x in data["deals"] if x.pk == d["deal"]), None) if d["deal"] else None
        if d["deal"] and deal is None:
            deal = Deal.objects.filter(pk=d["deal"], account=acc).first()
        try:
            crm_services.activity_create(
                actor=request.user,
                account=acc,
                kind=d["kind"],
                occurred_at=d["occurred_at"],
                minutes=d["minutes"],
                note=d["note"],
                deal=deal,
            )
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            messages.success(request, _("Activity logged."))
            return redirect("portfolio:account", account_id=acc.pk)
    return _account_page(request, account_id, form=form, status=400)


# -- review: moves and migration ---------------------------------------------------------------------


def _pick_snapshot(snapshots: list[Snapshot], value: str | None) -> Snapshot | None:
    wanted = _int(value)
    if wanted is None:
        return None
    found = next((s for s in snapshots if s.pk == wanted), None)
    return found or selectors.snapshot_get(wanted)


@login_required
def review(request: HttpRequest) -> HttpResponse:
    snapshots = selectors.snapshot_list(limit=100)
    if not snapshots:
        return _no_snapshot(request, _("Review"))
    # Default: the latest as-of and the one before it in time, whatever order they were computed in.
    after = _pick_snapshot(snapshots, request.GET.get("after")) or snapshots[0]
    before = _pick_snapshot(snapshots, request.GET.get("before")) or selectors.snapshot_previous(after)
    direction = request.GET.get("direction") if request.GET.get("direction") in ("up", "down") else None
    context: dict[str, Any] = {
        "snapshots": snapshots,
        "after": after,
        "before": before,
        "direction": direction,
        "currency": _currency(),
        "zones": ZONE_LABELS,
        "account_url": _account_url_template(),
    }
    if before is not None and not selectors.snapshot_is_before(before, after):
        # A review runs forward in time: refuse the backward (or empty) comparison, keep the picks, offer the right one.
        if before.pk == after.pk:
            context["same_snapshot"] = True
            context["fix_query"] = urlencode({"after": after.pk}) if selectors.snapshot_previous(after) else ""
        else:
            context["backwards"] = True
            context["fix_query"] = urlencode({"before": after.pk, "after": before.pk})
        return render(request, "portfolio/review.html", context, status=400)
    if before is not None:
        moves = selectors.zone_moves(after, previous=before, direction=direction, page=_int(request.GET.get("page"), 1) or 1)
        migration = selectors.zone_migration(before, after)
        base = {"before": before.pk, "after": after.pk}
        rows = []
        for f in ZONE_LABELS:
            cells = []
            for t in ZONE_LABELS:
                n = migration.counts[f][t]
                cells.append(
                    {"to": t, "n": n, "url": "?" + urlencode({**base, "from": f or "none", "to": t or "none"}) + "#cell"}
                )
            rows.append({"from": f, "cells": cells, "total": sum(migration.counts[f].values())})
        context.update({"moves": moves, "migration_rows": rows, "flows": migration.flows(), "base_query": urlencode(base)})
        cell_from, cell_to = request.GET.get("from"), request.GET.get("to")
        valid = {*ZONES, "none"}
        if cell_from in valid and cell_to in valid:
            f = "" if cell_from == "none" else str(cell_from)
            t = "" if cell_to == "none" else str(cell_to)
            context["cell"] = {
                "from": f,
                "to": t,
                "page": selectors.zone_migration_accounts(
                    before, after, from_zone=f, to_zone=t, page=_int(request.GET.get("cell_page"), 1) or 1
                ),
            }
    return render(request, "portfolio/review.html", context)


# -- criteria (managers) -----------------------------------------------------------------------------


def _criteria_params() -> dict[str, Any]:
    current = selectors.criteria_current()
    return current.as_params() if current else Criteria().as_params()


def _percentile(q: float) -> str:
    """A quantile as a percentile: ``1/3`` -> "33rd percentile" (Japanese: "33パーセンタイル")."""
    x = float(q) * 100
    whole = round(x)
    if abs(x - whole) <= 0.35:  # 33.33 reads as the 33rd percentile
        n = str(whole)
        if (get_language() or "en").startswith("en"):
            suffix = "th" if 10 <= whole % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(whole % 10, "th")
            n = f"{whole}{suffix}"
    else:
        n = f"{x:.1f}"
    return _("%(n)s percentile") % {"n": n}


def _cutoff_cells(spec: CriteriaSpec, cut: Thresholds, currency: str) -> dict[str, list[dict[str, str]]]:
    """Per axis, the low and high cut: how it is set (a percentile, or fixed) and the value it gives."""
    out: dict[str, list[dict[str, str]]] = {}
    for axis, rule, values in (
        ("price", spec.price, (cut.price_low, cut.price_high)),
        ("probability", spec.probability, (cut.probability_low, cut.probability_high)),
    ):
        cells = []
        for q, value in zip((rule.low, rule.high), values, strict=True):
            shown = "—" if not math.isfinite(value) else money(value, currency) if axis == "price" else pct(value, 1)
            cells.append({"rule": _percentile(q) if rule.mode == "quantile" else _("fixed"), "value": shown})
        out[axis] = cells
    return out


@manager_required
@require_http_methods(["GET", "POST"])
def criteria(request: HttpRequest) -> HttpResponse:
    status = 200
    baseline = _criteria_params()
    if request.method == "POST":
        form = CriteriaForm(request.POST, baseline=baseline)
        if form.is_valid():
            try:
                saved = services.criteria_create(created_by=_user(request), **form.criteria_params())
            except ValidationError as exc:
                form.add_error(None, " ".join(exc.messages))
            else:
                messages.success(
                    request,
                    _("Criteria version %(id)s saved. The next snapshot uses it; compute one now to see the new zones.")
                    % {"id": saved.pk},
                )
                return redirect("portfolio:criteria")
        status = 400
    else:
        form = CriteriaForm(initial=CriteriaForm.initial_from(baseline), baseline=baseline)
    grid_rows = [{"band": p, "fields": [form[f"grid_{p}_{q}"] for q in BANDS]} for p in BANDS]
    snapshot = selectors.snapshot_latest()
    cutoffs = None
    if snapshot is not None:
        spec = Criteria(**baseline).to_spec()
        cutoffs = _cutoff_cells(spec, selectors.criteria_cutoffs(spec, snapshot=snapshot), _currency())
    context = {
        "form": form,
        "grid_rows": grid_rows,
        "bands": BANDS,
        "versions": selectors.criteria_history(limit=20),
        "current": selectors.criteria_current(),
        "snapshot": snapshot,
        "cutoffs": cutoffs,
    }
    return render(request, "portfolio/criteria.html", context, status=status)


@manager_required
@require_POST
def criteria_preview(request: HttpRequest) -> HttpResponse:
    """HTMX: how many accounts of the latest snapshot the edited criteria would move."""
    form = CriteriaForm(request.POST, baseline=_criteria_params())
    context: dict[str, Any] = {"errors": [], "rows": None}
    if not form.is_valid():
        context["errors"] = [
            f"{form.fields[k].label if k in form.fields else ''} {' '.join(str(m) for m in v)}".strip()
            for k, v in form.errors.items()
        ]
        return render(request, "portfolio/_criteria_preview.html", context)
    params = form.criteria_params()
    params.pop("note", None)
    try:
        spec = Criteria(**params).to_spec()
    except (DomainError, TypeError, ValueError) as exc:
        context["errors"] = [str(exc)]
        return render(request, "portfolio/_criteria_preview.html", context)
    detail = selectors.criteria_preview_detail(spec)
    if detail is None:
        context["no_snapshot"] = True
        return render(request, "portfolio/_criteria_preview.html", context)
    table = detail.matrix
    currency = _currency()
    now = _cutoff_cells(detail.snapshot.criteria.to_spec(), detail.now, currency)
    new = _cutoff_cells(spec, detail.new, currency)
    context["cutoffs"] = [
        {"axis": axis, "end": end, "now": now[axis][i], "new": new[axis][i], "changed": now[axis][i] != new[axis][i]}
        for axis in ("price", "probability")
        for i, end in enumerate(("low", "high"))
    ]
    context["snapshot"] = detail.snapshot
    rows = []
    moved = 0
    for f in ZONE_LABELS:
        cells = []
        for t in ZONE_LABELS:
            n = int(table.to_numpy()[ZONE_LABELS.index(f), ZONE_LABELS.index(t)])
            if f != t:
                moved += n
            cells.append({"to": t, "n": n, "stay": f == t})
        rows.append({"from": f, "cells": cells})
    context.update({"rows": rows, "moved": moved, "total": int(table.to_numpy().sum()), "zones": ZONE_LABELS})
    return render(request, "portfolio/_criteria_preview.html", context)


@manager_required
@require_POST
def snapshot_compute(request: HttpRequest) -> HttpResponse:
    """Compute a snapshot now with the current criteria (large portfolios: use the CLI / cron)."""
    try:
        snapshot = services.snapshot_create()
    except (DomainError, ValidationError) as exc:
        messages.error(request, _("The snapshot could not be computed: %(error)s") % {"error": exc})
    else:
        messages.success(
            request,
            _("Snapshot %(id)s computed: %(n)s accounts in %(s)s s.")
            % {"id": snapshot.pk, "n": f"{snapshot.account_count:,}", "s": f"{snapshot.seconds:.1f}"},
        )
    return redirect(_safe_next(request, reverse("portfolio:team")))


# -- effort vs return ---------------------------------------------------------------------------------


def _finite(value: Any) -> float | None:
    x = float(value)
    return x if math.isfinite(x) else None


@login_required
def effort(request: HttpRequest) -> HttpResponse:
    snapshot = _snapshot(request)
    if snapshot is None:
        return _no_snapshot(request, _("Effort vs return"))
    today = timezone.localdate()
    start, end = DateRangeForm.default_range(today)
    form = DateRangeForm(request.GET if "start" in request.GET else None, initial={"start": start, "end": end})
    if form.is_bound and form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    currency = _currency()
    team = selectors.effort_return(snapshot, start=start, end=end)
    per_rep = selectors.effort_return(snapshot, start=start, end=end, per_rep=True)
    team_rows: list[dict[str, Any]] = [
        {
            "zone": r["zone"],
            "hours": float(r["hours"]),
            "revenue": float(r["revenue"]),
            "rph": _finite(r["revenue_per_hour"]),
            "effort_share": float(r["effort_share"]) * 100,
            "revenue_share": float(r["revenue_share"]) * 100,
        }
        for r in team.to_dict("records")
    ]
    reps: dict[Any, dict[str, Any]] = {}
    for r in per_rep.to_dict("records"):
        key = r["rep_id"]
        entry = reps.setdefault(
            key,
            {"rep_id": key, "rep": r["rep"] or _("No rep"), "zones": dict.fromkeys(ZONE_LABELS), "hours": 0.0, "revenue": 0.0},
        )
        entry["zones"][r["zone"]] = {
            "hours": float(r["hours"]),
            "revenue": float(r["revenue"]),
            "rph": _finite(r["revenue_per_hour"]),
        }
        entry["hours"] += float(r["hours"])
        entry["revenue"] += float(r["revenue"])
    rep_rows = sorted(reps.values(), key=lambda e: (e["rep_id"] is None or e["rep_id"] != e["rep_id"], str(e["rep"])))
    for e in rep_rows:
        e["rph"] = e["revenue"] / e["hours"] if e["hours"] > 0 else None
        e["cells"] = [e["zones"][z] for z in ZONE_LABELS]
    chart = {
        "zones": [r["zone"] or _("Unzoned") for r in team_rows],
        "effort_share": [round(r["effort_share"], 2) for r in team_rows],
        "revenue_share": [round(r["revenue_share"], 2) for r in team_rows],
        "rph": [round(r["rph"]) if r["rph"] is not None else None for r in team_rows],
        "labels": {
            "effort": _("Share of time spent (%)"),
            "revenue": _("Share of won revenue (%)"),
            "rph": _("Revenue per hour"),
            "share": _("Share (%)"),
        },
        "currency": _chart_currency(currency),
    }
    hours, revenue = sum(r["hours"] for r in team_rows), sum(r["revenue"] for r in team_rows)
    totals = {"hours": hours, "revenue": revenue, "rph": revenue / hours if hours else None}
    context = {
        "snapshot": snapshot,
        "form": form,
        "start": start,
        "end": end,
        "team_rows": team_rows,
        "rep_rows": rep_rows,
        "totals": totals,
        "chart": chart,
        "zones": ZONE_LABELS,
        "currency": currency,
    }
    return render(request, "portfolio/effort.html", context)


# -- targets (予実管理) --------------------------------------------------------------------------------


def _period(request: HttpRequest, start_month: int, today: date) -> Period:
    key = request.GET.get("period") or request.POST.get("period") or ""
    if key:
        try:
            return period_parse(key, start_month=start_month)
        except ValueError:
            pass
    return period_of(today, kind="month", start_month=start_month)


def targets_context(*, period: Period, rep_ids: list[int] | None = None, accounts_per_rep: int = 10) -> dict[str, Any]:
    """Run ``selectors.targets_view`` for a period and shape it for templates (floats, rows per rep)."""
    view = selectors.targets_view(start=period.start, end=period.end, rep_ids=rep_ids, accounts_per_rep=accounts_per_rep)
    accounts: dict[int, list[dict[str, Any]]] = {}
    for a in view["accounts"].to_dict("records"):
        accounts.setdefault(int(a["rep_id"]), []).append(
            {
                "account_id": int(a["account_id"]),
                "name": a["name"],
                "ev": float(a["expected_value"]),
                "cum": float(a["cumulative_ev"]),
                "covers": bool(a["covers_gap"]),
            }
        )
    reps: list[dict[str, Any]] = []
    for r in view["reps"].to_dict("records"):
        row: dict[str, Any] = {str(k): (float(v) if isinstance(v, int | float) else v) for k, v in r.items()}
        row["rep_id"] = int(r["rep_id"])
        row["attainment_pct"] = _finite(float(r["attainment"]) * 100)
        row["yomi_pct"] = float(r["yomi_mid"]) / float(r["target"]) * 100 if float(r["target"]) > 0 else None
        row["accounts"] = accounts.get(int(r["rep_id"]), [])
        row["accounts_ev"] = sum(a["ev"] for a in row["accounts"])
        reps.append(row)
    reps.sort(key=lambda r: str(r["rep"]))
    # The team's own gap (target − won), not the sum of the reps' shortfalls (kept as reps_shortfall).
    team: dict[str, Any] = {str(k): v if isinstance(v, int) else float(v) for k, v in dict(view["team"]).items()}
    team["attainment_pct"] = _finite(team["attainment"] * 100)
    return {
        "reps": reps, "team": team, "high": view["high"], "mid": view["mid"],
        "high_pct": round(view["high"] * 100), "mid_pct": round(view["mid"] * 100),
    }  # fmt: skip


@login_required
def targets(request: HttpRequest) -> HttpResponse:
    company = CompanySettings.load()
    today = timezone.localdate()
    period = _period(request, company.fiscal_year_start_month, today)
    fy = fiscal_year_of(period.start, company.fiscal_year_start_month)
    data = targets_context(period=period)
    chart = {
        "reps": [r["rep"] for r in data["reps"]],
        "target": [r["target"] for r in data["reps"]],
        "won": [r["yomi_won"] for r in data["reps"]],
        "high": [r["yomi_high"] - r["yomi_won"] for r in data["reps"]],
        "mid": [r["yomi_mid"] - r["yomi_high"] for r in data["reps"]],
        "labels": {
            "won": _("Won (確定)"),
            "high": _("+ high probability (ヨミA)"),
            "mid": _("+ mid probability (ヨミB)"),
            "target": _("Target"),
        },
        "currency": _chart_currency(company.currency),
    }
    manager = is_manager(request.user)
    context = {
        **data,
        "open_deal_dates": selectors.open_deal_dates(today=today),
        "period": period,
        "periods": fiscal_periods(fy - 1, start_month=company.fiscal_year_start_month)
        + fiscal_periods(fy, start_month=company.fiscal_year_start_month)
        + fiscal_periods(fy + 1, start_month=company.fiscal_year_start_month),
        "chart": chart,
        "currency": company.currency,
        "is_manager": manager,
        "form": TargetForm(initial={"period": period.key}) if manager else None,
    }
    return render(request, "portfolio/targets.html", context)


@manager_required
@require_POST
def target_set(request: HttpRequest) -> HttpResponse:
    company = CompanySettings.load()
    form = TargetForm(request.POST)
    back = reverse("portfolio:targets")
    if not form.is_valid():
        messages.error(
            request, " ".join(f"{form.fields[k].label}: {' '.join(str(m) for m in v)}" for k, v in form.errors.items())
        )
        return redirect(back)
    d = form.cleaned_data
    try:
        period = period_parse(d["period"], start_month=company.fiscal_year_start_month)
    except ValueError as exc:
        messages.error(request, str(exc))
        return redirect(back)
    try:
        crm_services.target_set(
            actor=request.user, rep=d["rep"], period_start=period.start, period_end=period.end, amount=d["amount"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Target for %(rep)s, %(period)s saved.") % {"rep": d["rep"].name, "period": period.key})
    return redirect(f"{back}?{urlencode({'period': period.key})}")


# -- home ---------------------------------------------------------------------------------------------


def home_context(request: HttpRequest) -> dict[str, Any]:
    """What the home page shows from the portfolio: a rep's day, or a manager's team view."""
    snapshot = selectors.snapshot_latest()
    manager = is_manager(request.user)
    rep = _own_rep(request)
    out: dict[str, Any] = {"snapshot": snapshot, "is_manager": manager, "rep": rep}
    if snapshot is None:
        return out
    company = CompanySettings.load()
    today = timezone.localdate()
    month = period_of(today, kind="month", start_month=company.fiscal_year_start_month)
    out.update({"currency": company.currency, "month": month})
    if manager:
        matrix = selectors.team_matrix_scan(snapshot)
        out["matrix"] = matrix
        out["matrix_rows"] = _matrix_context(snapshot, matrix, reverse("portfolio:accounts"))
        team = targets_context(period=month, accounts_per_rep=0)
        behind = sorted((r for r in team["reps"] if r["gap"] > 0), key=lambda r: -r["gap"])
        out["targets"] = {**team, "reps": behind[:HOME_GAPS], "behind": len(behind), "reps_total": len(team["reps"])}
        previous = selectors.snapshot_previous(snapshot)
        if previous is not None:
            out["previous"] = previous
            out["moves_up"] = selectors.zone_moves(snapshot, previous=previous, direction="up", per_page=5)
            out["moves_down"] = selectors.zone_moves(snapshot, previous=previous, direction="down", per_page=5)
    if rep is not None:
        out["focus"] = selectors.rep_focus(snapshot, rep_id=rep.pk, today=today)
        mine = targets_context(period=month, rep_ids=[rep.pk], accounts_per_rep=5)
        out["my_target"] = mine["reps"][0] if mine["reps"] else None
    return out


def query_string(params: QueryDict, **changes: Any) -> str:
    """Return ``params`` with ``changes`` applied, as a query string (for sort and page links)."""
    q = params.copy()
    for k, v in changes.items():
        q[k] = str(v)
    return q.urlencode()
