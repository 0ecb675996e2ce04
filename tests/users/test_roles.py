from django.contrib.auth.models import Group, User

from kokyaku.crm.models import Rep
from kokyaku.users.roles import Role, is_manager, user_role
from kokyaku.users.services import api_token_authenticate, api_token_create, roles_ensure


def test_each_role_is_a_group_with_its_permissions(db: None) -> None:
    roles_ensure()
    manager = Group.objects.get(name="manager")
    rep = Group.objects.get(name="rep")
    manager_perms = set(manager.permissions.values_list("codename", flat=True))
    rep_perms = set(rep.permissions.values_list("codename", flat=True))
    assert "manage_portfolio" in manager_perms
    assert "manage_portfolio" not in rep_perms
    assert rep_perms < manager_perms  # a manager can do all a rep can


def test_roles_are_read_back_from_the_groups(manager: User, strong_rep: Rep, admin_user: User) -> None:
    assert strong_rep.user is not None
    assert user_role(strong_rep.user) is Role.REP
    assert user_role(manager) is Role.MANAGER
    assert user_role(admin_user) is Role.ADMIN
    assert is_manager(manager)
    assert not is_manager(strong_rep.user)


def test_api_tokens_are_stored_hashed_and_authenticate(manager: User) -> None:
    token, plain = api_token_create(user=manager, name="nightly sync")
    assert plain.startswith(f"kky_{token.prefix}_")
    assert plain not in token.key_hash
    assert api_token_authenticate(plain) == manager
    assert api_token_authenticate(plain + "x") is None
    manager.is_active = False
    manager.save()
    assert api_token_authenticate(plain) is None
