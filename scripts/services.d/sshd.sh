# OpenSSH sshd (internal-sftp) for the SFTP step's integration tests, e2e and bench
# (sourced by scripts/services.sh, which provides apt_install, wait_port, alive, log, die,
# $DATA, $RUN, $LOGS).
#
# Everything lives in $DATA/sshd:
#   etc/        host keys (ed25519, rsa), sshd_config, passwd/shadow/group copies
#   authorized_keys/%u  public keys of the key user (readable by it: sshd reads them as the user)
#   keys/       client keys of the test users: id_ed25519, id_ecdsa, id_rsa, id_ed25519_pass
#               (passphrase in keys/passphrase)
#   known_hosts         the server's host keys as `[127.0.0.1]:PORT ssh-ed25519 …` (plain)
#   known_hosts.hashed  the same, hashed (`|1|salt|hash …`, ssh-keygen -H)
#   files/      home of both test users: the SFTP files (no chroot)
#
# Test users (they exist only inside sshd's own mount namespace: sshd runs under `unshare -m`
# with bind-mounted copies of /etc/passwd, /etc/shadow and /etc/group, so the host's files
# are never touched):
#   vecron-sftp      key authentication only (ed25519, ECDSA, RSA keys of keys/)
#   vecron-sftp-pw   password authentication only, password in keys/password
# Both share one uid and the home files/, so they see the same files.
SSHD_PORT="${VECRON_SFTP_PORT:-22222}"
SSHD_DIR="$DATA/sshd"
SSHD_UID=64022
SSHD_KEY_USER=vecron-sftp
SSHD_PW_USER=vecron-sftp-pw
SSHD_PASSWORD=vecron-sftp-test-password
SSHD_PASSPHRASE=vecron-test-passphrase

