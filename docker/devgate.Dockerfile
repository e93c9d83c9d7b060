# devgate.Dockerfile: the devgate image: built on Debian 12 with the same
# scripts as a developer machine, shipped on debian:12-slim with only the
# runtime libraries (tests/integration/docker-deps.sh checks the list
# against the binary's shared libraries).
#   docker build -f docker/devgate.Dockerfile -t devgate .
FROM debian:12 AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential autoconf \
      automake libtool pkg-config libssh-dev libc-ares-dev libldns-dev \
      libcurl4-openssl-dev libcjson-dev libpam0g-dev libssl-dev libyaml-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN autoreconf -fi && mkdir -p build && cd build \
 && ../configure --prefix=/usr --sysconfdir=/etc && make -j"$(nproc)" \
 && make install-strip DESTDIR=/out

FROM debian:12-slim
# RUNTIME-PACKAGES-BEGIN
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
      libssh-4 libc-ares2 libldns3 libcurl4 libcjson1 libpam0g libssl3 \
      libyaml-0-2 \
 && rm -rf /var/lib/apt/lists/*
# RUNTIME-PACKAGES-END
COPY --from=build /out/usr/sbin/devgate /usr/sbin/devgate
COPY --from=build /out/usr/share/man/man8/devgate.8 /usr/share/man/man8/
RUN groupadd -g 10022 devgate && useradd -u 10022 -g devgate -d /var/lib/devgate \
      -s /usr/sbin/nologin devgate && install -d -o devgate -g devgate /var/lib/devgate
USER devgate
EXPOSE 2222
ENTRYPOINT ["/usr/sbin/devgate", "-D", "-e"]
CMD ["-f", "/etc/devgate/devgate.conf"]
