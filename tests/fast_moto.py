"""Two costs of moto 5.2's DynamoDB that are the tests' own, not Rebook's: each patch
applies only where moto's code is the one it describes (a later moto is left as it is)."""

from __future__ import annotations


def apply() -> None:
    _one_backup_per_transaction()
    _attribute_values_as_kept()


def _one_backup_per_transaction() -> None:
    """moto (5.2) backs up a table before a transaction by deep-copying all of it, every
    item and stream record, once per item of the transaction: a booking's six items cost
    six copies of the whole table, a fifth of the in-process tests' time. All of them are
    taken before the first write, so they are the same backup: one copy per table is it."""
    import copy
    import inspect
    import threading
    import types

    from moto.dynamodb import models
    from moto.dynamodb.models.table import Table

    original = models.DynamoDBBackend.transact_write_items
    if "original_table_state[table_name] = copy.deepcopy(" not in inspect.getsource(original):
        return
    backups = threading.local()  # the transaction under way in this thread: its copies

    def deepcopy(obj, memo=None):
        taken = getattr(backups, "taken", None)
        if taken is None or not isinstance(obj, Table):
            return copy.deepcopy(obj, memo)
        if id(obj) not in taken:
            taken[id(obj)] = copy.deepcopy(obj, memo)
        return taken[id(obj)]

    def transact_write_items(self, transact_items):
        backups.taken = {}
        try:
            return original(self, transact_items)
        finally:
            backups.taken = None

    models.copy = types.SimpleNamespace(deepcopy=deepcopy)  # the module's `copy`
    models.DynamoDBBackend.transact_write_items = transact_write_items


# The DynamoDB attribute value types whose wire form is the JSON moto keeps (B and BS,
# binary, are base64-encoded on the way out: those take moto's own path).
_PLAIN_TYPES = frozenset({"S", "N", "BOOL", "NULL", "SS", "NS", "M", "L"})


def _plain(value: object) -> bool:
    """An attribute value already in its wire form: {"S": "..."}, {"M": {...}} ... with
    no binary anywhere in it."""
    if not isinstance(value, dict) or len(value) != 1:
        return False
    ((kind, inner),) = value.items()
    if kind not in _PLAIN_TYPES:
        return False
    if kind == "M":
        return isinstance(inner, dict) and all(_plain(v) for v in inner.values())
    if kind == "L":
        return isinstance(inner, list) and all(_plain(v) for v in inner)
    if kind in ("SS", "NS"):
        return isinstance(inner, list) and all(isinstance(v, str) for v in inner)
    return isinstance(inner, bool) if kind in ("BOOL", "NULL") else isinstance(inner, str)


def _attribute_values_as_kept() -> None:
    """moto (5.2) writes every DynamoDB response through its generic serializer, which
    looks each attribute value's ten possible members up by name and alias, one by one
    (the largest cost of moto's answers to the admin and marketing tests). moto keeps an item's attribute values in their
    wire form already ({"S": "Aino"}), which is what that walk produces for them, so a
    plain one (no binary in it) is written as it is."""
    import inspect

    from moto.core.serialize import BaseJSONSerializer, ResponseSerializer

    original = BaseJSONSerializer._serialize_type_structure
    walk = inspect.getsource(ResponseSerializer._serialize_type_structure)
    if "if shape.is_document_type:" not in inspect.getsource(original) or "shape.members.items()" not in walk:
        return

    def _serialize_type_structure(self, serialized, value, shape, key):
        if key and shape.name == "AttributeValue" and _plain(value):
            self._default_serialize(serialized, value, shape, key)
            return
        original(self, serialized, value, shape, key)

    BaseJSONSerializer._serialize_type_structure = _serialize_type_structure
