# The socialrx server: built with the pinned Rust toolchain, run as a non-root user on a
# slim Debian. `docker compose up` (docker-compose.yml) runs it against PostgreSQL.

FROM rust:1.95-bookworm AS builder
WORKDIR /src
COPY . .
# The cache mounts keep the crate registry and the build between image builds; the binary
# is copied out of the cached target dir in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p socialrx \
    && cp target/release/socialrx /usr/local/bin/socialrx

FROM debian:bookworm-slim
# ca-certificates for TLS to a managed PostgreSQL; curl for the health check.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 socialrx \
    && useradd --system --uid 10001 --gid socialrx --home-dir /var/lib/socialrx --create-home socialrx
COPY --from=builder /usr/local/bin/socialrx /usr/local/bin/socialrx
USER socialrx
# The working directory is where a SQLite database (DATABASE_URL unset) would be created.
WORKDIR /var/lib/socialrx
ENV SOCIALRX_BIND=0.0.0.0:8080 \
    SOCIALRX_LOG_FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["/usr/local/bin/socialrx"]
CMD ["serve"]
