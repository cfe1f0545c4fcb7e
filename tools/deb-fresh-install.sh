#!/usr/bin/env bash
# Checks the Debian package as a user would get it: `cpack -G DEB` in build/, then the .deb
# alone (no source, no -dev packages, no compiler) is installed with apt-get in a fresh
# Debian 12 chroot, which must pull its runtime dependencies from the archive, and the
# installed siptap runs its demo and has its man page and bash completion in place.
#
#   tools/deb-fresh-install.sh FRESH_DEBIAN_TOOL
# FRESH_DEBIAN_TOOL is the workplace's fresh-debian.sh (it clones a git repository's HEAD into
# a throwaway chroot, so the package is committed to a scratch repository first). Needs root.
set -euo pipefail
fresh=${1:?usage: $0 FRESH_DEBIAN_TOOL}
cd "$(dirname "$0")/.."
[ -d build ] || { echo "$0: build/ is missing: run tools/bootstrap.sh first" >&2; exit 2; }
cmake --build build -j"$(nproc)" --target siptap siptap_docs >/dev/null
rm -f build/siptap_*.deb
(cd build && cpack -G DEB >/dev/null)
deb=$(ls build/siptap_*.deb)
echo "package: $deb ($(du -h "$deb" | cut -f1)); $(dpkg-deb -f "$deb" Depends | sed 's/^/Depends: /')"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp "$deb" "$scratch/"
git -C "$scratch" init -q
git -C "$scratch" add .
git -C "$scratch" -c user.name=siptap -c user.email=siptap@localhost commit -qm "the package to install"

"$fresh" run "$scratch" '
set -e
apt-get update -qq
apt-get install -y -qq ./siptap_*.deb >/dev/null
if command -v c++ || dpkg -s libssl-dev >/dev/null 2>&1; then echo "not a runtime-only system" >&2; exit 1; fi
siptap --version
ls /usr/share/man/man1/siptap.1*
test -f /usr/share/bash-completion/completions/siptap
siptap demo > demo.out   # exit 0: both runs showed what they are meant to show
grep "Demonstrated" demo.out
echo "deb-fresh-install: OK"'
