"""Costs of moto 5.2 (and of signing requests for it) that are the tests' own, not
Rebook's: each patch applies only where moto's or botocore's code is the one it describes
(a later version is left as it is)."""

from __future__ import annotations


def apply() -> None:
    _backup_only_what_a_transaction_touches()
    _attribute_values_as_kept()
    _query_only_the_partition_asked_for()
    _handler_methods_listed_once()
    _no_signature_where_none_is_checked()
    _attribute_values_taken_as_sent()
    _items_sized_once()
    _update_expressions_walked_with_one_map()
    _aws_addresses_made_once()


def _backup_only_what_a_transaction_touches() -> None:
    """moto (5.2) backs up a table before a transaction by deep-copying all of it, every
    item and stream record, once per item of the transaction, and puts the copy back if
    the transaction fails: a booking's six items cost six copies of the whole table, a
    fifth of the in-process tests' time. A transaction names each item it touches once
    (moto refuses a second operation on one), and a write changes only that item and
    appends to the table's stream: those items as they were, and the stream's length, are
    the whole backup."""
    import copy
    import inspect
    import threading
    import types

    from moto.dynamodb import models
    from moto.dynamodb.exceptions import MockValidationException, TransactionCanceledException
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    original = models.DynamoDBBackend.transact_write_items
    if "original_table_state[table_name] = copy.deepcopy(" not in inspect.getsource(original):
        return
    in_transaction = threading.local()

    def deepcopy(obj, memo=None):  # the module's copy.deepcopy: no table copy in a transaction
        if getattr(in_transaction, "on", False) and isinstance(obj, Table):
            return obj  # (so moto's own rollback puts back the table it has)
        return copy.deepcopy(obj, memo)

    def touched(backend, transact_items) -> list:
        """(table, hash key, range key, the item as it was) of each item named."""
        saved = []
        for entry in transact_items:
            op_type, op = next(iter(entry.items()))
            table = backend.tables.get(op.get("TableName")) if isinstance(op, dict) else None
            if table is None:
                continue
            attrs = op.get("Item" if op_type == "Put" else "Key")
            try:
                hash_key = DynamoType(attrs[table.hash_key_attr])
                range_key = DynamoType(attrs[table.range_key_attr]) if table.range_key_attr else None
                before = table.get_item(hash_key, range_key)
            except Exception:  # (TypeError, KeyError...) moto refuses it before any write
                continue
            saved.append((table, hash_key, range_key, copy.deepcopy(before)))
        return saved

    def put_back(saved, streams) -> None:
        for table, hash_key, range_key, before in reversed(saved):
            where, key = (table.items[hash_key], range_key) if range_key is not None else (table.items, hash_key)
            if before is None:
                where.pop(key, None)
            else:
                where[key] = before
        for shard, length in streams:
            del shard.items[length:]

    def transact_write_items(self, transact_items):
        saved = touched(self, transact_items)
        streams = {id(t): (t.stream_shard, len(t.stream_shard.items)) for t, *_ in saved if t.stream_shard}
        in_transaction.on = True
        try:
            return original(self, transact_items)
        except (TransactionCanceledException, MockValidationException):
            put_back(saved, streams.values())  # where moto puts its copies back
            raise
        finally:
            in_transaction.on = False

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


def _attribute_values_taken_as_sent() -> None:
    """The other way round: moto (5.2) reads every request through its generic parser,
    which walks each attribute value's ten possible members one by one (a third of
    moto's time taking a request in). The parser leaves a plain value (no binary in it)
    as it was sent, so it is taken as it is."""
    import inspect

    from moto.core.parse import BaseJSONParser

    original = BaseJSONParser._parse_structure
    if "for member_name in member_shapes:" not in inspect.getsource(original):
        return

    def _parse_structure(self, shape, value):
        if shape.name == "AttributeValue" and _plain(value):
            return value
        return original(self, shape, value)

    BaseJSONParser._parse_structure = _parse_structure


