"""A view's configuration against its form: checked when saved (every problem at its path, field
names made stable ids), and made to fit the form as it is now when read (fields deleted since
are dropped, with a warning, instead of breaking the view)."""

from __future__ import annotations

from typing import Any

import msgspec

from tack.access.filters import SYSTEM_FIELDS, check_filter, check_sort, field_id, pruned, with_ids
from tack.core.errors import FieldError, ValidationFailed
from tack.forms.definition import CompiledForm
from tack.views.models import ViewColumn, ViewConfig, ViewKind, ViewSort

# What each kind's own setting may point at (field types; system fields by name).
GROUPABLE = frozenset({"select"})
DATED = frozenset({"date", "datetime", "created_at", "updated_at"})
COVERS = frozenset({"image"})
REQUIRED: dict[str, str] = {"kanban": "group_by", "calendar": "date_field"}
OWN_SETTINGS: dict[str, frozenset[str]] = {"group_by": frozenset({"kanban"}),
                                           "date_field": frozenset({"calendar"}),
                                           "end_date_field": frozenset({"calendar"}),
                                           "cover_field": frozenset({"gallery"})}
ALLOWED_TYPES: dict[str, frozenset[str]] = {"group_by": GROUPABLE, "date_field": DATED, "end_date_field": DATED,
                                            "cover_field": COVERS}
TYPE_NAMES = {"group_by": "a single-select field", "date_field": "a date or date-time field",
              "end_date_field": "a date or date-time field", "cover_field": "an image field"}


def type_of(form: CompiledForm, key: str) -> str | None:
    c = form.by_key.get(key)
    if c is not None:
        return c.fd.type
    return key if key in SYSTEM_FIELDS else None


def checked(form: CompiledForm, kind: ViewKind, config: ViewConfig, path: str = "$.config") -> ViewConfig:
    """`config` with fields named by id; ValidationFailed naming each problem otherwise."""
    errors: list[FieldError] = []
    if config.filter is not None:
        try:
            check_filter(form, config.filter, f"{path}.filter")
        except ValidationFailed as exc:
            errors.extend(exc.errors)
    if config.sort:
        try:
            check_sort(form, msgspec.to_builtins(config.sort), f"{path}.sort")
        except ValidationFailed as exc:
            errors.extend(exc.errors)
    seen: set[str] = set()
    for i, col in enumerate(config.columns):
        p = f"{path}.columns[{i}].field"
        fid = field_id(form, col.field)
        c = form.by_key.get(col.field)
        if fid is None:
            errors.append(FieldError(path=p, message=f"The form has no field {col.field!r}.", rule="unknown-field"))
        elif c is not None and not c.ftype.stores_value:
            errors.append(FieldError(path=p, message=f"{c.fd.name!r} is a layout element, not a column.",
                                     rule="type"))
        elif fid in seen:
            errors.append(FieldError(path=p, message="This column is listed twice.", rule="duplicate"))
        else:
            seen.add(fid)
    for setting, kinds in OWN_SETTINGS.items():
        key = getattr(config, setting)
        p = f"{path}.{setting}"
        if key is None:
            if REQUIRED.get(kind) == setting:
                errors.append(FieldError(path=p, message=f"A {kind} view needs {TYPE_NAMES[setting]}.",
                                         rule="required"))
            continue
        if kind not in kinds:
            errors.append(FieldError(path=p, message=f"Only a {' or '.join(sorted(kinds))} view has {setting}.",
                                     rule="kind"))
            continue
        t = type_of(form, key)
        if t is None:
            errors.append(FieldError(path=p, message=f"The form has no field {key!r}.", rule="unknown-field"))
        elif t not in ALLOWED_TYPES[setting]:
            errors.append(FieldError(path=p, message=f"{key!r} is not {TYPE_NAMES[setting]}.", rule="type"))
    if errors:
        raise ValidationFailed("The view is not valid.", errors=errors[:100])
    return _with_ids(form, config)


def fitted(form: CompiledForm, config: ViewConfig) -> tuple[ViewConfig, list[str]]:
    """`config` without what the form no longer has, and a warning for each thing dropped."""
    warnings: list[str] = []

    def gone(key: str, where: str) -> bool:
        if type_of(form, key) is None:
            warnings.append(f"{where}: the field {key} no longer exists and was left out.")
            return True
        return False

    tree, dropped = pruned(form, config.filter)
    warnings.extend(f"filter: the condition on {f} no longer fits the form and was left out." for f in dropped)
    changes: dict[str, Any] = {
        "filter": tree,
        "sort": [s for s in config.sort if not gone(s.field, "sort")],
        "columns": [c for c in config.columns if not gone(c.field, "columns")],
    }
    for setting in OWN_SETTINGS:
        key = getattr(config, setting)
        # A field that is still there but changed type no longer fits the setting either.
        if key is not None and (gone(key, setting) or type_of(form, key) not in ALLOWED_TYPES[setting]):
            if type_of(form, key) is not None:
                warnings.append(f"{setting}: the field {key} is no longer {TYPE_NAMES[setting]}.")
            changes[setting] = None
    return msgspec.structs.replace(config, **changes), warnings


def _with_ids(form: CompiledForm, config: ViewConfig) -> ViewConfig:
    def fid(key: str | None) -> str | None:
        return None if key is None else field_id(form, key) or key

    return msgspec.structs.replace(
        config,
        filter=with_ids(form, config.filter) if config.filter is not None else None,
        sort=[ViewSort(field=fid(s.field) or s.field, direction=s.direction) for s in config.sort],
        columns=[ViewColumn(field=fid(c.field) or c.field, width=c.width) for c in config.columns],
        **{s: fid(getattr(config, s)) for s in OWN_SETTINGS})
