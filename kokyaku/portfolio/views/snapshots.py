"""Computing a snapshot from the pages (managers; large portfolios use `kokyaku snapshot` from cron)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kokyaku.domain.errors import DomainError
from kokyaku.lib.refusals import domain_text
from kokyaku.portfolio import services
from kokyaku.portfolio.views.common import safe_next
from kokyaku.users.decorators import manager_required


@manager_required
@require_POST
def snapshot_compute(request: HttpRequest) -> HttpResponse:
    """Compute a snapshot now with the current criteria, then go back where the button was."""
    try:
        snapshot = services.snapshot_create(actor=request.user)
    except (DomainError, ValidationError) as exc:
        messages.error(request, _("The snapshot could not be computed: %(error)s") % {"error": domain_text(exc)})
    else:
        done = _("Snapshot %(id)s computed: %(n)s accounts in %(s)s s.")
        messages.success(request, done % {"id": snapshot.pk, "n": f"{snapshot.account_count:,}", "s": f"{snapshot.seconds:.1f}"})
    return redirect(safe_next(request, reverse("portfolio:team")))
