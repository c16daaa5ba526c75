# LibreOffice Calc (headless) for the file_processing step's tests: they make XLSX files with
# `libreoffice --headless --convert-to xlsx`, i.e. files not written by the project's own writer.
# A tool, not a server: `up` only installs it (sourced by scripts/services.sh).
libreoffice_up() { apt_install libreoffice-calc-nogui; }
libreoffice_down() { :; }
libreoffice_status() {
  if command -v soffice >/dev/null 2>&1; then log "libreoffice: installed ($(command -v soffice))"; else log "libreoffice: not installed"; fi
}