def _items_sized_once() -> None:
    """moto (5.2) checks an item's 400 KB limit as it builds the item, summing the sizes
    of every attribute so far at each attribute it adds: a booking's item of thirty
    attributes is sized four hundred times over (3 % of the in-process tests' time).
    The sizes only grow as attributes are added, so the whole item checked once refuses
    exactly the items that check refused."""
    import inspect

    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
    from moto.dynamodb.models.utilities import bytesize

    if "self.attrs[key] = DynamoType(value)" not in inspect.getsource(Item.__init__) or (
        "> 405000" not in inspect.getsource(LimitedSizeDict.__setitem__)
    ):
        return

    def __init__(self, hash_key, range_key, attrs):
        self.hash_key, self.range_key = hash_key, range_key
        kept = {key: DynamoType(value) for key, value in attrs.items()}
        if sum(bytesize(key) + value.size() for key, value in kept.items()) > 405000:
            raise ItemSizeTooLarge
        self.attrs = LimitedSizeDict.__new__(LimitedSizeDict)
        dict.update(self.attrs, kept)

    Item.__init__ = __init__


def _update_expressions_walked_with_one_map() -> None:
    """moto (5.2) checks an update expression with ten passes over its tree, and each pass
    builds its map of node kinds to handlers anew at every node (twice), the largest
    part of an UpdateItem's or a transaction's update in moto. A pass's map is fixed (a
    kind, a bound method of the pass): built once a pass."""
    import inspect

    from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser

    if "self._processing_map().keys()" not in inspect.getsource(DepthFirstTraverser.nodes_to_be_processed):
        return

    def handlers(self) -> dict:
        found = self.__dict__.get("_handlers")
        if found is None:
            found = self.__dict__["_handlers"] = self._processing_map()
        return found

    def nodes_to_be_processed(self) -> tuple:
        found = self.__dict__.get("_kinds")
        if found is None:
            found = self.__dict__["_kinds"] = tuple(handlers(self))
        return found

    def process(self, node):
        for kind, handler in handlers(self).items():
            if isinstance(node, kind):
                return handler(node)

    DepthFirstTraverser.nodes_to_be_processed = nodes_to_be_processed
    DepthFirstTraverser.process = process


def _aws_addresses_made_once() -> None:
    """moto (5.2) starts each mock by making a `responses` callback for every address
    pattern of every service it mocks, for each HTTP method: some 1 300 objects each test
    (2 % of the in-process tests' time). They are the same each time (a pattern, a
    method, the same callback): made once, and added again at each start."""
    import inspect
    import re

    from moto.core import models

    if "for _, pattern in backend_index.backend_url_patterns:" not in inspect.getsource(
        models.MockAWS._enable_patching
    ):
        return
    made: list = []

    def _enable_patching(self, reset: bool = True) -> None:
        models.botocore_stubber.enabled = True
        if reset:
            self.reset()
        models.responses_mock.start()
        if not made:
            for method in models.RESPONSES_METHODS:
                made.extend(
                    models.CallbackResponse(
                        method=method, url=pattern, callback=models.botocore_stubber.process_prepared_request
                    )
                    for _, pattern in models.backend_index.backend_url_patterns
                )
                made.append(
                    models.CallbackResponse(
                        method=method,
                        url=re.compile(r"https?://.+\.amazonaws.com/.*"),
                        callback=models.not_implemented_callback,
                    )
                )
        for response in made:
            models.responses_mock.add(response)

    models.MockAWS._enable_patching = _enable_patching


