"""The users table in DynamoDB: the only module that talks to it.

Items: `USER#<id>` holds the user; `EMAIL#<email>` points at its id. Both are written in one
transaction, each only if absent, so an email belongs to one user at most.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any, cast

from botocore.exceptions import ClientError

from ecommerce.users.domain import ROLES, EmailTaken, User

Item = dict[str, dict[str, str]]

CONFLICT_RETRIES = 3
"""DynamoDB cancels a transaction that races another on the same item; it is safe to retry."""


def user_key(user_id: str) -> str:
    return f"USER#{user_id}"


def email_key(email: str) -> str:
    return f"EMAIL#{email}"


def to_item(user: User) -> Item:
    return {
        "pk": {"S": user_key(user.id)},
        "id": {"S": user.id},
        "email": {"S": user.email},
        "name": {"S": user.name},
        "role": {"S": user.role},
        "password_hash": {"S": user.password_hash},
        "created_at": {"S": user.created_at},
    }


def from_item(item: Item) -> User:
    role = item["role"]["S"]
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r} on {item['pk']['S']}")
    return User(
        id=item["id"]["S"],
        email=item["email"]["S"],
        name=item["name"]["S"],
        role=role,
        password_hash=item["password_hash"]["S"],
        created_at=item["created_at"]["S"],
    )


class UserStore:
    def __init__(self, dynamodb: Any, table: str) -> None:
        self._db = dynamodb
        self._table = table

    async def add(self, user: User) -> None:
        """Store a new user; `EmailTaken` when its email already belongs to someone."""
        absent = "attribute_not_exists(pk)"
        email_item: Item = {"pk": {"S": email_key(user.email)}, "user_id": {"S": user.id}}
        request = [
            {"Put": {"TableName": self._table, "Item": item, "ConditionExpression": absent}}
            for item in (to_item(user), email_item)
        ]
        for attempt in range(CONFLICT_RETRIES + 1):
            try:
                await self._db.transact_write_items(TransactItems=request)
                return
            except ClientError as error:
                reasons = _cancellation_reasons(error)
                if len(reasons) == 2 and reasons[1] == "ConditionalCheckFailed":
                    raise EmailTaken(user.email) from error
                if "TransactionConflict" not in reasons or attempt == CONFLICT_RETRIES:
                    raise
            await asyncio.sleep(random.uniform(0.01, 0.05) * (attempt + 1))

    async def get(self, user_id: str) -> User | None:
        item = await self._get(user_key(user_id))
        return from_item(item) if item else None

    async def find_by_email(self, email: str) -> User | None:
        pointer = await self._get(email_key(email))
        if pointer is None:
            return None
        return await self.get(pointer["user_id"]["S"])

    async def ping(self) -> None:
        await self._get("HEALTHCHECK")

    async def _get(self, pk: str) -> Item | None:
        response = await self._db.get_item(
            TableName=self._table, Key={"pk": {"S": pk}}, ConsistentRead=True
        )
        return cast(Item | None, response.get("Item"))


def _cancellation_reasons(error: ClientError) -> list[str]:
    """Per-item codes of a cancelled transaction (`None`, `ConditionalCheckFailed`, ...)."""
    if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return []
    reasons = cast(list[dict[str, str]], error.response.get("CancellationReasons", []))
    return [reason.get("Code", "") for reason in reasons]
