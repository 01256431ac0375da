# One image for every Lintas service; the command chooses the service (see docker-compose.yml and
# deploy/k8s). It installs exactly the hash-checked lock and nothing else from the network:
#   1. requirements/runtime.txt with --require-hashes --no-deps (every file's sha256 is pinned);
#   2. Lintas itself from the build context with --no-index --no-deps --no-build-isolation, so
#      the build backend is the locked setuptools and pip cannot fetch anything more.
# It runs as uid 10001 and works with a read-only root filesystem: the only writable places are
# the /data and /tmp volumes (Kubernetes: emptyDir or PVC; compose: named volume).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1

# softhsm2 lets an issuer keep its signing key in PKCS#11 for a demo (LINTAS_ISSUER_KEY_BACKEND=pkcs11);
# with a read-only root, point SOFTHSM2_CONF at a token directory under /data. Production HSMs
# bring their own PKCS#11 module.
RUN apt-get update \
    && apt-get install -y --no-install-recommends softhsm2 \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 lintas \
    && useradd --system --uid 10001 --gid 10001 --home-dir /data --no-create-home --shell /usr/sbin/nologin lintas

WORKDIR /app
COPY requirements/runtime.txt requirements/runtime.txt
RUN pip install --require-hashes --no-deps -r requirements/runtime.txt

COPY pyproject.toml README.md ./
COPY idcore ./idcore
COPY lintas ./lintas
COPY lintas_cli ./lintas_cli
COPY trust_registry ./trust_registry
COPY issuer ./issuer
COPY verifier ./verifier
COPY wallet_demo ./wallet_demo
# The wallet's browser libraries: exactly wallet_demo/package-lock.json (integrity-checked, no
# install scripts); pip then packages them with wallet_demo. Node and npm leave with the layer.
RUN apt-get update \
    && apt-get install -y --no-install-recommends nodejs npm \
    && (cd wallet_demo && npm ci --ignore-scripts --no-audit --no-fund) \
    && apt-get purge -y --auto-remove nodejs npm \
    && rm -rf /var/lib/apt/lists/* /root/.npm
RUN pip install --no-deps --no-build-isolation --no-index . \
    && pip check \
    && rm -rf build ./*.egg-info \
    && mkdir -p /data \
    && chown 10001:10001 /data \
    && chmod 0700 /data

# Numeric, so Kubernetes can check runAsNonRoot without reading /etc/passwd.
USER 10001:10001
ENV HOME=/data TMPDIR=/tmp
VOLUME ["/data", "/tmp"]
EXPOSE 8100 8101 8400 8500
# The verifier's port by default; set LINTAS_HEALTH_PORT for another service (compose and the
# Kubernetes manifests define their own probes).
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('LINTAS_HEALTH_PORT', '8400') + '/healthz', timeout=2)"]
ENTRYPOINT ["lintas"]
CMD ["--help"]
