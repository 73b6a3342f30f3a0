#!/usr/bin/env bash
# The servers and tools `npm test` talks to, on a fresh Ubuntu build host (CodeBuild standard image, GitHub's
# ubuntu-latest): PostgreSQL 15 on 127.0.0.1:5432 with trust auth and a database "test" (migration and ingestion
# integration tests), moto_server (AWS API integration tests) and cfn-lint, at the versions the tests were written
# against. Idempotent: what is already there is left alone. Needs root (sudo on GitHub runners).
set -euo pipefail
SUDO=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)

command -v cfn-lint >/dev/null && command -v moto_server >/dev/null ||
  python3 -m pip install --quiet 'cfn-lint==1.51.0' 'moto[server]==5.2.1'

if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  if [ ! -d /etc/postgresql/15 ]; then
    # PostgreSQL's own apt repository: the distribution's default version may not be 15.
    $SUDO install -d /usr/share/postgresql-common/pgdg
    curl -fsSL https://www.postgresql.org/media/keys/ACCC4CF8.asc | $SUDO tee /usr/share/postgresql-common/pgdg/apt.postgresql.org.asc >/dev/null
    echo "deb [signed-by=/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc] https://apt.postgresql.org/pub/repos/apt $(. /etc/os-release && echo "$VERSION_CODENAME")-pgdg main" |
      $SUDO tee /etc/apt/sources.list.d/pgdg.list >/dev/null
    $SUDO apt-get update -qq
    $SUDO DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15
  fi
  # Throwaway test database on loopback only: trust auth, as the tests expect.
  $SUDO sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/; s/^(local\s+all\s+\S+\s+)\S+/\1trust/' \
    /etc/postgresql/15/main/pg_hba.conf
  $SUDO pg_ctlcluster 15 main restart || $SUDO pg_ctlcluster 15 main start
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'test'" | grep -q 1 ||
  psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE test'
