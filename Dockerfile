# syntax=docker/dockerfile:1
# The one boxoffice image: every service, `migrate`, `seed demo` and the probe are subcommands
# of the same binary. Build: `docker build -t boxoffice .` (BuildKit; docs/DEPLOYING.md).

# ---- build -------------------------------------------------------------------------------
FROM rust:1.95-bookworm AS build
WORKDIR /src

# Manifests and the lock file first: `cargo fetch` is redone only when a dependency changes.
# Fetching needs every member's targets to exist, so the sources come with them, but the
# registry lives in a cache mount and survives source edits.
COPY Cargo.toml Cargo.lock ./
COPY proto ./proto
COPY crates ./crates
COPY services ./services
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    cargo fetch --locked

# Release build of the binary only. The target directory is a cache mount too (incremental
# rebuilds after a source edit), so the binary is copied out of it into the layer.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --offline -p boxoffice \
    && install -D -m 0755 target/release/boxoffice /out/boxoffice

# The data directory (embedded stores, mail files, the seed job's demo logins) must belong to
# the runtime user; distroless has no shell to create it there, so it is made here.
RUN install -d -o 65532 -g 65532 -m 0700 /out/data

# ---- runtime -----------------------------------------------------------------------------
# glibc and libgcc (the binary is dynamically linked), CA certificates, no shell, no package
# manager; `nonroot` is uid/gid 65532.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/boxoffice /usr/local/bin/boxoffice
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
WORKDIR /data

# Every setting comes from BOXOFFICE_* variables (or `--config`); these are only the defaults
# that make sense in a container: listen on every interface, JSON logs, data in /data.
ENV BOXOFFICE_DATA_DIR=/data \
    BOXOFFICE_LOG_FORMAT=json \
    BOXOFFICE_HEALTHCHECK_URL=http://127.0.0.1:8000/healthz

# The gateway's port; each other service's is set where it is deployed (compose, Kubernetes),
# and so is BOXOFFICE_HEALTHCHECK_URL for its probe.
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["/usr/local/bin/boxoffice", "healthcheck"]

ENTRYPOINT ["/usr/local/bin/boxoffice"]
CMD ["gateway", "--listen", "0.0.0.0:8000"]
