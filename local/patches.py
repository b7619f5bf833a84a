"""Workarounds for moto limitations that matter to the local stack, applied once.

`TransactWriteItems`: moto deep-copies every table a transaction touches (items and
stream records included, once per action) so it can roll back. The cost grows with the
table, and every Stint write is a transaction, so a long-running local stack slowed down
from milliseconds to seconds per write. The patch keeps moto's own implementation but
turns its whole-table copy into a no-op, snapshotting instead only the items the
transaction names and the length of each stream; on failure those items are put back and
the stream records the transaction added are dropped, which is what moto's rollback
achieved. It relies on the emulator's lock: nothing else runs in moto during the call.

`Query`: moto sorts every item of the table (`Table.all_items`) and then keeps those of the
queried partition, on every query, and sizes every item of it, in the key's range or not;
Stint's reads are all queries of one user's partition (the table's or a local secondary
index's, whose partition is the table's), so a query's cost grew with every user's data. The
patch hands moto's own query only the partition's items in the queried range of the one sort
key (sorted as `all_items` sorts them; moto checks the range again), when the queried key is
the table's partition key; other queries (a global index with another key) run as they did.

`UpdateItem` (every Stint write is one in a transaction): moto deep-copies the parsed update
expression before validating it, which took longer than the rest of the write; the copy is
made by pickling instead (the same tree, a tenth of the time).

DynamoDB's calls: moto's server runs each through Flask (its routing, request context and
response object) only to call `DynamoHandler.dispatch` with the request; `without_flask`
calls it directly, as moto's own in-process mock does.

Every call: moto's server lists its own package's directories to route it
(`list_of_moto_modules`) and the handler class's methods to find the action
(`method_names_from_class`); neither changes while the stack runs, so both are kept.

Answers with items (`Query`, `GetItem`, ..., and the streams' `GetRecords`): moto 5.2
serializes every answer by walking the operation's output shape, trying several spellings of
each member of every attribute value; for a query of a few dozen items that was most of the
call. Their results are already the wire's JSON (items as `{type: value}`; binaries as bytes
and timestamps as datetimes, which become base64 and epoch seconds as the serializer makes
them), so they are written with `json.dumps`; any other answer (errors included) goes through
moto's serializer as before.

Keys: moto makes an RSA key pair for every KMS key it creates, symmetric ones included, such
as the key of the table's server-side encryption (a twentieth of a second for every table a
test makes): the pair is made when something first uses it. Every moto user pool reads and
imports the same signing key from moto's resources: it is imported once.

Cognito's SRP sign-in (`USER_SRP_AUTH`): moto signs in whoever answers the password challenge,
whatever the password; local/srp.py checks the proof as Cognito does.
"""

from __future__ import annotations

import base64
import calendar
import contextlib
import copy
import datetime
import functools
import inspect
import json
import logging
import pickle
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from types import SimpleNamespace
from typing import Any

from joserfc import jwk
from moto import backends as moto_backends
from moto.cognitoidp import models as cognito_models
from moto.core import responses as moto_responses
from moto.core.responses import ActionResult
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table
from moto.dynamodb.parsing import validators
from moto.kms import models as kms_models
from moto.kms import utils as kms_utils

from local import srp

log = logging.getLogger("stint.local")

_APPLIED = "_stint_local_patched"


def apply() -> None:
    """Patch moto (idempotent)."""
    original = DynamoDBBackend.transact_write_items
    if getattr(original, _APPLIED, False):
        return

    @functools.wraps(original)
    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        snapshot = _Snapshot.take(self, transact_items)
        try:
            with _tables_not_copied():
                original(self, transact_items)
        except Exception:
            snapshot.restore()
            raise

    setattr(transact_write_items, _APPLIED, True)
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    srp.install()
    _patch_query()
    _patch_item_answers()
    modules = tuple(moto_backends.list_of_moto_modules())
    moto_backends.list_of_moto_modules = lambda: modules
    moto_responses.method_names_from_class = functools.cache(moto_responses.method_names_from_class)
    validators.deepcopy = _copy_tree  # type: ignore[assignment]
    kms_models.generate_private_key = _KeyPairWhenUsed  # type: ignore[assignment]
    cognito_models.jwk = SimpleNamespace(RSAKey=SimpleNamespace(import_key=_pool_signing_key))  # type: ignore[assignment]


@functools.cache
def _imported_pool_key(text: str) -> jwk.RSAKey:
    return jwk.RSAKey.import_key(json.loads(text))


def _pool_signing_key(data: dict[str, Any]) -> jwk.RSAKey:
    """moto's pools' key (the one key of its resources), imported once."""
    return _imported_pool_key(json.dumps(data, sort_keys=True))


