# Steps shared by the side-by-side benchmark scripts; sourced from the repository root.

# The first of ../shared/bench/$1 and ../../shared/bench/$1 that exists (the anchors live in
# ../shared/bench/ next to the repository, two levels up from a worktree); nothing if neither.
find_anchor() {
    local candidate
    for candidate in "../shared/bench/$1" "../../shared/bench/$1"; do
        [ -f "$candidate" ] && { echo "$candidate"; return 0; }
    done
    return 0
}

# Makes the virtual environment $1 able to `import $2` (comma-separated modules), creating it
# and installing the pip packages that follow where it cannot.
ensure_venv() {
    local venv=$1 modules=$2
    shift 2
    if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import $modules" 2>/dev/null; then
        python3 -m venv "$venv"
        "$venv/bin/pip" install -q "$@"
    fi
}

# Writes the 1-, 5- and 15-minute load averages to the file $1.
record_load() {
    cut -d' ' -f1-3 /proc/loadavg > "$1"
}
