# syntax=docker/dockerfile:1
# Two stages: build wheels with the pinned versions, then install them into a slim image that
# runs as an unprivileged user. No system packages are needed: psycopg's binary wheel carries libpq.

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md constraints.txt ./
COPY reminders reminders
COPY templates templates
COPY config config
RUN pip wheel --no-cache-dir --constraint constraints.txt --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index /wheels/*.whl && rm -rf /wheels \
    && useradd --system --create-home --home-dir /srv/reminders reminders
USER reminders
WORKDIR /srv/reminders
EXPOSE 8080
# The daemon's own health: the database answers and the scheduler runs (GET /healthz).
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('REMINDERS_HTTP_PORT', '8080') + '/healthz', timeout=5)"]
ENTRYPOINT ["reminders"]
# `reminders init` (migrations) runs first, from docker-compose.yml or by hand.
CMD ["run"]
