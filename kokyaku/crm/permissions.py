"""Who may make which write: every ownership rule of Kokyaku in one table, :data:`RIGHTS`.

A role is a Django group holding permissions (:mod:`kokyaku.users.roles`). Each write needs its
permissions; the writes marked ``own_only`` are further limited, for a rep, to the records their
rep owns (a manager or admin may make them on any record). Services check a write with
:func:`check` before touching anything; pages ask :func:`allowed` to decide what to offer.
tests/crm/test_permissions.py runs every write of this table for every role.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from kokyaku.crm.models import Rep
from kokyaku.users.roles import MANAGE_PORTFOLIO

AnyUser = User | AbstractBaseUser | AnonymousUser


def rep_of(user: object) -> Rep | None:
    """Return the rep linked to a login ("which rep is this login"), or None (anonymous, or no rep)."""
    rep = getattr(user, "rep", None)
    return rep if isinstance(rep, Rep) else None


@dataclass(frozen=True)
class Right:
    """One kind of write: the permissions it needs and whether a rep may make it only on their own records."""

    perms: tuple[str, ...]
    own_only: bool = False
    refused: StrOrPromise = _("Your role does not allow this change.")  # noqa: RUF009 - a lazy string, translated when shown
    not_owner: StrOrPromise = ""


RIGHTS: dict[str, Right] = {
    # crm: the records reps work on
    "account_update": Right(("crm.change_account",), own_only=True, not_owner=_("You can only edit accounts you own.")),
    "account_reassign": Right((MANAGE_PORTFOLIO,), refused=_("Only a manager can change an account's owner.")),
    "deal_update": Right(("crm.change_deal",), own_only=True, not_owner=_("You can only edit deals you own.")),
    "deal_reassign": Right((MANAGE_PORTFOLIO,), refused=_("Only a manager can change a deal's owner.")),
    "activity_create": Right(
        ("crm.add_activity",), own_only=True, not_owner=_("You can only log activities on accounts you own.")
    ),
    "activity_for_another_rep": Right((MANAGE_PORTFOLIO,), refused=_("You can only log your own activities.")),
    "churn_record": Right(
        ("crm.change_account",), own_only=True, not_owner=_("You can only record a departure for accounts you own.")
    ),
    "churn_withdraw": Right(
        ("crm.change_account",), own_only=True, not_owner=_("You can only withdraw a departure of accounts you own.")
    ),
    # crm: what managers and admins set up
    "target_set": Right(("crm.add_target", "crm.change_target")),
    "company_settings_update": Right(("crm.change_companysettings",)),
    "lost_reason_create": Right(("crm.add_lostreason",)),
    "lost_reason_set_active": Right(("crm.change_lostreason",)),
    "login_create": Right(("auth.add_user",)),
    # portfolio
    "criteria_create": Right((MANAGE_PORTFOLIO,), refused=_("Only managers can change the portfolio criteria.")),
    "snapshot_create": Right((MANAGE_PORTFOLIO,), refused=_("Only managers can compute snapshots.")),
    "snapshot_delete": Right((MANAGE_PORTFOLIO,), refused=_("Only managers can delete snapshots.")),
    # jobs: queueing heavy work (each kind also needs its own right: snapshot_create, model_train, ...)
    "job_enqueue": Right((MANAGE_PORTFOLIO,), refused=_("Only managers can start background jobs.")),
    "job_cancel": Right((MANAGE_PORTFOLIO,), refused=_("Only managers can cancel background jobs.")),
    # prediction
    "model_train": Right((MANAGE_PORTFOLIO,), refused=_("Only managers can train the probability models.")),
    # followups: the assignee works the task; managers may reassign
    "followup_complete": Right(
        ("crm.change_account",), own_only=True, not_owner=_("You can only close follow-ups assigned to you.")
    ),
    "followup_cancel": Right(
        ("crm.change_account",), own_only=True, not_owner=_("You can only close follow-ups assigned to you.")
    ),
    "followup_reassign": Right((MANAGE_PORTFOLIO,), refused=_("Only a manager can reassign a follow-up.")),
    # assignment
    "account_release": Right(("crm.change_account",), own_only=True, not_owner=_("You can only release accounts you own.")),
    "handover_done": Right(("crm.change_account",), own_only=True, not_owner=_("You can only close your own hand-overs.")),
    "account_pin": Right((MANAGE_PORTFOLIO,), refused=_("Only managers can pin accounts to their owner.")),
    "assignment_policy_update": Right((MANAGE_PORTFOLIO,), refused=_("Only managers can change the assignment policy.")),
    "assignment_plan": Right((MANAGE_PORTFOLIO,), refused=_("Only managers can make and review assignment plans.")),
    "assignment_apply": Right((MANAGE_PORTFOLIO,), refused=_("Only managers can apply an assignment plan.")),
    # buyers: the checklist, the type, key persons and objections of an account (the whole team reads them)
    "buyer_type_update": Right(
        ("crm.change_account",), own_only=True, not_owner=_("You can only set the buyer type of accounts you own.")
    ),
    "key_person_update": Right(
        ("crm.change_account",), own_only=True, not_owner=_("You can only edit the key persons of accounts you own.")
    ),
    "objection_update": Right(
        ("crm.change_account",), own_only=True, not_owner=_("You can only log objections on accounts you own.")
    ),
    # imports: one customer (or rep) under one name
    "duplicates_merge": Right((MANAGE_PORTFOLIO,), refused=_("Only managers can merge duplicate accounts and reps.")),
    "buyer_suggestions_compute": Right((MANAGE_PORTFOLIO,), refused=_("Only managers can recompute the buyer-type suggestions.")),
}


def _has_perms(user: object, perms: tuple[str, ...]) -> bool:
    return isinstance(user, User) and user.is_active and all(user.has_perm(p) for p in perms)


def refusal(user: object, write: str, *, owner_id: int | None = None) -> StrOrPromise | None:
    """Return why ``user`` may not make ``write`` (on a record owned by rep ``owner_id``), or None if they may."""
    right = RIGHTS[write]
    if not _has_perms(user, right.perms):
        return right.refused
    if right.own_only and not _has_perms(user, (MANAGE_PORTFOLIO,)):
        rep = rep_of(user)
        if rep is None or rep.pk != owner_id:
            return right.not_owner
    return None


def allowed(user: object, write: str, *, owner_id: int | None = None) -> bool:
    """True when ``user`` may make ``write`` (on a record owned by rep ``owner_id``, for own-only writes)."""
    return refusal(user, write, owner_id=owner_id) is None


def check(user: object | None, write: str, *, owner_id: int | None = None) -> None:
    """Raise PermissionDenied (with the rule's message) unless ``user`` may make ``write``.

    ``user`` None is the system itself (a command line or cron job), which may make every write.
    """
    if user is None:
        return
    reason = refusal(user, write, owner_id=owner_id)
    if reason is not None:
        raise PermissionDenied(str(reason))
