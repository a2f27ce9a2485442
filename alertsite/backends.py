"""Authentication backend: Django's, with a user's permissions loaded in one query."""

from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission, PermissionsMixin
from django.contrib.contenttypes.models import ContentType
from django.db import connections, router
from django.db.models import TextField
from django.db.models.expressions import RawSQL

# Stands for the user's id while the query is compiled (no user has it).
_USER_ID = -7
# Separates the `app_label.codename` names aggregated into one column: no app label or
# permission codename holds a space (tests/test_auth_backend.py checks every one).
_SEPARATOR = " "
# The string aggregate of each database the project runs on (DESIGN §1).
_STRING_AGG = {"postgresql": "STRING_AGG", "sqlite": "GROUP_CONCAT"}


class SingleQueryModelBackend(ModelBackend):
    """`ModelBackend` whose `get_all_permissions` reads user and group permissions together.

    Every API request checks a model permission; Django's backend loads the
    user's own permissions and their groups' in two queries, one of the few
    fixed costs of a short request (bench/run). Here it is one statement,
    compiled once per database: building the ORM query took longer than
    running it. The set is the same, still cached on the user object for that
    request only.
    """

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser:
                rows = _names(Permission.objects.all())
            else:
                alias = router.db_for_read(Permission)
                sql, params = _permissions_sql(alias)
                with connections[alias].cursor() as cursor:
                    cursor.execute(sql, [user_obj.pk if p == _USER_ID else p for p in params])
                    rows = cursor.fetchall()
            user_obj._perm_cache = {f"{app_label}.{codename}" for app_label, codename in rows}
        return user_obj._perm_cache


def user_with_permissions(user_id: int):
    """The user with this id and, read by the same statement, their permissions; or None.

    An API request needs both: the user its token names, then a permission
    check. Read together they cost one round trip instead of two, and the
    permissions are still the database's at this request (`_perm_cache` lives
    on this user object, which lives for this request only). A superuser's
    or an inactive user's set is left to the backend: it does not come from
    these tables (all permissions, or none). The statement is compiled once
    per database, as building it with the ORM took longer than running it.
    """
    user_model = get_user_model()
    alias = router.db_for_read(user_model)
    statement = _user_statement(alias)
    if statement is None:
        return user_model._default_manager.using(alias).filter(pk=user_id).first()
    sql, params, columns, attnames = statement
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id if param == _USER_ID else param for param in params])
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for index, column in enumerate(columns):
        for convert in connection.ops.get_db_converters(column) + column.get_db_converters(connection):
            values[index] = convert(values[index], column, connection)
    names = values.pop()
    user = user_model.from_db(alias, attnames, values)
    if user.is_active and not user.is_superuser:
        user._perm_cache = set(names.split(_SEPARATOR)) if names else set()
    return user


@cache
def _user_statement(alias: str):
    """`(sql, params, columns, attnames)` of the user row with a last `permission_names` column."""
    names_sql = _permission_names_sql(alias)
    if names_sql is None:
        return None
    user_model = get_user_model()
    queryset = (
        user_model._default_manager.using(alias)
        .annotate(permission_names=RawSQL(names_sql, (), output_field=TextField()))
        .filter(pk=_USER_ID)
    )
    compiler = queryset.query.get_compiler(alias)
    sql, params = compiler.as_sql()
    assert list(params).count(_USER_ID) == 1, params
    columns = [expression for expression, _sql, _alias in compiler.select]
    attnames = [field.attname for field in user_model._meta.concrete_fields]
    assert len(columns) == len(attnames) + 1, columns
    return sql, tuple(params), columns, attnames


@cache
def _permission_names_sql(alias: str) -> str | None:
    """A subquery of the user row: their own and their groups' permissions, `app.codename` joined.

    None when the user model is not Django's kind or the database has no string aggregate.
    """
    user_model = get_user_model()
    aggregate = _STRING_AGG.get(connections[alias].vendor)
    if (
        aggregate is None
        or not issubclass(user_model, PermissionsMixin)
        or router.db_for_read(Permission) != alias
    ):
        return None
    quote = connections[alias].ops.quote_name
    own = user_model.user_permissions.through._meta
    member = user_model.groups.through._meta
    granted = Group.permissions.through._meta
    user = f"{quote(user_model._meta.db_table)}.{quote(user_model._meta.pk.column)}"
    return (
        f"(SELECT {aggregate}(ct.app_label || '.' || p.codename, '{_SEPARATOR}') "
        f"FROM {quote(Permission._meta.db_table)} p "
        f"JOIN {quote(ContentType._meta.db_table)} ct ON ct.id = p.content_type_id "
        f"WHERE p.id IN (SELECT permission_id FROM {quote(own.db_table)} WHERE user_id = {user}) "
        f"OR p.id IN (SELECT g.permission_id FROM {quote(granted.db_table)} g "
        f"JOIN {quote(member.db_table)} m ON m.group_id = g.group_id WHERE m.user_id = {user}))"
    )


@cache
def _permissions_sql(alias: str) -> tuple[str, tuple]:
    own = _names(Permission.objects.using(alias).filter(user=_USER_ID))
    groups = _names(Permission.objects.using(alias).filter(group__user=_USER_ID))
    sql, params = own.union(groups).query.sql_with_params()
    assert list(params).count(_USER_ID) == 2, params
    return sql, tuple(params)


def _names(permissions):
    return permissions.values_list("content_type__app_label", "codename").order_by()
