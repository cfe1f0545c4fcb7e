#!/usr/bin/env bash
# Installs what siptap needs from Debian 12's packages (only what is missing), then
# configures and builds it in ./build. Used by both README commands and by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake pkg-config            # toolchain
  libpcap-dev libssl-dev libboost1.81-dev     # capture, crypto/TLS, Asio (1.81: awaitable operators)
  libcli11-dev catch2 nlohmann-json3-dev      # command line, tests, JSON lines
  tshark openssl python3 kamailio kamailio-tls-modules  # real peers and cross-checks in tests
  python3-cryptography                        # certificate details in the Schannel stand-in peers
  iproute2 procps                             # ss and kill, used by the relay tests
  clang libclang-rt-14-dev                    # fuzz targets (libFuzzer) and sanitizers
  chromium                                    # renders the HTML report in its test
  plantuml                                    # renders --ladder-format plantuml in its test
  groff-base                                  # renders the generated man page in its test
  dpkg-dev file                               # cpack -G DEB: dpkg-shlibdeps, and CPack's check for `file`
  sngrep                                      # opens the relay's --write-pcap/--capture files in their test
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "bootstrap: installing ${missing[*]}"
  # tshark asks whether non-root users may capture; the default answer is fine here.
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSIPTAP_WERROR=ON >/dev/null
cmake --build build -j"$(nproc)"