sshd_prepare() {
  local etc="$SSHD_DIR/etc" keys="$SSHD_DIR/keys" files="$SSHD_DIR/files"
  mkdir -p "$etc" "$SSHD_DIR/authorized_keys" "$keys" "$files"
  chmod 700 "$etc" "$keys"
  chown "$SSHD_UID:$SSHD_UID" "$files"
  chmod 755 "$files"
  [ -f "$etc/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C vecron-test-host -f "$etc/ssh_host_ed25519_key"
  [ -f "$etc/ssh_host_rsa_key" ] || ssh-keygen -q -t rsa -b 3072 -N '' -C vecron-test-host -f "$etc/ssh_host_rsa_key"
  [ -f "$keys/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C vecron-test-ed25519 -f "$keys/id_ed25519"
  [ -f "$keys/id_ecdsa" ] || ssh-keygen -q -t ecdsa -b 256 -m PEM -N '' -C vecron-test-ecdsa -f "$keys/id_ecdsa"
  [ -f "$keys/id_rsa" ] || ssh-keygen -q -t rsa -b 3072 -N '' -C vecron-test-rsa -f "$keys/id_rsa"
  [ -f "$keys/id_ed25519_pass" ] || ssh-keygen -q -t ed25519 -N "$SSHD_PASSPHRASE" -C vecron-test-pass -f "$keys/id_ed25519_pass"
  printf '%s' "$SSHD_PASSWORD" >"$keys/password"
  printf '%s' "$SSHD_PASSPHRASE" >"$keys/passphrase"
  chmod 600 "$keys"/id_* "$keys/password" "$keys/passphrase"
  cat "$keys"/id_ed25519.pub "$keys"/id_ecdsa.pub "$keys"/id_rsa.pub "$keys"/id_ed25519_pass.pub >"$SSHD_DIR/authorized_keys/$SSHD_KEY_USER"
  chmod 755 "$SSHD_DIR/authorized_keys"; chmod 644 "$SSHD_DIR/authorized_keys/$SSHD_KEY_USER"

  # Users for sshd's own mount namespace: the host's files plus the two test users.
  local hash
  hash="$(openssl passwd -6 -salt vecrontestsalt "$SSHD_PASSWORD")"
  { grep -v "^vecron-sftp" /etc/passwd
    echo "$SSHD_KEY_USER:x:$SSHD_UID:$SSHD_UID:vecron sftp test (key):$files:/bin/sh"
    echo "$SSHD_PW_USER:x:$SSHD_UID:$SSHD_UID:vecron sftp test (password):$files:/bin/sh"; } >"$etc/passwd"
  { grep -v "^vecron-sftp" /etc/shadow
    echo "$SSHD_KEY_USER:*:20000:0:99999:7:::"
    echo "$SSHD_PW_USER:$hash:20000:0:99999:7:::"; } >"$etc/shadow"
  { grep -v "^vecron-sftp" /etc/group; echo "vecron-sftp:x:$SSHD_UID:"; } >"$etc/group"
  chmod 644 "$etc/passwd" "$etc/group"; chmod 640 "$etc/shadow"

  cat >"$etc/sshd_config" <<EOF
# Written by scripts/services.d/sshd.sh: a test server on loopback only.
Port $SSHD_PORT
ListenAddress 127.0.0.1
HostKey $etc/ssh_host_ed25519_key
HostKey $etc/ssh_host_rsa_key
PidFile $RUN/sshd.real.pid
UsePAM no
PermitRootLogin no
AllowUsers $SSHD_KEY_USER $SSHD_PW_USER
PubkeyAuthentication yes
# No ssh-rsa (SHA-1): RSA keys must sign with rsa-sha2-256/512.
PubkeyAcceptedAlgorithms ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,rsa-sha2-512,rsa-sha2-256
AuthorizedKeysFile $SSHD_DIR/authorized_keys/%u
PasswordAuthentication yes
KbdInteractiveAuthentication no
StrictModes no
MaxAuthTries 10
MaxStartups 200:30:400
MaxSessions 100
AllowTcpForwarding no
AllowAgentForwarding no
X11Forwarding no
PermitTTY no
Subsystem sftp internal-sftp
ForceCommand internal-sftp
LogLevel VERBOSE
Match User $SSHD_KEY_USER
  PasswordAuthentication no
Match User $SSHD_PW_USER
  PubkeyAuthentication no
EOF

  # known_hosts as OpenSSH writes it for a non-22 port, plain and hashed.
  local k
  : >"$SSHD_DIR/known_hosts"
  for k in "$etc"/ssh_host_ed25519_key.pub "$etc"/ssh_host_rsa_key.pub; do
    printf '[127.0.0.1]:%s %s\n' "$SSHD_PORT" "$(cut -d' ' -f1,2 "$k")" >>"$SSHD_DIR/known_hosts"
  done
  cp "$SSHD_DIR/known_hosts" "$SSHD_DIR/known_hosts.hashed"
  ssh-keygen -q -H -f "$SSHD_DIR/known_hosts.hashed" >/dev/null 2>&1
  rm -f "$SSHD_DIR/known_hosts.hashed.old"
  chmod 644 "$SSHD_DIR/known_hosts" "$SSHD_DIR/known_hosts.hashed"
}

sshd_up() {
  apt_install openssh-server openssh-client
  [ "$(id -u)" = 0 ] || die "sshd: the SFTP test server needs root (a private mount namespace for its test users)"
  if alive "$RUN/sshd.pid"; then log "sshd already running (pid $(cat "$RUN/sshd.pid"))"; return; fi
  sshd_prepare
  local etc="$SSHD_DIR/etc"
  # unshare execs (no fork), so $! is sshd's own PID.
  nohup unshare -m --propagation private -- /bin/sh -c "
    mount --bind '$etc/passwd' /etc/passwd &&
    mount --bind '$etc/shadow' /etc/shadow &&
    mount --bind '$etc/group' /etc/group &&
    mount -t tmpfs -o mode=755 tmpfs /run && mkdir -m 755 /run/sshd &&
    /usr/sbin/sshd -t -f '$etc/sshd_config' &&
    exec /usr/sbin/sshd -D -e -f '$etc/sshd_config'" >>"$LOGS/sshd.log" 2>&1 &
  echo $! >"$RUN/sshd.pid"
  wait_port "$SSHD_PORT" sshd "$RUN/sshd.pid"
  log "sshd started on 127.0.0.1:$SSHD_PORT (users $SSHD_KEY_USER, $SSHD_PW_USER; files in $SSHD_DIR)"
}

sshd_down() {
  if alive "$RUN/sshd.pid"; then
    local pid i
    pid="$(cat "$RUN/sshd.pid")"
    kill "$pid"
    for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    log "sshd stopped"
  fi
  rm -f "$RUN/sshd.pid" "$RUN/sshd.real.pid"
}

sshd_status() {
  status_line sshd "$RUN/sshd.pid" "sftp://127.0.0.1:$SSHD_PORT (files in $SSHD_DIR/files)" "$SSHD_PORT"
}
