"""What moto's server lacks for the Terraform-made resources, patched in at its start.

`make test-terraform` applies `infra/terraform/emulator` (the application's resources, with
the hashicorp/aws provider) to the moto server that `ecommerce dev` runs. After every write
the provider reads the resource back and waits until it reads what it wrote. One thing moto
stores but never reads back:

- SQS `RedriveAllowPolicy` (the `aws_sqs_queue_redrive_allow_policy` of each DLQ: only its own
  queue may redrive into it). moto keeps the attribute from `SetQueueAttributes` but leaves it
  out of `GetQueueAttributes`, so the provider waits for it until its create times out.

Nothing else changes: the patch only adds the attribute to what moto answers.
"""

from __future__ import annotations

from typing import Any

_APPLIED = False


def apply() -> None:
    """Patch moto (once per process)."""
    global _APPLIED
    if _APPLIED:
        return
    _return_redrive_allow_policy()
    _APPLIED = True


def _return_redrive_allow_policy() -> None:
    from moto.sqs.models import SQSBackend

    answer = SQSBackend.get_queue_attributes
    name = "RedriveAllowPolicy"

    def get_queue_attributes(
        self: Any, queue_name: str, attribute_names: list[str]
    ) -> dict[str, Any]:
        others = [n for n in attribute_names if n != name]
        result: dict[str, Any] = answer(self, queue_name, others) if others else {}
        if name in attribute_names or "All" in attribute_names:
            value = getattr(self.get_queue(queue_name), "redrive_allow_policy", None)
            if value:
                result[name] = value
        return result

    SQSBackend.get_queue_attributes = get_queue_attributes  # type: ignore[method-assign]
