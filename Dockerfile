# The API image: migrates the database it is pointed at, then serves.
FROM node:20-bookworm-slim AS maplibre
WORKDIR /build
COPY scripts/fetch_maplibre.sh scripts/
RUN bash scripts/fetch_maplibre.sh

FROM python:3.11-slim-bookworm
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends postgresql-client-15 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY gis gis
COPY grids grids
COPY layers layers
COPY api api
COPY cli cli
COPY --from=maplibre /build/api/static/vendor api/static/vendor
RUN pip install --no-cache-dir .
RUN useradd --system --uid 10001 grids
USER grids
EXPOSE 8000
CMD ["sh", "-c", "grids db migrate && grids serve --host 0.0.0.0 --port 8000"]
