# syntax=docker/dockerfile:1
# Doorward in a container: built in a Rust image, run as an unprivileged user from a slim
# Debian image, with its SQLite file (or nothing, on PostgreSQL) in the /data volume.
#   docker build -t doorward .
#   docker run -p 8080:8080 -v doorward-data:/data doorward
# For PostgreSQL: -e DOORWARD_DATABASE_URL='postgres://…?sslmode=verify-full'.

FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src src
COPY migrations migrations
COPY benches benches
RUN cargo build --release --locked --bin doorward \
 && strip target/release/doorward

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --user-group --home-dir /data --shell /usr/sbin/nologin doorward \
 && mkdir -p /data \
 && chown doorward:doorward /data
COPY --from=build /src/target/release/doorward /usr/local/bin/doorward
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
ENV DOORWARD_LISTEN=0.0.0.0:8080 \
    DOORWARD_DATABASE_URL=sqlite:///data/doorward.db
EXPOSE 8080
# `doorward health` asks the configured listen address for /readyz (the store answers).
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 CMD ["doorward", "health"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["doorward"]
CMD ["serve"]
