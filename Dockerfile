# chat-bridge container image.
#
#   ./mvnw -B -DskipTests package
#   podman build -t localhost/chat-bridge:dev .                      # or: docker build ...
#   podman build --build-arg JAR=target/chat-bridge.jar -t localhost/chat-bridge:dev-full .   # with demo/sandbox/simulate
#
# Why a Dockerfile and not Jib: Jib (jib-maven-plugin 3.5.x is on Maven Central) builds without a
# daemon, but it must read its base image from a registry (or a daemon, or a tar), and no
# registry is reachable on our build machines. A Dockerfile whose base is a build argument
# builds the same with podman, buildah and docker, here on a base made from Debian packages
# (scripts/container-smoke: --build-arg BASE_IMAGE=localhost/jre-base:17) and elsewhere on the
# public default below; it keeps the build out of the Maven lifecycle (the jar is the only
# input) and is what operators expect to read. The price: the jar is one fat layer (the
# service jar is rebuilt as a whole on every change anyway).
#
# The base needs a POSIX shell at build time only (one RUN below); at run time nothing but
# `java` is executed (exec-form ENTRYPOINT, no shell wrapper).
ARG BASE_IMAGE=eclipse-temurin:17-jre
FROM ${BASE_IMAGE}

# The production jar (commands run, send, tail, topology, reset). The full jar,
# target/chat-bridge.jar, adds the embedded broker, registry and API simulator for dev stacks.
ARG JAR=target/chat-bridge-service.jar
ARG VERSION=0.1.0-SNAPSHOT
ARG REVISION=unknown
ARG SOURCE=unknown

LABEL org.opencontainers.image.title="chat-bridge" \
      org.opencontainers.image.description="Kafka Streams service that answers Avro chat-request events with the /chats/v2 assistant API." \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}"

# User and group 10001 get names (some tools and the JVM's user.name/user.home look them up;
# without an entry Java 17 reports user.home as "?"). Written directly to /etc/passwd and
# /etc/group because useradd/groupadd are not in every base (Debian's apt variant lacks them).
# /var/lib/chat-bridge holds Kafka Streams' state (RocksDB) and is the working directory, so a
# JVM crash file (hs_err_pid*.log) lands on the volume; the jar stays root-owned, read-only.
RUN set -eu; \
    grep -q '^[^:]*:[^:]*:10001:' /etc/group || echo 'chatbridge:x:10001:' >> /etc/group; \
    grep -q '^[^:]*:[^:]*:10001:' /etc/passwd \
      || echo 'chatbridge:x:10001:10001:chat-bridge:/tmp:/usr/sbin/nologin' >> /etc/passwd; \
    mkdir -p /app /var/lib/chat-bridge/state; \
    chown -R 10001:10001 /var/lib/chat-bridge; \
    chmod 0750 /var/lib/chat-bridge /var/lib/chat-bridge/state

COPY ${JAR} /app/chat-bridge.jar

# KAFKA_STATE_DIR sets Kafka Streams' state.dir; CHAT_BRIDGE_METRICS_* set chat.metrics.host and
# chat.metrics.port (docs/configuration.md). HOME points at the writable tmpfs, not at the
# read-only root. LANG: without a UTF-8 locale Java 17's default charset is ASCII, and
# non-ASCII text in logs becomes '?'.
ENV HOME=/tmp \
    LANG=C.UTF-8 \
    KAFKA_STATE_DIR=/var/lib/chat-bridge/state \
    CHAT_BRIDGE_METRICS_HOST=0.0.0.0 \
    CHAT_BRIDGE_METRICS_PORT=9404

# The state must outlive the container (a restarted instance then restores its pending table
# from the local RocksDB instead of replaying the changelog); /tmp must be writable with a
# read-only root, and allow exec: RocksDB (and Netty, zstd, snappy) unpack native libraries
# there and load them. Podman's --tmpfs and Kubernetes' emptyDir allow it; Docker's --tmpfs is
# noexec unless given `--tmpfs /tmp:exec` (RocksDB then fails: "failed to map segment").
VOLUME ["/var/lib/chat-bridge", "/tmp"]

USER 10001:10001
WORKDIR /var/lib/chat-bridge
EXPOSE 9404

# JVM flags on the command line rather than in JAVA_TOOL_OPTIONS: they show in `ps` and
# `podman inspect`, other JVMs started in the container (a `send` or `tail` through
# `podman exec`, jcmd on a JDK base) do not inherit them, and stderr gets no "Picked up
# JAVA_TOOL_OPTIONS" line. JAVA_TOOL_OPTIONS stays free for operators: an -Xmx there beats
# MaxRAMPercentage (an explicit heap size always wins; checked: -Xmx300m gives a 300 MiB heap).
# The heap is sized by the container's memory limit. 50 % leaves the other half for what lives
# outside the heap: RocksDB's block caches and memtables (Kafka Streams' defaults, per task),
# Netty's direct buffers, metaspace, thread stacks and the code cache.
# ExitOnOutOfMemoryError: a JVM that ran out of heap is in an unknown state; exiting lets the
# orchestrator restart it, and the pending table and the committed offsets make that safe.
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=50", "-XX:+ExitOnOutOfMemoryError", "-jar", "/app/chat-bridge.jar"]
CMD ["run"]
