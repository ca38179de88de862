"""Event transport: the publisher, the SQS consumer runtime, the outbox relay, the worker runner."""
