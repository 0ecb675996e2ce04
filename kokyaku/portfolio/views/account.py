"""One account: its zone now and over time, its deals and activities, and logging an activity."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kokyaku.crm import services as crm_services
from kokyaku.crm.permissions import allowed, refusal
from kokyaku.crm.selectors import account_history, deal_of_account
from kokyaku.portfolio import presenters, selectors
from kokyaku.portfolio.forms import ActivityForm
from kokyaku.portfolio.models import Snapshot
from kokyaku.portfolio.selectors import AccountOverview
from kokyaku.portfolio.views.common import currency


def _overview(account_id: int, *, snapshot: Snapshot | None, activities: int = 20) -> AccountOverview:
    data = selectors.account_overview(account_id, snapshot=snapshot, activities=activities)
    if data is None:
        raise Http404(_("No such account."))
    return data


ACTIVITIES_SHOWN = 20  # on the page; "all" shows up to ACTIVITIES_ALL
ACTIVITIES_ALL = 1000


def _page(request: HttpRequest, account_id: int, form: ActivityForm | None = None, status: int = 200) -> HttpResponse:
    snapshot = selectors.snapshot_latest()
    all_activities = request.GET.get("activities") == "all"
    limit = ACTIVITIES_ALL if all_activities else ACTIVITIES_SHOWN
    data = _overview(account_id, snapshot=snapshot, activities=limit + 1)
    user = request.user
    can_log = allowed(user, "activity_create", owner_id=data.account.owner_id)
    context = {
        "account": data.account, "row": data.row, "deals": data.deals, "activities": data.activities[:limit],
        "more_activities": len(data.activities) > limit, "all_activities": all_activities, "snapshot": snapshot,
        "history": selectors.account_zone_history(account_id), "can_log": can_log, "currency": currency(),
        "form": form or (ActivityForm(deals=data.deals) if can_log else None),
        "can_edit": allowed(user, "account_update", owner_id=data.account.owner_id),
        "editable_deals": {d.pk for d in data.deals if allowed(user, "deal_update", owner_id=d.owner_id)},
        "changes": account_history(account_id=account_id),
        "cutoffs": presenters.band_cutoffs(
            snapshot.thresholds if snapshot else None, currency(), notes=(snapshot.notes or {}).get("bands") if snapshot else None
        ),
        "unzoned_reason": presenters.unzoned_reason(
            data.row.unit_price, data.row.win_probability, lookback_months=snapshot.criteria.lookback_months
        ) if data.row and snapshot and not data.row.zone else "",
    }  # fmt: skip
    return render(request, "portfolio/account.html", context, status=status)


@login_required
def account(request: HttpRequest, account_id: int) -> HttpResponse:
    return _page(request, account_id)


@login_required
@require_POST
def account_activity(request: HttpRequest, account_id: int) -> HttpResponse:
    """Log an activity on an account: its owner or a manager (the crm service checks it again)."""
    data = _overview(account_id, snapshot=None, activities=0)
    reason = refusal(request.user, "activity_create", owner_id=data.account.owner_id)
    if reason is not None:
        raise PermissionDenied(str(reason))
    form = ActivityForm(request.POST, deals=data.deals)
    if form.is_valid():
        d = form.cleaned_data
        deal = deal_of_account(deal_id=d["deal"], account_id=account_id) if d["deal"] else None
        try:
            crm_services.activity_create(
                actor=request.user, account=data.account, kind=d["kind"], occurred_at=d["occurred_at"],
                minutes=d["minutes"], note=d["note"], deal=deal,
            )  # fmt: skip
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            messages.success(request, _("Activity logged."))
            return redirect("portfolio:account", account_id=account_id)
    return _page(request, account_id, form=form, status=400)
