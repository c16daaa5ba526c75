# OpenSSH sshd (internal-sftp) for the SFTP step's integration tests (sourced by scripts/services.sh).
sshd_up() { :; }
sshd_down() { :; }
sshd_status() { :; }
