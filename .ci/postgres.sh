#!/usr/bin/env bash
# CI: make sure PostgreSQL server binaries exist for the test suite's throwaway server (tests/pg.py).
# Installs Debian's `postgresql` package when no /usr/lib/postgresql/*/bin/initdb is present; nothing else.
set -euo pipefail

if compgen -G "/usr/lib/postgresql/*/bin/initdb" > /dev/null; then
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq postgresql > /dev/null
compgen -G "/usr/lib/postgresql/*/bin/initdb" > /dev/null || { echo "postgres.sh: initdb still missing" >&2; exit 1; }
