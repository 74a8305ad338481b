#!/usr/bin/env bash
# Install the Debian packages needed to build and test secmmu.
# Only packages that are not already installed are fetched; quiet otherwise.
set -euo pipefail

PACKAGES=(
	meson
	ninja-build
	pkg-config
	gcc
	libcmocka-dev
	liburcu-dev
	libyaml-dev
	libcyaml-dev
	libjansson-dev
	python3
	python3-yaml
	man-db
)

missing=()
for pkg in "${PACKAGES[@]}"; do
	if ! dpkg -s "$pkg" >/dev/null 2>&1; then
		missing+=("$pkg")
	fi
done

if [ "${#missing[@]}" -eq 0 ]; then
	exit 0
fi

echo "setup: installing missing packages: ${missing[*]}"

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO=(sudo)
	else
		echo "setup: not root and sudo not found; please install: ${missing[*]}" >&2
		exit 1
	fi
fi

export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
	apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
