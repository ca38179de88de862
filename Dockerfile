# syntax=docker/dockerfile:1
# One image for every deployable; each Kubernetes Deployment picks its command:
#   python -m handlers.users | handlers.catalog | handlers.cart | handlers.orders
#   python -m workers.inventory | workers.orders | workers.payments | workers.images
#   python -m workers.outbox_relay
# Build: docker build -t ecommerce:dev .   (the pipeline tags with the commit sha)
# The base is Docker Hub's official python image, pulled through ECR Public (no Docker Hub
# rate limit in CodeBuild).
# --- build: a venv with the locked runtime dependencies and the project itself ---------------
FROM public.ecr.aws/docker/library/python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
# Dependencies first, from the lock file alone, so this layer is cached until the lock changes.
# --no-deps: the lock is complete; nothing outside it may come in. --require-hashes: each file
# must match the hash the lock recorded (`make lock`).
COPY requirements.lock ./
RUN pip install --no-deps --require-hashes -r requirements.lock
COPY pyproject.toml README.md ./
COPY src ./src
COPY handlers ./handlers
COPY workers ./workers
RUN pip install --no-deps . \
    && python -m compileall -q /opt/venv/lib \
    && pip uninstall -y pip setuptools wheel

# --- runtime: the venv on a clean slim base, no compilers, no pip, a non-root user ------------
FROM public.ecr.aws/docker/library/python:3.11-slim-bookworm AS runtime
# The RDS CA bundle: the orders services connect with sslmode=verify-full against it
# (DATABASE_URL's sslrootcert, written by Terraform and scripts/k8s-secrets.sh).
# checkov:skip=CKV_DOCKER_4:ADD fetches AWS's RDS CA bundle over HTTPS at build time; COPY cannot fetch a URL and the slim base has no curl.
ADD --chmod=444 https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem /etc/ssl/certs/rds-global-bundle.pem
ARG VERSION=dev
LABEL org.opencontainers.image.title="ecommerce" \
      org.opencontainers.image.description="Event-driven e-commerce backend: handlers and workers" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /home/app --create-home \
       --shell /usr/sbin/nologin app
COPY --from=build --chown=root:root /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    APP_VERSION=${VERSION} \
    PORT=8000 \
    HEALTH_PORT=8081
WORKDIR /home/app
USER 10001:10001
EXPOSE 8000 8081
# Kubernetes probes (/healthz, /readyz) replace a Docker HEALTHCHECK; this one serves `docker
# run` users: it asks /healthz on PORT for a frontend, on HEALTH_PORT for a worker (it reads
# which one the container runs from its command: src/ecommerce/healthcheck.py).
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-m", "ecommerce.healthcheck"]
CMD ["python", "-m", "handlers.users"]
