"""The embedded local stack behind `ecommerce dev`.

PostgreSQL, Redis and an AWS emulator run as supervised child processes; every resource of
`ecommerce.resources` is provisioned; every handler and worker runs as its own OS process behind
a dev edge gateway. Any embedded server is replaced by a real one through `DATABASE_URL`,
`REDIS_URL` or `AWS_ENDPOINT_URL`.
"""
