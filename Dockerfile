# The gateway and the (simulated) edge agents: one image, the `whistle` command.

# Front-end libraries for the pages, from the npm lock file (no CDN at run time).
FROM node:20-slim AS web
WORKDIR /web
COPY gateway/web/package.json gateway/web/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgl1 libglib2.0-0 curl \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY whistle ./whistle
COPY edge ./edge
COPY gateway ./gateway
COPY models ./models
COPY firmware_sim ./firmware_sim
COPY config ./config
COPY --from=web /web/node_modules ./gateway/web/node_modules
# installed in place, so the pages find gateway/web/node_modules beside their templates
RUN pip install -e . && useradd --system --home /var/lib/whistle whistle \
 && mkdir -p /var/lib/whistle && chown whistle /var/lib/whistle
USER whistle
ENTRYPOINT ["whistle"]
CMD ["--help"]
