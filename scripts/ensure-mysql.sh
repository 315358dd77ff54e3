#!/usr/bin/env bash
# Makes sure a MySQL/MariaDB server answers on 127.0.0.1:3306 for the tests and
# prints a URL that works for them on stdout (diagnostics go to stderr).
#
# - Uses $SHOPCORE_TEST_MYSQL_URL if it is set.
# - Starts MariaDB if it is installed but stopped.
# - If root over TCP is refused, creates a dedicated user `shopcore` through
#   the local socket (as the machine's root) and prints its URL instead.
# - With CI=true, a server that cannot be reached is an error (exit 1); otherwise
#   the default URL is printed and the MySQL tests skip themselves.
set -uo pipefail

log() { echo "ensure-mysql: $*" >&2; }
default_url="mysql://root@127.0.0.1:3306"

if [ -n "${SHOPCORE_TEST_MYSQL_URL:-}" ]; then
    echo "$SHOPCORE_TEST_MYSQL_URL"
    exit 0
fi

client=$(command -v mariadb || command -v mysql || true)
tcp_open() { (exec 3<>/dev/tcp/127.0.0.1/3306) 2>/dev/null; }

if ! tcp_open; then
    if [ -x /usr/sbin/mariadbd ]; then
        log "MariaDB is installed but not listening; starting it"
        start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd >&2 2>&1 || true
        for _ in $(seq 1 60); do tcp_open && break; sleep 1; done
    fi
fi

if ! tcp_open; then
    if [ "${CI:-}" = "true" ]; then
        log "no MySQL server on 127.0.0.1:3306 and CI=true: failing"
        exit 1
    fi
    log "no MySQL server on 127.0.0.1:3306; the MySQL tests will be skipped"
    echo "$default_url"
    exit 0
fi

if [ -z "$client" ]; then
    log "no mysql client to check credentials; assuming root without a password"
    echo "$default_url"
    exit 0
fi

if "$client" -h127.0.0.1 -P3306 -uroot -e 'SELECT 1' >/dev/null 2>&1; then
    echo "$default_url"
    exit 0
fi

log "root over TCP is refused; creating user 'shopcore' through the local socket"
if "$client" -uroot -e "
    CREATE USER IF NOT EXISTS 'shopcore'@'127.0.0.1' IDENTIFIED BY 'shopcore';
    CREATE USER IF NOT EXISTS 'shopcore'@'localhost' IDENTIFIED BY 'shopcore';
    GRANT ALL PRIVILEGES ON *.* TO 'shopcore'@'127.0.0.1';
    GRANT ALL PRIVILEGES ON *.* TO 'shopcore'@'localhost';
    FLUSH PRIVILEGES;" >&2; then
    echo "mysql://shopcore:shopcore@127.0.0.1:3306"
    exit 0
fi

log "could not get a working MySQL account"
[ "${CI:-}" = "true" ] && exit 1
echo "$default_url"
