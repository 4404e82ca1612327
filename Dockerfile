# The service's image: `reminders run` as an unprivileged user (uid 999) with its data in the
# /data volume (the SQLite database by default; set REMINDERS_DATABASE_URL for PostgreSQL), and a
# health check on /healthz. Two stages: the build stage installs the package and its pinned
# dependencies into a virtual environment, which the final stage copies in one layer.
#
#   docker build -t reminders .                         (or: docker compose build)
#   docker run --rm -v reminders-data:/data reminders init
#
# Behind a TLS-inspecting proxy, as in many corporate networks: copy the proxy's CA certificate
# (PEM, named *.crt) into docker/ca-certificates/ before building; pip in the build trusts it, and
# so does the service (for an SMTP relay whose certificate that CA signed). An HTTP proxy is
# passed as usual: --build-arg HTTPS_PROXY=http://proxy:3128 (docker build knows these args).
# Without an image registry: docker/base-images.sh builds python:3.11-slim and postgres:15 from
# a Debian mirror. README.md, "Running in production", has both.

FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt
COPY docker/ca-certificates/ /usr/local/share/ca-certificates/
RUN update-ca-certificates >/dev/null 2>&1 \
    && python -m venv /opt/reminders
WORKDIR /src
COPY pyproject.toml README.md constraints.txt ./
COPY reminders reminders
COPY templates templates
COPY config config
RUN /opt/reminders/bin/pip install --quiet --constraint constraints.txt . \
    && /opt/reminders/bin/reminders --version

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/reminders/bin:$PATH \
    REMINDERS_DATABASE_URL=sqlite:////data/reminders.db \
    REMINDERS_HTTP_HOST=0.0.0.0
COPY docker/ca-certificates/ /usr/local/share/ca-certificates/
# /data belongs to the service user before it is declared a volume: a new named volume mounted
# there takes that owner, so `init` can create the database without a chown.
RUN update-ca-certificates >/dev/null 2>&1 \
    && useradd --system --uid 999 --user-group --home-dir /data --shell /usr/sbin/nologin reminders \
    && mkdir /data && chown reminders:reminders /data
COPY --from=build /opt/reminders /opt/reminders
USER reminders
WORKDIR /data
VOLUME /data
EXPOSE 8080
# The daemon's own health (GET /healthz): the database answers, the scheduler runs, and mail has
# not failed for longer than REMINDERS_MAIL_UNHEALTHY_SECONDS. Docker only reports it; compose
# waits on it, and an orchestrator may restart on it.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('REMINDERS_HTTP_PORT', '8080') + '/healthz', timeout=4)"]
ENTRYPOINT ["reminders"]
# `reminders init` (migrations) runs first: from docker-compose.yml, or by hand.
CMD ["run"]