class _KeyPairWhenUsed:
    """A KMS key's pair, made by moto's own function the first time it is used."""

    def __init__(self, key_spec: str) -> None:
        self._key_spec = key_spec
        self._pair: Any = None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # pickle and copy look for hooks before __init__'s attributes
            raise AttributeError(name)
        if self._pair is None:
            self._pair = kms_utils.generate_private_key(self._key_spec)
        return getattr(self._pair, name)


def _copy_tree(tree: Any) -> Any:
    """An update expression's syntax tree, copied as `copy.deepcopy` copies it."""
    try:
        return pickle.loads(pickle.dumps(tree, protocol=pickle.HIGHEST_PROTOCOL))
    except (pickle.PicklingError, TypeError, AttributeError) as error:  # not a plain tree
        log.info("an update expression's tree does not pickle (%r): deep-copied", error)
        return copy.deepcopy(tree)


def _patch_query() -> None:
    original = Table.query
    signature = inspect.signature(original)

    @functools.wraps(original)
    def query(self: Table, *args: Any, **kwargs: Any) -> Any:
        partition = _partition(self, signature.bind(self, *args, **kwargs).arguments)
        if partition is None:
            return original(self, *args, **kwargs)
        self.all_items = lambda: partition  # type: ignore[method-assign]
        try:
            return original(self, *args, **kwargs)
        finally:
            del self.all_items

    Table.query = query  # type: ignore[method-assign]


def _partition(table: Table, arguments: dict[str, Any]) -> list[Item] | None:
    """The items of the partition a query reads, in `all_items`' order; None if it reads
    another index's partitions."""
    index_name = arguments.get("index_name")
    if index_name:
        index = table.get_index(index_name)
        hashes = [key["AttributeName"] for key in index.schema if key["KeyType"] == "HASH"]
        if hashes != [table.hash_key_attr]:
            return None
    conditions = dict(arguments.get("hash_key_conditions") or [])
    value = conditions.get(table.hash_key_attr, arguments.get("hash_key"))
    if not isinstance(value, DynamoType):
        return None
    found: Any = table.items.get(value)
    if found is None:
        return []
    if table.range_key_attr is None:
        return [found]
    kept = _in_range(table, index_name, arguments, list(found.values()))
    # One cast a key, not two a comparison as DynamoType's `<` does; the same order.
    return sorted(kept, key=lambda item: item.range_key.cast_value)  # type: ignore[union-attr]


def _in_range(
    table: Table, index_name: str | None, arguments: dict[str, Any], items: list[Item]
) -> list[Item]:
    """The items whose sort key (the table's or the index's) is in the queried range."""
    comparison = arguments.get("range_comparison")
    if not comparison or len(arguments.get("range_key_conditions") or []) > 1:
        return items
    attribute = table.range_key_attr or ""
    if index_name:
        ranges = [
            k["AttributeName"]
            for k in table.get_index(index_name).schema
            if k["KeyType"] == "RANGE"
        ]
        if len(ranges) != 1:
            return items
        attribute = ranges[0]
    values = arguments.get("range_objs") or []
    kept = []
    for item in items:
        key = item.attrs.get(attribute)
        if key is not None and key.compare(comparison, values):
            kept.append(item)
    return kept


@contextlib.contextmanager
def _tables_not_copied() -> Iterator[None]:
    """`copy.deepcopy(table)` returns the table itself while inside."""
    own = Table.__dict__.get("__deepcopy__")
    Table.__deepcopy__ = lambda table, memo: table  # type: ignore[attr-defined]
    try:
        yield
    finally:
        if own is None:
            del Table.__deepcopy__  # type: ignore[attr-defined]
        else:
            Table.__deepcopy__ = own  # type: ignore[attr-defined]


Key = tuple[DynamoType, DynamoType | None]


