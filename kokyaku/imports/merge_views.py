"""The duplicates page (managers): accounts and reps whose names are one name written several ways, and their merge.

GET lists each group with the record suggested to keep (most deals); POST merges the records the
manager ticked into the one they chose. Nothing merges without that POST.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from kokyaku.crm.permissions import allowed
from kokyaku.imports.merge import MODELS, duplicates_find, duplicates_merge
from kokyaku.imports.models import NameMerge


@login_required
@require_http_methods(["GET", "POST"])
def duplicates(request: HttpRequest) -> HttpResponse:
    if not allowed(request.user, "duplicates_merge"):
        raise PermissionDenied(_("Only managers can merge duplicate accounts and reps."))
    status = 200
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        try:
            keep = int(request.POST.get("keep", ""))
            merge = [int(v) for v in request.POST.getlist("merge")]
        except ValueError:
            keep, merge = 0, []
        if kind not in MODELS or not keep:
            messages.error(request, _("Choose the record to keep."))
            status = 400
        else:
            try:
                result = duplicates_merge(actor=request.user, kind=kind, keep=keep, merge=merge)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
                status = 400
            else:
                audit = result.audit
                moved = sum(result.moved.values())
                messages.success(
                    request,
                    ngettext(
                        "Merged %(count)s record into %(name)s; %(rows)s rows now refer to it.",
                        "Merged %(count)s records into %(name)s; %(rows)s rows now refer to it.",
                        len(audit.merged),
                    )
                    % {"count": len(audit.merged), "name": audit.kept_name, "rows": moved},
                )
                return redirect("imports:duplicates")
    context = {
        "groups": [("account", _("Accounts"), duplicates_find("account")), ("rep", _("Reps"), duplicates_find("rep"))],
        "merges": NameMerge.objects.select_related("user").prefetch_related("aliases")[:20],
    }
    return render(request, "imports/duplicates.html", context, status=status)
