"""Fixes to moto's server that keep the local saga's cost per order flat. Each could go
upstream as it is; `apply()` installs them in the emulator process (`moto_main`) only.
(`moto_patches` holds what Terraform's provider needs of moto; these are about speed.)

1. **SQS: a receive checks a message's retention without recomputing the queue's attributes.**
   `SQSBackend.receive_message` calls `is_message_valid_based_on_retention_period` for every
   message it hands out, and that reads `MessageRetentionPeriod` through
   `get_queue_attributes`, which builds *every* attribute, among them three counts that each
   walk the whole queue. A receive of 10 from a queue 500 deep walked 15,000 messages. The fix
   reads the one attribute the check needs.

2. **DynamoDB: `TransactWriteItems` keeps a copy of the items it touches, not of the tables.**
   Before it writes, `DynamoDBBackend.transact_write_items` deep-copies every table the
   transaction names, to roll back should an item fail its condition. Its cost grows with the
   table: on a products table that also holds one reservation per order, each order cost more
   than the last. The fix records each touched item as it was (or its absence) and puts back
   just those on rollback; the function is otherwise moto's own, step for step. Tables with a
   stream keep the whole-table copy (rolling back there must also take back stream records).

3. **SNS and SQS forget what they only keep for introspection.** A topic appends every message
   ever published to `Topic.sent_notifications` (for tests that look inside moto), and a queue
   adds every receipt handle it ever deleted to `Queue.deleted_messages` (so that deleting a
   message twice is harmless, as on AWS); neither is ever pruned, so the emulator grew by about
   12 KB an order. The fix keeps the last `RECENT` of each: a repeated delete of any recent
   message is still harmless.

4. **Every model instance no longer lives forever.** moto's `BaseModel.__new__` appends each
   instance it creates (every SQS message and its copy handed to a receive, every DynamoDB
   item version, every S3 key) to a class-wide list, `instances_tracked`, for its dashboard
   (`/moto-api/data.json`); nothing ever removes them, so the emulator kept every message ever
   sent, about 3 KB each. The fix tracks instances by weak reference: the dashboard still
   lists what exists, and what moto has let go of is freed.

All are checked against the moto version they were written for; with another version they are
left out (and the emulator works as moto does), so an upgrade never runs a stale copy.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import weakref
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any

from moto import __version__ as moto_version
from moto.core.common_models import BaseModel
from moto.core.utils import unix_time
from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    ConditionalCheckFailed,
    MockValidationException,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.sns.models import Topic
from moto.sqs.models import Message, Queue, SQSBackend

log = logging.getLogger(__name__)

WRITTEN_FOR = ("5.2.",)
"""moto releases whose code these functions mirror."""

RECENT = 1_000
"""How many published messages a topic, and deleted receipt handles a queue, remember."""

_applied = False


def apply() -> bool:
    """Install both fixes once; False (and a warning) if this moto is not one they fit."""
    global _applied
    if _applied:
        return True
    if not moto_version.startswith(WRITTEN_FOR):
        log.warning("moto %s: emulator fixes written for %s left out", moto_version, WRITTEN_FOR)
        return False
    SQSBackend.is_message_valid_based_on_retention_period = _retained  # type: ignore[method-assign]
    DynamoDBBackend.transact_write_items = _transact_write_items  # type: ignore[method-assign]
    _forget_old(Topic, "sent_notifications", lambda: deque(maxlen=RECENT))
    _forget_old(Queue, "deleted_messages", lambda: RecentSet(RECENT))
    BaseModel.__new__ = _tracked_weakly  # type: ignore[method-assign]
    _applied = True
    return True


class RecentSet:
    """The members of a set that were added last, at most `size` of them (the oldest go)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._members: dict[str, None] = {}

    def __contains__(self, member: object) -> bool:
        return member in self._members

    def __iter__(self) -> Iterator[str]:
        return iter(self._members)

    def __len__(self) -> int:
        return len(self._members)

    def add(self, member: str) -> None:
        self.update((member,))

    def update(self, members: Iterable[str]) -> None:
        for member in members:
            self._members.pop(member, None)
            self._members[member] = None
        while len(self._members) > self._size:
            del self._members[next(iter(self._members))]


class WeakInstances:
    """A class's live instances, held by weak reference; `append` as moto's list has it."""

    def __init__(self) -> None:
        self._refs: dict[int, weakref.ref[Any]] = {}

    def append(self, instance: Any) -> None:
        key, refs = id(instance), self._refs

        def gone(ref: weakref.ref[Any]) -> None:
            if refs.get(key) is ref:
                del refs[key]

        # A class with __slots__ and no __weakref__ is left untracked.
        with contextlib.suppress(TypeError):
            refs[key] = weakref.ref(instance, gone)

    def __iter__(self) -> Iterator[Any]:
        return (found for ref in list(self._refs.values()) if (found := ref()) is not None)

    def __len__(self) -> int:
        return len(self._refs)


