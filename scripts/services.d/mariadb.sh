# MariaDB for the database step's integration tests (sourced by scripts/services.sh).
mariadb_up() { :; }
mariadb_down() { :; }
mariadb_status() { :; }
