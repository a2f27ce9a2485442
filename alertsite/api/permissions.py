"""Model permissions, including view permissions and per-action permissions."""

from rest_framework.permissions import DjangoModelPermissions

VIEW = "%(app_label)s.view_%(model_name)s"


class ModelPermissions(DjangoModelPermissions):
    """DjangoModelPermissions that also require the view permission to read.

    A viewset's `action_permissions` maps an extra action (`read`, `generate`…)
    to the permissions it needs instead of the method's default. A method the
    route does not offer passes through, so every role sees the same 405.
    """

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": [VIEW],
        "OPTIONS": [VIEW],
        "HEAD": [VIEW],
    }

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        action_perms = getattr(view, "action_permissions", {}).get(getattr(view, "action", None))
        if action_perms is not None:
            return request.user.has_perms(action_perms)
        if request.method not in view.allowed_methods:
            return True
        return super().has_permission(request, view)

    def _queryset(self, view):
        # Only the model is read: a view's class `queryset` names it without
        # building `get_queryset()` (annotations…) a second time per request.
        # A view's `get_queryset` narrows the rows, never changes the model.
        queryset = getattr(type(view), "queryset", None)
        if queryset is not None:
            return queryset
        return super()._queryset(view)
