# asn-merit container image.
#
#   docker build -t asn-merit .
#
# Build stage: Debian bookworm with the Rust toolchain. libpq (pq-sys "bundled") and SQLite
# (libsqlite3-sys "bundled") are compiled from source by cargo; libpq still links the system
# OpenSSL, hence libssl-dev here and libssl3 at run time.
FROM rust:1-bookworm AS build

RUN apt-get update \
    && apt-get install -y --no-install-recommends libssl-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src

# Compile the dependencies first, against placeholder sources, so that editing the
# application does not rebuild them (this layer is reused while Cargo.toml/Cargo.lock stay the same).
COPY Cargo.toml Cargo.lock ./
RUN mkdir src \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs \
    && cargo build --release --locked \
    && rm -rf src

COPY src ./src
COPY migrations ./migrations
# touch: COPY keeps the files' own mtimes, which may be older than the placeholders built above;
# without it cargo could consider the placeholder build fresh and ship an empty binary.
RUN touch src/main.rs src/lib.rs \
    && cargo build --release --locked \
    && install -m 0755 target/release/asn-merit /usr/local/bin/asn-merit

# Run stage: only the shared libraries the binary links (libssl3/libcrypto) and CA certificates.
FROM debian:bookworm-slim

RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libssl3 \
    && rm -rf /var/lib/apt/lists/*

# Unprivileged user. /app/data holds the generated keys (audit checkpoint signing key,
# personal-data key; a JWT secret only when JWT_SECRET is not given) and, without DATABASE_URL,
# the SQLite database. Mount a volume there; a new named volume inherits this ownership.
RUN groupadd --system --gid 10001 asn-merit \
    && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
        --shell /usr/sbin/nologin asn-merit \
    && mkdir -p /app/data \
    && chown 10001:10001 /app/data \
    && chmod 0700 /app/data

COPY --from=build /usr/local/bin/asn-merit /usr/local/bin/asn-merit

WORKDIR /app
USER 10001:10001

# No secrets here: DATABASE_URL, MIGRATION_DATABASE_URL and JWT_SECRET come from the environment
# at run time (see docker-compose.yml).
ENV BIND_ADDR=0.0.0.0:8080 \
    LOG_FORMAT=json \
    DATA_DIR=/app/data

EXPOSE 8080

# The server drains in-flight requests for up to 30 s after SIGTERM; give it longer than that
# before SIGKILL (docker stop -t 40 / compose stop_grace_period: 40s).
STOPSIGNAL SIGTERM

# No HEALTHCHECK: the image carries no HTTP client. Probe GET /healthz (liveness) and
# GET /readyz (database reachable, migrations applied) from the orchestrator instead.
ENTRYPOINT ["/usr/local/bin/asn-merit"]
CMD ["serve"]