def _tracked_weakly(cls: Any, *args: Any, **kwargs: Any) -> Any:
    instance = super(BaseModel, cls).__new__(cls)
    tracked = cls.__dict__.get("instances_tracked")
    if not isinstance(tracked, WeakInstances):  # a new class, or moto's reset put a list back
        tracked = WeakInstances()
        cls.instances_tracked = tracked
    tracked.append(instance)
    return instance


def _forget_old(model: type, attribute: str, bounded: Any) -> None:
    """After `model.__init__`, replace its ever-growing `attribute` with `bounded()`."""
    original: Any = vars(model)["__init__"]

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        setattr(self, attribute, bounded())

    model.__init__ = __init__  # type: ignore[misc]


def _retained(self: SQSBackend, queue_name: str, message: Message) -> bool:
    queue: Any = self.get_queue(queue_name)
    sent_ms: Any = message.sent_timestamp
    return bool(int(queue.message_retention_period) + sent_ms / 1000 > unix_time())


_ItemKey = tuple[str, Any, Any]


def _transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    # The change: a copy of each item the transaction touches, taken before it is written
    # (upstream deep-copies every named table here). Tables with a stream keep the old way.
    whole_tables: dict[str, Any] = {}
    touched: dict[_ItemKey, Any] = {}
    for item in transact_items:
        _, op = next(iter(item.items()))
        table_name = op.get("TableName")
        if table_name and table_name in self.tables and self.tables[table_name].stream_shard:
            whole_tables[table_name] = copy.deepcopy(self.tables[table_name])

    def rollback() -> None:
        for table_name, table in whole_tables.items():
            self.tables[table_name] = table
        for (table_name, hash_key, range_key), before in touched.items():
            if table_name in whole_tables or table_name not in self.tables:
                continue
            _restore(self.tables[table_name], hash_key, range_key, before)

    target_items: set[tuple[str, str]] = set()

    def check_unicity(table_name: str, key: dict[str, Any]) -> None:
        item = (str(table_name), str(dict(sorted(key.items()))))
        if item in target_items:
            raise MultipleTransactionsException()
        target_items.add(item)

    errors: list[tuple[str, str, dict[str, Any]] | tuple[None, None, None]] = []
    for item in transact_items:
        original_item: dict[str, Any] | None = None
        if len(list(item.keys())) > 1:
            raise TransactWriteSingleOpException
        try:
            op_type, op = next(iter(item.items()))
            if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                raise ValueError("Unsupported transaction operation")
            table_name = op["TableName"]
            condition_expression = op.get("ConditionExpression")
            expression_attribute_names = op.get("ExpressionAttributeNames")
            expression_attribute_values = op.get("ExpressionAttributeValues")
            return_values_on_condition_check_failure = op.get("ReturnValuesOnConditionCheckFailure")
            if op_type == "Put":
                attrs = op["Item"]
                table = self.get_table(table_name)
                key = {table.hash_key_attr: attrs[table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = attrs[table.range_key_attr]
            else:
                key = op["Key"]
            check_unicity(table_name, key)
            current = self.get_item(table_name, key)
            hash_key, range_key = self.get_keys_value(self.get_table(table_name), key)
            touched.setdefault((table_name, hash_key, range_key), copy.deepcopy(current))
            if condition_expression is not None:
                condition_op = get_filter_expression(
                    condition_expression, expression_attribute_names, expression_attribute_values
                )
                if not condition_op.expr(current):
                    if return_values_on_condition_check_failure == "ALL_OLD" and current:
                        original_item = current.to_json()["Attributes"]
                    raise ConditionalCheckFailed(item=original_item)
            if op_type == "Put":
                self.put_item(
                    table_name,
                    op["Item"],
                    condition_expression=condition_expression,
                    expression_attribute_names=expression_attribute_names,
                    expression_attribute_values=expression_attribute_values,
                )
            elif op_type == "Delete":
                self.delete_item(
                    table_name,
                    key,
                    condition_expression=condition_expression,
                    expression_attribute_names=expression_attribute_names,
                    expression_attribute_values=expression_attribute_values,
                )
            elif op_type == "Update":
                self.update_item(
                    table_name,
                    key,
                    update_expression=op["UpdateExpression"],
                    condition_expression=condition_expression,
                    expression_attribute_names=expression_attribute_names,
                    expression_attribute_values=expression_attribute_values,
                )
            errors.append((None, None, None))
        except (MultipleTransactionsException, MockValidationException):
            rollback()
            raise
        except ConditionalCheckFailed as e:
            errors.append(("ConditionalCheckFailed", str(e.message), original_item))  # type: ignore[arg-type]
        except Exception as e:
            errors.append((type(e).__name__, str(e), original_item))  # type: ignore[arg-type]
    if any(code is not None for code, _, _ in errors):
        rollback()
        raise TransactionCanceledException(errors)


def _restore(table: Any, hash_key: Any, range_key: Any, before: Any) -> None:
    """Put an item back as it was before the transaction (absent if it was absent)."""
    if range_key is not None:
        if before is None:
            table.items.get(hash_key, {}).pop(range_key, None)
        else:
            table.items[hash_key][range_key] = before
    elif before is None:
        table.items.pop(hash_key, None)
    else:
        table.items[hash_key] = before
