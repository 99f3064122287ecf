# halo-audit in a container image (docs/ci.md#container-image).
#
#   docker build -t halo-audit .
#   docker run --rm -e HALO_URL -e HALO_TENANT -e HALO_CLIENT_ID -e HALO_CLIENT_SECRET \
#     -v "$PWD:/work" halo-audit check --save-snapshot snapshot.json
#
# Base images are named by tag: the build stage by the Rust release the project is tested with,
# on Debian 12 (bookworm); the final stage by the distroless image of the same Debian release, so
# the binary finds the C library it was linked against. To make builds reproducible, pin each by
# digest as well (`FROM image:tag@sha256:…`) in the registry your organisation uses.

# Build stage: the release binary, with exactly the dependency versions of Cargo.lock.
FROM docker.io/library/rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked \
    && install -D -m 0755 target/release/halo-audit /out/halo-audit

# Final stage: the binary alone on distroless `cc` (the C runtime, CA certificates for TLS to
# Halo, no shell, no package manager), as its unprivileged user.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/halo-audit /usr/local/bin/halo-audit
# 65532 is distroless's `nonroot`: never root, whatever the base image's default.
USER 65532:65532
# Snapshots, reports and halo-audit.yaml: mount the repository or a directory here.
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/halo-audit"]
CMD ["--help"]
