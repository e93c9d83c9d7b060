# env-base.Dockerfile: the smallest base for an environment image: what
# devgate relies on inside a pod (a POSIX sh, getent for the login shell,
# kill for signals, sftp-server for SFTP/scp) plus a usable shell; the pod
# needs no sshd. Profiles layer their own images on top.
#   docker build -f docker/env-base.Dockerfile -t registry.corp/dev/base:12 docker
FROM debian:12
RUN apt-get update \
 && apt-get install -y --no-install-recommends bash ca-certificates coreutils \
      less locales openssh-sftp-server procps sudo vim-tiny curl git \
 && sed -i 's/^# *en_US.UTF-8/en_US.UTF-8/' /etc/locale.gen && locale-gen \
 && rm -rf /var/lib/apt/lists/*
ENV LANG=en_US.UTF-8
# The environment's main process only keeps the pod alive; sessions arrive
# through the Kubernetes exec API.
CMD ["sleep", "infinity"]
