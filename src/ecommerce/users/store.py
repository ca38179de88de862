"""The users table in DynamoDB: the only module that talks to it.

Items: `USER#<id>` holds the user; `EMAIL#<email>` points at its id. Both are written in one
transaction, each only if absent, so an email belongs to one user at most. A profile change
sets only the attributes it changes, in one conditional update that also bumps `version`, so
concurrent changes of different fields all land, and a client can make its change depend on
the version it read.
"""

from __future__ import annotations

import asyncio
import random
from typing import TYPE_CHECKING, Any, cast

from botocore.exceptions import ClientError

from ecommerce.platform.dynamodb import (
    ITEM_CONDITION_FAILED,
    ITEM_CONFLICT,
    cancellation_reasons,
    condition_failed,
    number_of,
)
from ecommerce.users.domain import (
    ROLES,
    Address,
    EmailTaken,
    ProfileChanges,
    User,
    UserNotFound,
    VersionMismatch,
)

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient
    from types_aiobotocore_dynamodb.type_defs import TransactWriteItemTypeDef

Item = dict[str, Any]

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
        "addresses": addresses_attribute(user.addresses),
        "version": {"N": str(user.version)},
    }


def addresses_attribute(addresses: tuple[Address, ...]) -> dict[str, Any]:
    return {"L": [{"M": _address_map(address)} for address in addresses]}


def _address_map(address: Address) -> dict[str, dict[str, str]]:
    fields = {
        "label": address.label,
        "line1": address.line1,
        "line2": address.line2,
        "city": address.city,
        "postal_code": address.postal_code,
        "country": address.country,
    }
    return {name: {"S": value} for name, value in fields.items() if value is not None}


def _address(item: dict[str, dict[str, str]]) -> Address:
    def optional(name: str) -> str | None:
        return item[name]["S"] if name in item else None

    return Address(
        line1=item["line1"]["S"],
        city=item["city"]["S"],
        postal_code=item["postal_code"]["S"],
        country=item["country"]["S"],
        label=optional("label"),
        line2=optional("line2"),
    )


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
        addresses=tuple(_address(entry["M"]) for entry in item.get("addresses", {}).get("L", [])),
        version=number_of(item, "version") or 0,
    )


class UserStore:
    def __init__(self, dynamodb: DynamoDBClient, table: str) -> None:
        self._db = dynamodb
        self._table = table

    async def add(self, user: User) -> None:
        """Store a new user; `EmailTaken` when its email already belongs to someone."""
        absent = "attribute_not_exists(pk)"
        email_item: Item = {"pk": {"S": email_key(user.email)}, "user_id": {"S": user.id}}
        request: list[TransactWriteItemTypeDef] = [
            {"Put": {"TableName": self._table, "Item": item, "ConditionExpression": absent}}
            for item in (to_item(user), email_item)
        ]
        for attempt in range(CONFLICT_RETRIES + 1):
            try:
                await self._db.transact_write_items(TransactItems=request)
                return
            except ClientError as error:
                reasons = cancellation_reasons(error)
                if len(reasons) == 2 and reasons[1] == ITEM_CONDITION_FAILED:
                    raise EmailTaken(user.email) from error
                if ITEM_CONFLICT not in reasons or attempt == CONFLICT_RETRIES:
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

    async def update_profile(
        self, user_id: str, changes: ProfileChanges, expected_version: int | None = None
    ) -> User:
        """The user after `changes`; `UserNotFound`, or `VersionMismatch` when
        `expected_version` is given and the stored profile is at another version."""
        names = {"#version": "version"}
        values: dict[str, Any] = {":one": {"N": "1"}}
        sets = []
        if changes.name is not None:
            names["#name"] = "name"
            values[":name"] = {"S": changes.name}
            sets.append("#name = :name")
        if changes.addresses is not None:
            names["#addresses"] = "addresses"
            values[":addresses"] = addresses_attribute(changes.addresses)
            sets.append("#addresses = :addresses")
        condition = "attribute_exists(pk)"
        if expected_version is not None:
            values[":expected"] = {"N": str(expected_version)}
            same = "#version = :expected"
            if expected_version == 0:  # users stored before profiles had versions
                same = f"(attribute_not_exists(#version) OR {same})"
            condition += f" AND {same}"
        update = (f"SET {', '.join(sets)} " if sets else "") + "ADD #version :one"
        try:
            response = await self._db.update_item(
                TableName=self._table,
                Key={"pk": {"S": user_key(user_id)}},
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if not condition_failed(error):
                raise
            current = await self.get(user_id)
            if current is None:
                raise UserNotFound(user_id) from error
            raise VersionMismatch(current.version) from error
        return from_item(response["Attributes"])

    async def ping(self) -> None:
        await self._get("HEALTHCHECK")

    async def _get(self, pk: str) -> Item | None:
        response = await self._db.get_item(
            TableName=self._table, Key={"pk": {"S": pk}}, ConsistentRead=True
        )
        return cast(Item | None, response.get("Item"))