def _query_only_the_partition_asked_for() -> None:
    """moto (5.2) answers every Query, on the table or an index, by sorting every item of
    the table (comparing DynamoType wrappers) and then keeping those with the partition
    key asked for: the largest cost left in the in-process job tests, whose sweeps query
    a partition per hour and shard. Handed to that same code, only the items whose
    partition key is the one asked for (a string key, compared as DynamoDB compares
    strings) give the same answer: moto sorts what it keeps by the index's keys itself."""
    import inspect
    import threading

    from moto.dynamodb.models.table import Table

    query, all_items = Table.query, Table.all_items
    source = inspect.getsource(query)
    if "for item in self.all_items():" not in source or "item.hash_key == hash_key" not in source:
        return
    asked = threading.local()  # (table, its items in the partition) during one Query

    def partition(table, hash_key, index_name, hash_key_conditions) -> list | None:
        if not index_name:
            if hash_key is None or hash_key.type != "S":
                return None
            found = table.items.get(hash_key)
            if found is None:
                return []
            return list(found.values()) if table.range_key_attr else [found]
        if not hash_key_conditions or any(value.type != "S" for _, value in hash_key_conditions):
            return None
        wanted = [(name, value.value) for name, value in hash_key_conditions]
        # Copied first (list() of a dict's values runs without letting another thread in):
        # a job's sender threads write to the table while this walks it.
        return [
            item
            for hash_set in list(table.items.values())
            for item in (list(hash_set.values()) if table.range_key_attr else [hash_set])
            if all(
                (v := item.attrs.get(name)) is not None and v.type == "S" and v.value == value for name, value in wanted
            )
        ]

    signature = inspect.signature(query)

    def query_partition(self, *args, **kwargs):
        asks = signature.bind(self, *args, **kwargs).arguments
        found = partition(self, asks["hash_key"], asks.get("index_name"), asks.get("hash_key_conditions"))
        asked.now = None if found is None else (self, found)
        try:
            return query(self, *args, **kwargs)
        finally:
            asked.now = None

    def items_asked_for(self):
        now = getattr(asked, "now", None)
        return now[1] if now is not None and now[0] is self else all_items(self)

    Table.query = query_partition
    Table.all_items = items_asked_for


def _handler_methods_listed_once() -> None:
    """moto (5.2) lists the methods of a service's response handler class with
    inspect.getmembers on every request, to see whether the action is one of them: 3 % of
    the in-process tests' time. A class's methods do not change while the tests run."""
    import functools
    import inspect

    from moto.core import responses

    if "method_names = method_names_from_class(self.__class__)" not in inspect.getsource(
        responses.BaseResponse.call_action
    ):
        return
    responses.method_names_from_class = functools.cache(responses.method_names_from_class)


def _no_signature_where_none_is_checked() -> None:
    """botocore signs every request (SigV4: the canonical request, its hashes and the
    HMAC chain, 6 % of the in-process tests' time) and moto, which intercepts requests to
    AWS's own endpoints, never checks a signature (with no Authorization header it takes
    the default account, as for any key). DynamoDB Local checks that a request carries an
    access key, not the signature (-sharedDb: one database for every key): the tests'
    own requests to it carry a header of the right shape with the client's key (the KPI
    recount and overlapping-runs tests: 128 / 146 -> 108 / 121 CPU-s, two pairs). The
    mock SES/SNS server, presigned URLs and the local stacks' processes (which do not
    load this module) sign as before."""
    import inspect
    from urllib.parse import urlsplit

    from botocore.signers import RequestSigner

    original = RequestSigner.sign
    if "signing_type='standard'" not in inspect.getsource(original).replace(" ", ""):
        return

    def sign(self, operation_name, request, region_name=None, signing_type="standard", *args, **kwargs):
        if signing_type == "standard":
            host = urlsplit(request.url).hostname or ""
            if host.endswith(".amazonaws.com"):
                return None
            if host == "127.0.0.1" and self._signing_name == "dynamodb" and self._credentials is not None:
                key = self._credentials.get_frozen_credentials().access_key
                region = region_name or self._region_name
                request.headers["X-Amz-Date"] = "20260101T000000Z"
                request.headers["Authorization"] = (
                    f"AWS4-HMAC-SHA256 Credential={key}/20260101/{region}/dynamodb/aws4_request, "
                    f"SignedHeaders=host;x-amz-date, Signature={'0' * 64}"
                )
                return None
        return original(self, operation_name, request, region_name, signing_type, *args, **kwargs)

    RequestSigner.sign = sign
