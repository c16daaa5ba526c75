# MariaDB for the database step's integration tests (sourced by scripts/services.sh).
# Its own data folder ($DATA/mariadb) and loopback port (VECRON_MYSQL_PORT, default 23306);
# a test database `vecron_target_test` and user `vecron`/`vecron` (plus root without password
# on the loopback port, for the tests' admin checks such as the process list).
MYSQL_PORT="${VECRON_MYSQL_PORT:-23306}"
MYSQL_TEST_DB="${VECRON_MYSQL_DATABASE:-vecron_target_test}"

mariadb_sql() { mariadb --no-defaults --protocol=tcp -h 127.0.0.1 -P "$MYSQL_PORT" -u root "$@"; }

mariadb_up() {
  apt_install mariadb-server mariadb-client
  local dir="$DATA/mariadb" i
  mkdir -p "$dir" "$RUN/mariadb"
  if [ "$(id -u)" = 0 ]; then chown mysql:mysql "$dir" "$RUN/mariadb"; fi
  if [ ! -d "$dir/mysql" ]; then
    log "initialising MariaDB in $dir"
    mariadb-install-db --no-defaults --user=mysql --datadir="$dir" --auth-root-authentication-method=normal \
      --skip-test-db >"$LOGS/mariadb-init.log" 2>&1 || die "mariadb-install-db failed, see $LOGS/mariadb-init.log"
  fi
  if alive "$RUN/mariadb.pid"; then
    log "mariadb already running (pid $(head -1 "$RUN/mariadb.pid"))"
  else
    touch "$LOGS/mariadb.log"; [ "$(id -u)" = 0 ] && chown mysql "$LOGS/mariadb.log"
    nohup mariadbd --no-defaults --user=mysql --datadir="$dir" --port="$MYSQL_PORT" --bind-address=127.0.0.1 \
      --socket="$RUN/mariadb/mariadb.sock" --pid-file="$RUN/mariadb/mariadbd.pid" --skip-name-resolve --skip-log-bin \
      --log-error="$LOGS/mariadb.log" --max-connections=300 --innodb-flush-log-at-trx-commit=2 \
      ${VECRON_MYSQL_OPTIONS:-} >>"$LOGS/mariadb.log" 2>&1 &
    echo $! >"$RUN/mariadb.pid"
    wait_port "$MYSQL_PORT" mariadb "$RUN/mariadb.pid"
    for i in $(seq 1 100); do mariadb-admin --no-defaults --protocol=tcp -h 127.0.0.1 -P "$MYSQL_PORT" -u root ping >/dev/null 2>&1 && break; sleep 0.1; done
    log "mariadb started on 127.0.0.1:$MYSQL_PORT"
  fi
  mariadb_sql -e "CREATE DATABASE IF NOT EXISTS \`$MYSQL_TEST_DB\`;
    CREATE USER IF NOT EXISTS 'vecron'@'%' IDENTIFIED BY 'vecron';
    GRANT ALL PRIVILEGES ON \`$MYSQL_TEST_DB\`.* TO 'vecron'@'%';
    CREATE USER IF NOT EXISTS 'root'@'127.0.0.1';
    GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;" >/dev/null \
    || die "could not create the MariaDB test database/user"
}

mariadb_down() {
  if alive "$RUN/mariadb.pid"; then
    local pid; pid="$(head -1 "$RUN/mariadb.pid")"
    kill "$pid"
    for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    log "mariadb stopped"
  fi
  rm -f "$RUN/mariadb.pid"
}

mariadb_status() {
  status_line mariadb "$RUN/mariadb.pid" "mysql://vecron:vecron@127.0.0.1:$MYSQL_PORT/$MYSQL_TEST_DB" "$MYSQL_PORT"
}
