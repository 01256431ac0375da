# One image for every Lintas service; the command chooses the service (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1

# softhsm2 lets an issuer keep its signing key in PKCS#11 (LINTAS_ISSUER_KEY_BACKEND=pkcs11).
RUN apt-get update \
    && apt-get install -y --no-install-recommends softhsm2 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY idcore ./idcore
COPY lintas ./lintas
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
RUN pip install . && useradd --create-home --uid 10001 lintas && mkdir -p /data && chown lintas /data

USER lintas
VOLUME ["/data"]
ENTRYPOINT ["lintas"]
CMD ["--help"]
