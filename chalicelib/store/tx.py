"""A thin wrapper over PynamoDB's TransactWrite that remembers why each item is there.

DynamoDB reports cancellation reasons by position; PynamoDB orders the items as
condition checks, deletes, puts, updates. Tagging every operation with a role lets
callers ask "did a day sheet change?" instead of counting positions.

Faults (store/faults.py): every attempt carries a ClientRequestToken, so botocore's own
retry of a throttled or failed request is idempotent; a transaction DynamoDB cancelled
only for a transient reason (TransactionConflict, ThrottlingError) wrote nothing and is
tried again with backoff and jitter; what keeps failing is DatabaseBusy (a 503).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.store import db, faults

_ORDER = ("check", "delete", "put", "update")
# Who wants to hear of every committed transaction (its items' roles): `committed()`.
_listeners: list[Callable[[list[str]], None]] = []


@contextmanager
def committed() -> Iterator[list[list[str]]]:
    """The transactions committed meanwhile in this process, each as its items' roles
    in DynamoDB's order: what the item budgets are checked with (a booking: at most
    BOOKING_ITEMS, docs/data-model.md)."""
    seen: list[list[str]] = []
    _listeners.append(seen.append)
    try:
        yield seen
    finally:
        _listeners.remove(seen.append)


class TxFailed(Exception):
    def __init__(self, failed: set[str], conflict: bool, cause: TransactWriteError):
        super().__init__(f"transaction cancelled: failed={sorted(failed)} conflict={conflict}")
        self.failed = failed  # roles whose condition failed
        self.conflict = conflict  # DynamoDB saw a concurrent transaction on an item
        self.cause = cause


class Tx:
    def __init__(self, model_for_connection: type[Model]) -> None:
        db.configure()
        self._tx = TransactWrite(connection=model_for_connection._get_connection().connection)
        self._roles: dict[str, list[str]] = {k: [] for k in _ORDER}
        self._once: set[str] = set()

    def first_time(self, key: str) -> bool:
        """True the first time `key` is asked about in this transaction: for writes that
        several parts of one change would each add (one item at most once per request)."""
        if key in self._once:
            return False
        self._once.add(key)
        return True

    def put(self, item: Model, role: str, condition: Condition | None = None) -> None:
        self._tx.save(item, condition=condition)
        self._roles["put"].append(role)

    def update(self, item: Model, actions: Sequence[Action], role: str, condition: Condition | None = None) -> None:
        self._tx.update(item, actions=list(actions), condition=condition, add_version_condition=False)
        self._roles["update"].append(role)

    def delete(self, item: Model, role: str, condition: Condition | None = None) -> None:
        self._tx.delete(item, condition=condition, add_version_condition=False)
        self._roles["delete"].append(role)

    def check(self, model: type[Model], hash_key: str, range_key: str, condition: Condition, role: str) -> None:
        self._tx.condition_check(model, hash_key, range_key, condition=condition)
        self._roles["check"].append(role)

    def roles(self) -> list[str]:
        """Why each item is there, in the order DynamoDB reports on them."""
        return [role for kind in _ORDER for role in self._roles[kind]]

    def __len__(self) -> int:
        return sum(len(v) for v in self._roles.values())

    def commit(self) -> None:
        for attempt in range(faults.TX_ATTEMPTS):
            # One token per attempt: botocore's retries of this request reuse it (a commit
            # it did not hear about is not applied twice); a cancelled attempt wrote
            # nothing, and the next one is a new transaction.
            self._tx._client_request_token = uuid.uuid4().hex
            try:
                self._tx._commit()
                for listener in list(_listeners):
                    listener(self.roles())
                return
            except TransactWriteError as err:
                reasons = [r.code if r else None for r in (err.cancellation_reasons or [])]
                if not reasons:
                    if faults.is_transient(err):  # botocore already retried it
                        raise faults.DatabaseBusy("transaction", faults.error_code(err)) from err
                    raise
                roles = self.roles()
                failed = {role for role, code in zip(roles, reasons) if code == "ConditionalCheckFailed"}
                conflict = any(code == "TransactionConflict" for code in reasons)
                if failed or not faults.transient_reasons(reasons):
                    raise TxFailed(failed, conflict, err) from err
                if attempt == faults.TX_ATTEMPTS - 1:
                    raise faults.DatabaseBusy("transaction", ",".join(sorted({r for r in reasons if r}))) from err
                faults.pause(attempt)