@dataclass
class _Snapshot:
    """The items a transaction names, as they were, and each table's stream length."""

    items: dict[tuple[str, Key], Item | None] = field(default_factory=dict)
    stream_lengths: dict[str, int] = field(default_factory=dict)
    tables: dict[str, Table] = field(default_factory=dict)

    @classmethod
    def take(cls, backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> _Snapshot:
        snapshot = cls()
        for action in transact_items:
            for operation in action.values():
                table = backend.tables.get(operation.get("TableName", ""))
                key = _key(table, operation) if table is not None else None
                if table is None or key is None:
                    continue  # moto rejects it before writing anything
                snapshot.tables[table.name] = table
                if table.stream_shard is not None:
                    snapshot.stream_lengths[table.name] = len(table.stream_shard.items)
                current = table.get_item(*key)
                snapshot.items[(table.name, key)] = copy.deepcopy(current)
        return snapshot

    def restore(self) -> None:
        for (table_name, (hash_key, range_key)), item in self.items.items():
            items: Any = self.tables[table_name].items  # {hash: item} or {hash: {range: item}}
            if range_key is not None:
                if item is None:
                    items.get(hash_key, {}).pop(range_key, None)
                else:
                    items[hash_key][range_key] = item
            elif item is None:
                items.pop(hash_key, None)
            else:
                items[hash_key] = item
        for table_name, length in self.stream_lengths.items():
            shard = self.tables[table_name].stream_shard
            if shard is not None:
                del shard.items[length:]


def _key(table: Table, operation: dict[str, Any]) -> Key | None:
    attributes = operation.get("Item") or operation.get("Key") or {}
    if table.hash_key_attr not in attributes:
        return None
    hash_key = DynamoType(attributes[table.hash_key_attr])
    if table.range_key_attr is None:
        return hash_key, None
    if table.range_key_attr not in attributes:
        return None
    return hash_key, DynamoType(attributes[table.range_key_attr])


# (service, operation): the top-level keys of the results written with json.dumps.
_PLAIN_ANSWERS: dict[tuple[str, str], frozenset[str]] = {
    **dict.fromkeys(
        (
            ("dynamodb", operation)
            for operation in (
                *("Query", "Scan", "GetItem", "BatchGetItem", "TransactGetItems"),
                *("PutItem", "UpdateItem", "DeleteItem"),
            )
        ),
        frozenset(
            {
                *("Count", "ScannedCount", "Items", "LastEvaluatedKey", "Item", "Attributes"),
                *("ConsumedCapacity", "Responses", "UnprocessedKeys", "ItemCollectionMetrics"),
            }
        ),
    ),
    ("dynamodbstreams", "GetRecords"): frozenset({"Records", "NextShardIterator"}),
}


def _patch_item_answers() -> None:
    original = ActionResult.execute_result

    @functools.wraps(original)
    def execute_result(self: ActionResult, context: Any) -> Any:
        body = _plain_answer(self.result, context.operation_model)
        if body is None:
            return original(self, context)
        version = context.operation_model.service_model.metadata.get("jsonVersion", "1.0")
        headers = {"Content-Type": f"application/x-amz-json-{version}"}
        return context.operation_model.http.get("responseCode", 200), headers, body

    ActionResult.execute_result = execute_result  # type: ignore[method-assign]


def _plain_answer(result: Any, operation: Any) -> str | None:
    """The JSON of an answer made of items (or stream records), or None: moto serializes it."""
    keys = _PLAIN_ANSWERS.get((operation.service_model.service_name, operation.name))
    if keys is None or not isinstance(result, dict) or not result.keys() <= keys:
        return None
    if None in result.values():
        return None
    body = json.dumps(result, default=_wire_value)
    if operation.name == "GetRecords" and ('{"B": ' in body or '{"BS": ' in body):
        return None  # a stream record's binaries are base64 already; moto encodes them again
    return body


def _wire_value(value: Any) -> Any:
    """What moto's JSON serializer makes of a binary (base64) and a timestamp (epoch seconds,
    to the millisecond; a naive one is UTC)."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, datetime.datetime):
        seconds = calendar.timegm(value.utctimetuple())
        return seconds + (value.microsecond // 1000) / 1000.0 if value.microsecond else seconds
    raise TypeError(f"{type(value).__name__} is not a value of an item")


DYNAMODB_TARGET = "DynamoDB_20120810."
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Any]


def without_flask(app: WsgiApp) -> WsgiApp:
    """moto's server app, DynamoDB's calls handed to moto's handler without Flask."""
    from botocore.exceptions import ClientError
    from moto.core.request import Request
    from moto.dynamodb.responses import DynamoHandler

    def dynamodb_first(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if not target.startswith(DYNAMODB_TARGET) or environ.get("REQUEST_METHOD") != "POST":
            return app(environ, start_response)
        request = Request(environ)
        try:
            status, headers, body = DynamoHandler.dispatch(
                request, request.raw_url, dict(request.headers)
            )
        except ClientError as error:  # answered as moto's Flask view answers it
            log.info("%s: moto raised %s", target, error)
            status, headers, body = 400, {}, error.response["Error"]["Message"]
        data = body.encode() if isinstance(body, str) else bytes(body)
        answer = [(k, str(v)) for k, v in headers.items() if k.lower() != "content-length"]
        answer.append(("Content-Length", str(len(data))))
        start_response(f"{int(status)} {HTTPStatus(int(status)).phrase}", answer)
        return [data]

    return dynamodb_first
