#!/usr/bin/env bash
# Installs the servers the distributed tests start (tests/dist_*.rs):
# nats-server (JetStream) and ZooKeeper, from Debian's packages, when missing
# (and openssl, which makes the TLS test's certificates).
# Quiet and non-interactive; does nothing when both are present.
set -euo pipefail

missing=()
command -v nats-server >/dev/null 2>&1 || missing+=(nats-server)
[ -x /usr/share/zookeeper/bin/zkServer.sh ] || missing+=(zookeeper)
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
# The NATS TLS test makes its certificates with the openssl command.
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        sudo=(sudo -n)
    else
        echo "install-servers: need root to install ${missing[*]}" >&2
        exit 1
    fi
fi

echo "install-servers: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
