# Chromium (headless) for the dashboard's browser tests (e2e/dashboard.e2e.spec.ts drives it
# with playwright-core through `executablePath`). A tool, not a server: `up` only installs it
# (sourced by scripts/services.sh).
chromium_up() { apt_install chromium; }
chromium_down() { :; }
chromium_status() {
  if command -v chromium >/dev/null 2>&1; then log "chromium: installed ($(command -v chromium))"; else log "chromium: not installed"; fi
}
