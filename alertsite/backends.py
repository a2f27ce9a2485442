"""Authentication backend: Django's, with a user's permissions loaded in one query."""

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission


class SingleQueryModelBackend(ModelBackend):
    """`ModelBackend` whose `get_all_permissions` reads user and group permissions together.

    Every API request checks a model permission; Django's backend loads the
    user's own permissions and their groups' in two queries, one of the few
    fixed costs of a short request (bench/run). The set is the same, still
    cached on the user object for that request only.
    """

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser:
                rows = _names(Permission.objects.all())
            else:
                own = _names(Permission.objects.filter(user=user_obj))
                rows = own.union(_names(Permission.objects.filter(group__user=user_obj)))
            user_obj._perm_cache = {f"{app_label}.{codename}" for app_label, codename in rows}
        return user_obj._perm_cache


def _names(permissions):
    return permissions.values_list("content_type__app_label", "codename").order_by()
