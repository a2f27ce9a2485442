# Shared by scripts/run and scripts/test (sourced, not executed).

die() {
    echo "$(basename "$0"): $*" >&2
    exit 1
}

# ensure_venv REQUIREMENTS_FILE: create .venv if missing and install the
# requirements, skipping pip when they have not changed since the last install.
ensure_venv() {
    local requirements="$1"
    if [ ! -x .venv/bin/python ]; then
        local python
        python="$(command -v python3.11 || command -v python3)" || die "python3.11 or python3 is needed"
        "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
            || die "$python is older than Python 3.11"
        echo "Creating .venv with $python"
        "$python" -m venv .venv
    fi
    local stamp hash
    stamp=".venv/.installed-$(basename "$requirements" .txt)"
    # requirements-dev.txt includes requirements.txt: hash both.
    hash="$(cat requirements.txt "$requirements" | sha256sum | cut -d' ' -f1)"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$hash" ]; then
        echo "Installing $requirements into .venv"
        .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$requirements"
        echo "$hash" >"$stamp"
    fi
}
